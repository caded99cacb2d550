// The comparison page of `compare --html`: base and new on the same axes, per group (end-to-end
// latency by percentile from the merged histograms, applied per second and p99 per second from
// the timelines), with the comparison table, the environment warnings and the verdict. One
// self-contained page like report.html: inline SVG and CSS, nothing fetched.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace sh::reports {

// `comparison` is compare_reports' result for `base` and `candidate`: the page shows its rows
// and warnings as they are and draws the curves from the reports themselves.
std::string render_comparison_html(const nlohmann::json& comparison, const nlohmann::json& base,
                                   const nlohmann::json& candidate);

}  // namespace sh::reports
