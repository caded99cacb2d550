// A consumer started as its own process group (a wrapper and what it starts) is signalled,
// stopped and reaped as one: nothing of it keeps consuming after the harness killed it.
#include "harness/os/child_process.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "harness/os/temp_dir.hpp"

namespace {

using sh::os::ChildProcess;
using sh::os::SpawnOptions;

// Waits (up to a minute: a limit, not a measurement) for a file the child writes.
std::string await_file(const std::filesystem::path& path) {
    for (int i = 0; i < 6000; ++i) {
        std::ifstream in(path);
        std::string text;
        if (std::getline(in, text) && !text.empty()) return text;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return {};
}

// Whether the process is gone (or a zombie waiting for init to reap it).
bool gone(pid_t pid) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(stat, line)) return true;
    auto close = line.rfind(')');
    return close != std::string::npos && line.at(close + 2) == 'Z';
}

bool becomes_gone(pid_t pid) {
    for (int i = 0; i < 6000; ++i) {
        if (gone(pid)) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
}

SpawnOptions group_options() {
    SpawnOptions options;
    options.process_group = true;
    return options;
}

}  // namespace

TEST(ChildProcessGroup, AHardKillTakesWhatTheWrapperStartedToo) {
    sh::os::TempDir dir("child-group");
    auto pid_file = dir.path() / "grandchild.pid";
    auto child = ChildProcess::spawn(
        {"sh", "-c", "sleep 300 & echo $! > '" + pid_file.string() + "'; wait"}, group_options());
    auto grandchild = std::stoi(await_file(pid_file));
    child.signal(SIGKILL);
    auto status = child.wait();
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    EXPECT_TRUE(becomes_gone(grandchild));
}

TEST(ChildProcessGroup, WhatOutlivesItsLeaderIsKilledWhenTheLeaderIsReaped) {
    sh::os::TempDir dir("child-group");
    auto pid_file = dir.path() / "grandchild.pid";
    // The leader exits at once and leaves a process behind in its group.
    auto child = ChildProcess::spawn(
        {"sh", "-c", "sleep 300 & echo $! > '" + pid_file.string() + "'"}, group_options());
    auto grandchild = std::stoi(await_file(pid_file));
    EXPECT_EQ(WEXITSTATUS(child.wait()), 0);
    EXPECT_TRUE(becomes_gone(grandchild));
}

TEST(ChildProcessGroup, AGracefulStopWaitsForTheWholeGroupNotOnlyItsLeader) {
    sh::os::TempDir dir("child-group");
    auto ready = dir.path() / "ready";
    auto finished = dir.path() / "finished";
    // The leader dies of SIGTERM at once; the process it started finishes its work on SIGTERM
    // first. Killing the rest with the leader would lose that work.
    auto script = "(trap 'sleep 0.2; echo done > \"" + finished.string() +
                  "\"; exit 0' TERM; echo up > \"" + ready.string() +
                  "\"; while :; do sleep 0.05; done) & wait";
    auto child = ChildProcess::spawn({"sh", "-c", script}, group_options());
    ASSERT_EQ(await_file(ready), "up");
    auto status = child.terminate(std::chrono::seconds(60));
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
    EXPECT_EQ(await_file(finished), "done");
}

TEST(ChildProcessGroup, AGracefulStopEndsInSigkillForAGroupThatIgnoresSigterm) {
    sh::os::TempDir dir("child-group");
    auto pid_file = dir.path() / "grandchild.pid";
    auto child =
        ChildProcess::spawn({"sh", "-c",
                             "trap '' TERM; sh -c 'trap \"\" TERM; sleep 300' & echo $! > '" +
                                 pid_file.string() + "'; wait"},
                            group_options());
    auto grandchild = std::stoi(await_file(pid_file));
    auto status = child.terminate(std::chrono::milliseconds(200));
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    EXPECT_TRUE(becomes_gone(grandchild));
}
