// The JSON report (schema_version 2): the document CI gates and comparisons read.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "harness/run/run_result.hpp"

namespace sh::reports {

inline constexpr int schema_version = 2;

nlohmann::json build_report(const run::RunResult& result, const std::string& tool_version);
// Writes DIR/report.json (creating DIR) and returns its path.
std::filesystem::path write_report(const nlohmann::json& report, const std::filesystem::path& dir);
// What a gate applies to: its group, its chaos event ("chaos.events.1 kill"), or "" (the run).
std::string gate_scope(const nlohmann::json& gate);
// The few lines printed at the end of a run, ending with where report.json and report.html are.
std::string human_summary(const nlohmann::json& report, const std::filesystem::path& path);

}  // namespace sh::reports
