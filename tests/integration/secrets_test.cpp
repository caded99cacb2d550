// A Redis password given through STREAMHARNESS_REDIS_PASSWORD or --redis-password-file opens
// every connection of the run and appears on no command line (`ps`), in no report and no log.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "harness/redis/embedded_server.hpp"
#include "tests/support/harness_process.hpp"
#include "tests/support/redis_fixture.hpp"

namespace sh::testing {
namespace {

constexpr const char* password = "pw-7f3a9c-secret";

class Secrets : public ::testing::Test {
  protected:
    void SetUp() override {
        redis::Connection admin(server_.endpoint(), {});
        admin.command({"CONFIG", "SET", "requirepass", password});
    }
    std::string url() const { return server_.endpoint().to_url(); }  // no password in it

    redis::EmbeddedServer server_{{}};
};

// What scanning every process's command line during the run found.
struct CommandLineScan {
    int workers_seen = 0;  // command lines of the run's workers that were read
    std::vector<std::string> leaks;
};

CommandLineScan scan_command_lines_while_running(pid_t harness) {
    CommandLineScan scan;
    auto running = [&] {
        auto stat = read_text_file("/proc/" + std::to_string(harness) + "/stat");
        auto state = stat.find(") ");
        return state != std::string::npos && stat[state + 2] != 'Z';
    };
    while (running()) {
        for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
            auto name = entry.path().filename().string();
            if (name.find_first_not_of("0123456789") != std::string::npos) continue;
            auto command_line = read_text_file(entry.path() / "cmdline");
            if (command_line.find(password) != std::string::npos)
                scan.leaks.push_back(command_line);
            if (command_line.find("worker") != std::string::npos &&
                command_line.find(STREAMHARNESS_BIN) != std::string::npos) {
                ++scan.workers_seen;
            }
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return scan;
}

void expect_no_password_in(const std::filesystem::path& dir) {
    for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
        if (!entry.is_regular_file()) continue;
        EXPECT_EQ(read_text_file(entry.path()).find(password), std::string::npos) << entry.path();
    }
}

void run_and_check(const std::vector<std::string>& args, const std::vector<std::string>& env) {
    BackgroundHarness harness(args, env);
    auto scan = scan_command_lines_while_running(harness.pid());
    auto run = harness.finish();
    EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
    EXPECT_GT(scan.workers_seen, 0) << "the scan never saw a worker";
    EXPECT_TRUE(scan.leaks.empty()) << scan.leaks.front();
    EXPECT_EQ(run.out.find(password), std::string::npos);
    EXPECT_EQ(run.err.find(password), std::string::npos);
    expect_no_password_in(run.out_dir);
    auto redis = run.report()["environment"]["redis"].get<std::string>();
    EXPECT_NE(redis.find(":***@"), std::string::npos) << redis;
}

TEST_F(Secrets, PasswordFromTheEnvironmentOpensTheRunAndIsOnNoCommandLine) {
    std::vector<std::string> env{"STREAMHARNESS_REDIS_PASSWORD="};
    env.front() += password;
    run_and_check({"run", workload_path("smoke.json"), "--redis", url()}, env);
}

TEST_F(Secrets, PasswordFromAFileOpensTheRunAndIsOnNoCommandLine) {
    std::string content = password;
    content += "\n";
    auto file = write_temp_file("redis-password", content);
    ::chmod(file.c_str(), 0600);
    std::vector<std::string> args{"run", workload_path("smoke.json"), "--redis",
                                  url(), "--redis-password-file",     file};
    run_and_check(args, {});
}

TEST_F(Secrets, APasswordGivenTwiceOrAMissingFileIsRefused) {
    auto file = write_temp_file("redis-password-2", password);
    auto port = std::to_string(server_.port());
    auto twice = run_harness({"run", workload_path("smoke.json"), "--redis",
                              std::string("redis://:other@127.0.0.1:") + port,
                              "--redis-password-file", file});
    EXPECT_EQ(twice.exit_code, 2) << twice.err;
    EXPECT_NE(twice.err.find("give it in one place only"), std::string::npos) << twice.err;

    auto missing = run_harness({"run", workload_path("smoke.json"), "--redis", url(),
                                "--redis-password-file", "/nonexistent/password"});
    EXPECT_EQ(missing.exit_code, 2) << missing.err;
    EXPECT_NE(missing.err.find("cannot read '/nonexistent/password'"), std::string::npos)
        << missing.err;
}

TEST_F(Secrets, AWrongPasswordFromTheEnvironmentIsRefusedWithoutShowingIt) {
    auto run = run_harness({"produce", "--redis", url(), "--key", "k", "--orders", "10"},
                           {"STREAMHARNESS_REDIS_PASSWORD=not-the-password"});
    EXPECT_EQ(run.exit_code, 3) << run.err;
    EXPECT_NE(run.err.find("WRONGPASS"), std::string::npos) << run.err;
    EXPECT_EQ(run.err.find("not-the-password"), std::string::npos) << run.err;
}

}  // namespace
}  // namespace sh::testing
