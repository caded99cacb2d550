// The seed scenario end to end, against a real Redis: verdicts, report contents, work split,
// safety of foreign keys, and the embedded server's lifetime.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "harness/os/child_process.hpp"
#include "harness/os/temp_dir.hpp"
#include "tests/support/harness_process.hpp"
#include "tests/support/redis_fixture.hpp"

using sh::testing::count_processes_using;
using sh::testing::run_harness;
using sh::testing::workload_path;

class SeedRun : public sh::testing::RedisTest {};

namespace {

void expect_clean_verdict(const nlohmann::json& report) {
    auto produced_ok = report["summary"]["produced"]["ok"].get<std::uint64_t>();
    EXPECT_GT(produced_ok, 0u);
    for (const auto* group : {"score", "push"}) {
        const auto& verdict = report["verification"][group];
        EXPECT_EQ(verdict["lost"], 0) << group;
        EXPECT_EQ(verdict["duplicated"], 0) << group;
        EXPECT_EQ(verdict["unexpected"], 0) << group;
        EXPECT_EQ(verdict["pending_left"], 0) << group;
        EXPECT_EQ(verdict["lag_left"], 0) << group;
        EXPECT_EQ(verdict["applied_ok"], produced_ok) << group;
    }
    EXPECT_TRUE(report["verification"]["score"]["points"]["consistent"].get<bool>());
    EXPECT_GT(report["verification"]["score"]["points"]["actual"].get<std::int64_t>(), 0);
    EXPECT_EQ(report["verdict"], "pass");
}

// Entries left in a directory (the private TMPDIR a test gives the harness).
std::size_t entries_in(const std::filesystem::path& dir) {
    std::size_t count = 0;
    for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir)) ++count;
    return count;
}

}  // namespace

TEST_F(SeedRun, SmokeWorkloadPassesAgainstExternalRedisAndLeavesForeignKeysUntouched) {
    auto connection = connect();
    // Keys a user already has, including a stream named like the seed's.
    connection.command({"XADD", "ordermq", "*", "orderno", "10001"});
    connection.command({"SET", "user:1", "alice"});
    connection.command({"HSET", "points", "alice", "42"});
    std::vector<std::string> foreign{"ordermq", "user:1", "points"};
    std::vector<std::string> before;
    for (const auto& key : foreign) before.push_back(text(connection, {"DUMP", key}));
    auto keys_before = integer(connection, {"DBSIZE"});

    auto run = run_harness({"run", workload_path("smoke.json"), "--redis", url()});
    ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
    auto report = run.report();
    expect_clean_verdict(report);
    EXPECT_NE(report["environment"]["redis"].get<std::string>().find("127.0.0.1"),
              std::string::npos);

    for (std::size_t i = 0; i < foreign.size(); ++i) {
        EXPECT_EQ(text(connection, {"DUMP", foreign[i]}), before[i]) << foreign[i];
    }
    EXPECT_EQ(integer(connection, {"DBSIZE"}), keys_before) << "the run's keys are cleaned up";
}

TEST_F(SeedRun, ReportCarriesSchemaWorkloadEnvironmentLatencyAndGates) {
    auto run = run_harness(
        {"run", workload_path("smoke.json"), "--redis", url(), "--set", "duration_s=2"});
    ASSERT_EQ(run.exit_code, 0) << run.err;
    auto report = run.report();
    EXPECT_EQ(report["schema_version"], 2);
    EXPECT_EQ(report["tool"]["name"], "streamharness");
    EXPECT_FALSE(report["run_id"].get<std::string>().empty());
    EXPECT_EQ(report["workload"]["duration_s"], 2);  // the override is in the effective workload
    EXPECT_EQ(report["workload"]["groups"][0]["ack"], "atomic");  // a default spelled out
    EXPECT_EQ(report["environment"]["redis_version"].get<std::string>().substr(0, 1), "7");
    EXPECT_GT(report["environment"]["host_cores"].get<int>(), 0);
    for (const auto* group : {"score", "push"}) {
        const auto& latency = report["summary"]["groups"][group]["latency"]["end_to_end"];
        for (const auto* field : {"p50_ms", "p90_ms", "p99_ms", "p99_9_ms", "max_ms"}) {
            EXPECT_TRUE(latency.contains(field)) << field;
        }
        EXPECT_LE(latency["p50_ms"].get<double>(), latency["p99_ms"].get<double>());
        EXPECT_EQ(latency["count"], report["verification"][group]["applied"]);
        EXPECT_GT(report["summary"]["groups"][group]["applied_per_s"].get<double>(), 0);
        EXPECT_EQ(report["histograms"]["groups"][group]["first_delivery"]["unit"], "us");
    }
    EXPECT_EQ(report["summary"]["xadd_latency"]["count"], report["summary"]["produced"]["ok"]);
    bool has_lost_gate = false;
    for (const auto& gate : report["gates"]) {
        EXPECT_TRUE(gate["passed"].get<bool>()) << gate.dump();
        if (gate["gate"] == "max_lost") has_lost_gate = true;
    }
    EXPECT_TRUE(has_lost_gate);
    EXPECT_NE(run.out.find("verdict: pass"), std::string::npos);
    EXPECT_NE(run.out.find("report: " + (run.out_dir / "report.json").string()), std::string::npos);
    EXPECT_NE(run.out.find("html:   " + (run.out_dir / "report.html").string()), std::string::npos);
    EXPECT_TRUE(std::filesystem::exists(run.out_dir / "report.html"));
    EXPECT_TRUE(std::filesystem::exists(run.out_dir / "junit.xml"));
}

