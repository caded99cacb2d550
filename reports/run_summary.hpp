// The few lines a run prints at its end, read from its report.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

namespace sh::reports {

// What a gate applies to: its group, its chaos event ("chaos.events.1 kill"), or "" (the run).
std::string gate_scope(const nlohmann::json& gate);
// The few lines printed at the end of a run, ending with where report.json and report.html are.
std::string human_summary(const nlohmann::json& report, const std::filesystem::path& path);

}  // namespace sh::reports
