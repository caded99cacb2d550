// Runs the streamharness binary the way a user does and captures what it says and returns.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace sh::testing {

struct HarnessRun {
    int exit_code = -1;
    std::string out;
    std::string err;
    std::filesystem::path out_dir;  // the --out directory given to the run

    nlohmann::json report() const;  // out_dir/report.json
};

// `streamharness <args...>` with --out added for `run` (a fresh directory per call) and
// --quiet; waits for it to exit.
// env: extra NAME=value entries that override the test's environment.
HarnessRun run_harness(const std::vector<std::string>& args,
                       const std::vector<std::string>& env = {});

// A workload file path inside the source tree's workloads/ folder.
std::string workload_path(const std::string& name);

// Writes text to a fresh temporary file and returns its path.
std::string write_temp_file(const std::string& name, const std::string& content);

}  // namespace sh::testing
