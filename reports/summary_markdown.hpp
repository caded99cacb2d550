// summary.md: a run's result in Markdown, for a CI job summary or a pull-request comment
// (DESIGN §9.1). Every number is read from the report.json it is written next to.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace sh::reports {

// The verdict (and error), the gates that failed with their numbers, a table per group
// (applied, applied/s, p50, p99, lost, duplicated, dead-lettered, pending left), production,
// the faults by kind, provenance in brief, and relative links to report.html, junit.xml and
// report.json.
std::string render_summary_markdown(const nlohmann::json& report);

}  // namespace sh::reports
