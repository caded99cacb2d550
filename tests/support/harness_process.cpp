#include "tests/support/harness_process.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "harness/os/child_process.hpp"

namespace sh::testing {

namespace {

std::filesystem::path scratch_dir() {
    auto dir =
        std::filesystem::temp_directory_path() / ("streamharness-test-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir);
    return dir;
}

// Removes this test process's scratch directory at the end, unless a test failed: then its
// reports and worker logs stay for a look.
class ScratchCleanup : public ::testing::Environment {
  public:
    void TearDown() override {
        if (::testing::UnitTest::GetInstance()->Failed()) return;
        std::error_code ignored;
        std::filesystem::remove_all(scratch_dir(), ignored);
    }
};
[[maybe_unused]] auto* const scratch_cleanup =
    ::testing::AddGlobalTestEnvironment(new ScratchCleanup);

}  // namespace

std::string read_text_file(const std::filesystem::path& path) {
    std::ifstream file(path);
    std::stringstream content;
    content << file.rdbuf();
    return content.str();
}

nlohmann::json HarnessRun::report() const {
    std::ifstream file(out_dir / "report.json");
    if (!file) throw std::runtime_error("no report.json in " + out_dir.string() + "\n" + err);
    return nlohmann::json::parse(file);
}

BackgroundHarness::BackgroundHarness(const std::vector<std::string>& args,
                                     const std::vector<std::string>& env) {
    static int counter = 0;
    dir_ = scratch_dir() / ("run-" + std::to_string(++counter));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    std::vector<std::string> argv{STREAMHARNESS_BIN};
    argv.insert(argv.end(), args.begin(), args.end());
    out_dir_ = dir_ / "out";
    if (!args.empty() && (args.front() == "run" || args.front() == "capacity")) {
        auto given = std::find(args.begin(), args.end(), "--out");
        if (given == args.end()) {
            argv.insert(argv.end(), {"--out", out_dir_.string()});
        } else if (given + 1 != args.end()) {
            out_dir_ = *(given + 1);
        }
        argv.push_back("--quiet");
    }
    // stdout and stderr go to separate files: /bin/sh does the redirection, then execs.
    std::vector<std::string> shell{
        "/bin/sh", "-c",
        "exec \"$0\" \"$@\" >" + (dir_ / "stdout").string() + " 2>" + (dir_ / "stderr").string()};
    shell.insert(shell.end(), argv.begin(), argv.end());
    os::SpawnOptions options;
    options.env = env;
    process_ = os::ChildProcess::spawn(shell, options);
}

HarnessRun BackgroundHarness::finish() {
    int status = process_.wait();
    HarnessRun run;
    run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    run.out = read_text_file(dir_ / "stdout");
    run.err = read_text_file(dir_ / "stderr");
    run.out_dir = out_dir_;
    return run;
}

HarnessRun run_harness(const std::vector<std::string>& args, const std::vector<std::string>& env) {
    return BackgroundHarness(args, env).finish();
}

namespace {
std::string command_line(const std::filesystem::path& proc_entry) {
    std::ifstream cmdline(proc_entry / "cmdline");
    std::string text((std::istreambuf_iterator<char>(cmdline)), std::istreambuf_iterator<char>());
    for (auto& c : text) {
        if (c == '\0') c = ' ';
    }
    return text;
}

template <typename Visit>
void for_each_process(Visit visit) {
    for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
        auto name = entry.path().filename().string();
        if (name.find_first_not_of("0123456789") != std::string::npos) continue;
        visit(static_cast<pid_t>(std::stoi(name)), command_line(entry.path()));
    }
}
}  // namespace

pid_t find_worker_pid(const std::string& run_id, const std::string& consumer_name) {
    pid_t found = -1;
    for_each_process([&](pid_t pid, const std::string& command) {
        if (command.find(" worker ") != std::string::npos &&
            command.find("--run-id " + run_id + " ") != std::string::npos &&
            command.find("--name " + consumer_name + " ") != std::string::npos) {
            found = pid;
        }
    });
    return found;
}

int count_processes_using(const std::string& dir) {
    int count = 0;
    for_each_process([&](pid_t pid, const std::string& command) {
        std::error_code error;
        auto cwd = std::filesystem::read_symlink("/proc/" + std::to_string(pid) + "/cwd", error);
        bool inside = !error && cwd.string().rfind(dir, 0) == 0;
        if (inside || command.find(dir) != std::string::npos) ++count;
    });
    return count;
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