TEST_F(SeedRun, EachConsumerOfAGroupGetsADisjointNonEmptyShare) {
    auto run = run_harness({"run", workload_path("smoke.json"), "--redis", url(), "--run-id",
                            "share-test", "--keep-keys", "--set", "groups.0.consumers=3"});
    ASSERT_EQ(run.exit_code, 0) << run.err;
    auto connection = connect();
    auto report = run.report();
    for (const auto& [group, consumers] : {std::pair{"score", 3}, std::pair{"push", 2}}) {
        std::string prefix = std::string("sh:{share-test:ordermq:0}:");
        auto shares = connection.command({"HGETALL", prefix + "shares:" + group});
        sh::redis::ReplyView view(shares.get());
        ASSERT_EQ(view.size(), static_cast<std::size_t>(2 * consumers)) << group;
        std::int64_t total = 0;
        for (std::size_t i = 1; i < view.size(); i += 2) {
            auto share = view.element(i).integer_text();
            EXPECT_GT(share, 0) << group << " consumer " << view.element(i - 1).text();
            total += share;
        }
        // Every order applied exactly once (ledger bits, no duplicates) and the shares add up
        // to exactly that: no order went to two consumers.
        auto applied = report["verification"][group]["applied"].get<std::int64_t>();
        EXPECT_EQ(total, applied) << group;
        EXPECT_EQ(integer(connection, {"BITCOUNT", prefix + "acked:" + group}), applied);
        EXPECT_EQ(integer(connection, {"EXISTS", prefix + "dup:" + group}), 0);
    }
    connection.command({"UNLINK", "sh:{share-test:ordermq:0}:stream"});
}

// Each of these tests gives the harness a private TMPDIR: its embedded server's directory, its
// scratch files and every process started with them can be told apart from other tests' ones.
TEST_F(SeedRun, EmbeddedRedisRunPassesAndLeavesNoServerOrDirectory) {
    sh::os::TempDir tmp("streamharness-test-tmpdir");
    auto run = run_harness({"run", workload_path("smoke.json"), "--set", "duration_s=2"},
                           {"TMPDIR=" + tmp.path().string()});
    ASSERT_EQ(run.exit_code, 0) << run.err;
    auto report = run.report();
    expect_clean_verdict(report);
    EXPECT_EQ(report["environment"]["redis"], "embedded");
    EXPECT_EQ(report["environment"]["persistence"], "none");
    EXPECT_EQ(entries_in(tmp.path()), 0u);
    EXPECT_EQ(count_processes_using(tmp.path().string()), 0);
}

TEST_F(SeedRun, SigtermStopsTheRunWithItsEmbeddedRedisAndWorkers) {
    sh::os::TempDir tmp("streamharness-test-tmpdir");
    sh::os::TempDir out("streamharness-test-out");
    sh::os::SpawnOptions options;
    options.env = {"TMPDIR=" + tmp.path().string()};
    auto harness =
        sh::os::ChildProcess::spawn({STREAMHARNESS_BIN, "run", workload_path("smoke.json"), "--set",
                                     "duration_s=60", "--quiet", "--out", out.path().string()},
                                    options);
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    // The embedded server (--dir under TMPDIR) and the 4 workers (--workload under TMPDIR).
    EXPECT_EQ(count_processes_using(tmp.path().string()), 5);
    harness.signal(SIGTERM);
    int status = harness.wait();
    EXPECT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 130);
    EXPECT_EQ(count_processes_using(tmp.path().string()), 0);
    EXPECT_EQ(entries_in(tmp.path()), 0u);
}
