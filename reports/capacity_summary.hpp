// What a capacity search prints for people: a line per judged step as it goes, and the answer
// at the end, both from the search's own JSON (capacity.json and its steps).
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

namespace sh::reports {

// "step 4000 orders/s: meets the SLO (produced 3998/s, p99 0.8 ms, max lag 12)\n"
std::string capacity_step_line(const nlohmann::json& step);
// The answer (or why there is none) and where the report and its chart are.
std::string capacity_summary(const nlohmann::json& capacity, const std::filesystem::path& report,
                             const std::filesystem::path& chart);

}  // namespace sh::reports
