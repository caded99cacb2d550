// Runs the streamharness binary the way a user does and captures what it says and returns.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "harness/os/child_process.hpp"

namespace sh::testing {

struct HarnessRun {
    int exit_code = -1;
    std::string out;
    std::string err;
    std::filesystem::path out_dir;  // the --out directory given to the run

    nlohmann::json report() const;  // out_dir/report.json
};

// A harness started in the background, for tests that act on a run while it goes.
class BackgroundHarness {
  public:
    BackgroundHarness(const std::vector<std::string>& args, const std::vector<std::string>& env);
    pid_t pid() const { return process_.pid(); }
    // Waits for exit and collects output.
    HarnessRun finish();

  private:
    std::filesystem::path dir_;
    std::filesystem::path out_dir_;  // the run's --out: ours unless the test gave one
    os::ChildProcess process_;
};

// `streamharness <args...>` with --out added for `run` (a fresh directory per call, unless the
// test gives its own) and --quiet; waits for it to exit.
// env: extra NAME=value entries that override the test's environment.
HarnessRun run_harness(const std::vector<std::string>& args,
                       const std::vector<std::string>& env = {});

// The pid of a running worker of the run (found from /proc), or -1.
pid_t find_worker_pid(const std::string& run_id, const std::string& consumer_name);

// Processes that name the directory on their command line or work inside it (redis-server
// rewrites its command line but runs in its --dir).
int count_processes_using(const std::string& dir);

// A workload file path inside the source tree's workloads/ folder.
std::string workload_path(const std::string& name);

// A whole file as text (empty when it cannot be read).
std::string read_text_file(const std::filesystem::path& path);

// Writes text to a fresh temporary file and returns its path.
std::string write_temp_file(const std::string& name, const std::string& content);

}  // namespace sh::testing
