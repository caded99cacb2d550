// The words and numbers of a comparison (compare_reports' JSON), shared by its three renderings
// (text, Markdown, HTML) so each shows the same values the same way.
#pragma once

#include <array>
#include <nlohmann/json.hpp>
#include <string>

namespace sh::reports {

// " ms" or " /s" from the metric's name, "" for counts and words.
std::string unit_of(const std::string& metric);
// A row's value: 2 decimals for times, 1 for rates, integers and words as they are; null is
// "missing".
std::string format_value(const nlohmann::json& value, const std::string& metric);
// A signed fraction as a percentage: "+496 %", "-5 %", "+4.5 %"; null is "-".
std::string format_fraction(const nlohmann::json& fraction);
// "p99_ms [score]": the metric and, for a group's row, the group.
std::string row_label(const nlohmann::json& row);
// "p99_ms [score]: 0.52 → 3.10 ms (+496 %, limit +10 %)".
std::string regression_message(const nlohmann::json& row);
// "<run id> (<workload>, verdict pass[, aggregate of 3 runs])" of comparison.base/candidate.
std::string side_summary(const nlohmann::json& side);

// One table row: metric, group ("-" run-wide), base, new, change, limit, status.
using ComparisonCells = std::array<std::string, 7>;
const ComparisonCells& comparison_headers();
ComparisonCells comparison_cells(const nlohmann::json& row);

}  // namespace sh::reports
