// Workload files: JSON in, typed Workload out, with every problem reported as "path: reason".
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "harness/workload/workload.hpp"

namespace sh::workload {

// Applies "dotted.path=value" overrides (value parsed as JSON when it is JSON, else a string),
// then validates; throws WorkloadError listing every problem found.
Workload parse_workload(nlohmann::json document, const std::vector<std::string>& overrides = {});
// Reads the file (invalid JSON is a WorkloadError naming the file, line and column).
Workload load_workload(const std::filesystem::path& path,
                       const std::vector<std::string>& overrides = {});
// The effective workload, every default spelled out: goes into the report and to the workers.
nlohmann::json to_json(const Workload& workload);

}  // namespace sh::workload
