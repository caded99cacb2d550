// report.json, the document CI gates, comparisons and the HTML page read: the one writer of it.
// It maps a run's typed results to the document; its field names are in report_keys.hpp, and
// report_path.hpp is how readers walk a document back.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "harness/measure/histogram.hpp"
#include "harness/run/run_result.hpp"
#include "harness/verify/gates.hpp"
#include "harness/verify/verifier.hpp"

namespace sh::reports {

inline constexpr int schema_version = 2;

// The whole document of a run.
nlohmann::json to_json(const run::RunResult& result, const std::string& tool_version);
// Its parts, where other documents (the --repeat aggregate, `produce`) use the same shapes.
nlohmann::json latency_json(const measure::LatencySummary& summary);
nlohmann::json timeline_row_json(const run::TimelineRow& row,
                                 const std::vector<std::string>& group_names);
nlohmann::json verdict_json(const verify::GroupVerdict& verdict);
nlohmann::json gate_json(const verify::GateResult& gate);

// Writes DIR/report.json (creating DIR) and returns its path.
std::filesystem::path write_report(const nlohmann::json& report, const std::filesystem::path& dir);

}  // namespace sh::reports
