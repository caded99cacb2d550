#include "tests/support/harness_process.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "harness/os/child_process.hpp"

namespace sh::testing {

namespace {

std::filesystem::path scratch_dir() {
    auto dir = std::filesystem::temp_directory_path() /
               ("streamharness-test-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir);
    return dir;
}

std::string slurp(const std::filesystem::path& path) {
    std::ifstream file(path);
    std::stringstream content;
    content << file.rdbuf();
    return content.str();
}

}  // namespace

nlohmann::json HarnessRun::report() const {
    std::ifstream file(out_dir / "report.json");
    if (!file) throw std::runtime_error("no report.json in " + out_dir.string() + "\n" + err);
    return nlohmann::json::parse(file);
}

HarnessRun run_harness(const std::vector<std::string>& args, const std::vector<std::string>& env) {
    static int counter = 0;
    auto dir = scratch_dir() / ("run-" + std::to_string(++counter));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    std::vector<std::string> argv{STREAMHARNESS_BIN};
    argv.insert(argv.end(), args.begin(), args.end());
    if (!args.empty() && args.front() == "run") {
        argv.insert(argv.end(), {"--out", (dir / "out").string(), "--quiet"});
    }
    // stdout and stderr go to separate files: /bin/sh does the redirection, then execs.
    std::vector<std::string> shell{"/bin/sh", "-c", "exec \"$0\" \"$@\" >" + (dir / "stdout").string() +
                                                       " 2>" + (dir / "stderr").string()};
    shell.insert(shell.end(), argv.begin(), argv.end());
    os::SpawnOptions options;
    options.env = env;
    auto process = os::ChildProcess::spawn(shell, options);
    int status = process.wait();
    HarnessRun run;
    run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    run.out = slurp(dir / "stdout");
    run.err = slurp(dir / "stderr");
    run.out_dir = dir / "out";
    return run;
}

std::string workload_path(const std::string& name) {
    return std::string(STREAMHARNESS_SOURCE_DIR) + "/workloads/" + name;
}

std::string write_temp_file(const std::string& name, const std::string& content) {
    auto path = scratch_dir() / name;
    std::ofstream(path) << content;
    return path.string();
}

}  // namespace sh::testing
