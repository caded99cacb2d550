// The standard exports written next to report.json and capacity.json, for the tools teams
// already run: the timeline and the capacity steps as CSV (spreadsheets, pandas), and each
// group's end-to-end latency distribution in HdrHistogram's percentile-distribution text
// format (.hgrm: its plotter, HistogramLogProcessor's readers). All are derived from the
// document alone, so an old report.json exports the same way.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "harness/measure/histogram.hpp"

namespace sh::reports {

// One header row, one row per timeline row; a group's fields are `<group>.<field>` columns.
std::string render_timeline_csv(const nlohmann::json& report);
// One row per step of a capacity search; nested fields (p99_ms per group) as `<field>.<key>`.
std::string render_capacity_steps_csv(const nlohmann::json& capacity);
// The histogram as HdrHistogram's outputPercentileDistribution prints it (5 ticks per half
// distance, values in milliseconds).
std::string render_percentile_distribution(const measure::Histogram& histogram);
// "latency-<group>.hgrm"; bytes a file name cannot safely hold are written %XX (so two groups
// never share a file).
std::string hgrm_file_name(const std::string& group);

// DIR/timeline.csv (when the report has a timeline) and DIR/latency-<group>.hgrm per group
// with latency histograms (first deliveries and recovered orders merged: end to end).
void write_run_exports(const nlohmann::json& report, const std::filesystem::path& dir);
// DIR/capacity-steps.csv.
void write_capacity_exports(const nlohmann::json& capacity, const std::filesystem::path& dir);

}  // namespace sh::reports
