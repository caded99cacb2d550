// `verify --run-id` and `cleanup --run-id`: a run whose harness was SIGKILLed leaves its record
// in Redis; verify judges it again from Redis alone (counts read back from Redis here), cleanup
// removes exactly what it created, and neither acts on a run that is still going.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "harness/redis/streams.hpp"
#include "tests/support/harness_process.hpp"
#include "tests/support/redis_fixture.hpp"
#include "tests/support/run_inspection.hpp"

namespace sh::testing {
namespace {

class AfterTheRun : public RedisTest {};

bool mentions(const std::string& text, const std::string& needle) {
    return text.find(needle) != std::string::npos;
}

// The harness SIGKILLed mid-run: its workers die with it (PR_SET_PDEATHSIG), its keys stay.
void run_and_kill_the_harness(const std::string& url, const std::string& run_id) {
    // score's consumers take 0.2 s an order: they hold batches when the harness dies.
    BackgroundHarness harness(
        {"run", workload_path("smoke.json"), "--redis", url, "--run-id", run_id, "--set",
         "duration_s=30", "--set", "groups.0.service_time.mean_us=200000"},
        {});
    std::this_thread::sleep_for(std::chrono::seconds(3));
    ASSERT_EQ(::kill(harness.pid(), SIGKILL), 0);
    EXPECT_EQ(harness.finish().exit_code, 128 + SIGKILL);
}

TEST_F(AfterTheRun, VerifyJudgesAKilledRunFromRedisAndCleanupRemovesIt) {
    auto control = connect();
    const std::string run_id = "after-killed";
    run_and_kill_the_harness(url(), run_id);
    ASSERT_FALSE(keys_of_run(control, run_id).empty());

    // At once the heartbeat may still be fresh: neither command touches a run still going.
    auto early = run_harness({"cleanup", "--redis", url(), "--run-id", run_id});
    if (early.exit_code != 0) {
        EXPECT_EQ(early.exit_code, 3) << early.err;
        EXPECT_TRUE(mentions(early.err, "is still going")) << early.err;
    } else {
        FAIL() << "cleanup ran on a run whose harness died less than a second ago: " << early.out;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(3200));

    auto out =
        std::filesystem::temp_directory_path() / ("after-verify-" + std::to_string(getpid()));
    auto verified = run_harness({"verify", "--redis", url(), "--run-id", run_id, "--out", out});
    // score's workers died holding batches: what they held is pending, so the run fails.
    EXPECT_EQ(verified.exit_code, 1) << verified.out << verified.err;
    EXPECT_TRUE(mentions(verified.out, "latency not measured (verified after the run)"))
        << verified.out;
    auto report = nlohmann::json::parse(read_text_file(out / "report.json"));
    EXPECT_EQ(report["verified"], "after the run, from Redis alone");
    EXPECT_EQ(report["verdict"], "fail");
    EXPECT_TRUE(std::filesystem::exists(out / "junit.xml"));
    auto stream = whole_stream(control, run_key(run_id, "stream"));
    EXPECT_EQ(report["summary"]["produced"]["ok"].get<std::size_t>(), stream.size());
    for (const std::string group : {"score", "push"}) {
        SCOPED_TRACE(group);
        const auto& verdict = report["verification"][group];
        auto summary = control.command({"XPENDING", run_key(run_id, "stream"), group});
        EXPECT_EQ(verdict["pending_left"].get<std::int64_t>(),
                  redis::ReplyView(summary.get()).element(0).integer());
        EXPECT_EQ(verdict["applied"].get<std::int64_t>(),
                  integer(control, {"BITCOUNT", run_key(run_id, "acked:" + group)}));
        EXPECT_GT(verdict["applied"].get<std::int64_t>(), 0);
        EXPECT_TRUE(report["summary"]["groups"][group]["latency"].is_null());
    }
    EXPECT_GT(report["verification"]["score"]["pending_left"].get<std::int64_t>(), 0);
    // It died before its load phase ended: only the run could have shown the rest.
    EXPECT_FALSE(find_gate(report, "load_finished")->at("passed").get<bool>());
    EXPECT_FALSE(find_gate(report, "max_pending_left", "score")->at("passed").get<bool>());
    std::filesystem::remove_all(out);

    auto cleaned = run_harness({"cleanup", "--redis", url(), "--run-id", run_id});
    EXPECT_EQ(cleaned.exit_code, 0) << cleaned.err;
    EXPECT_TRUE(mentions(cleaned.out, "groups it created (score, push)")) << cleaned.out;
    EXPECT_TRUE(keys_of_run(control, run_id).empty());

    auto again = run_harness({"cleanup", "--redis", url(), "--run-id", run_id});
    EXPECT_EQ(again.exit_code, 3);
    EXPECT_TRUE(mentions(again.err, "no record of run " + run_id)) << again.err;
}

TEST_F(AfterTheRun, VerifyOfAKeptRunAgreesWithTheRunsOwnVerdict) {
    auto control = connect();
    const std::string run_id = "after-kept";
    auto run = run_harness({"run", workload_path("smoke.json"), "--redis", url(), "--run-id",
                            run_id, "--keep-keys", "--set", "duration_s=2"});
    ASSERT_EQ(run.exit_code, 0) << run.err;
    auto original = run.report();

    auto out = std::filesystem::temp_directory_path() / ("after-kept-" + std::to_string(getpid()));
    auto verified = run_harness({"verify", "--redis", url(), "--run-id", run_id, "--out", out});
    EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;
    auto report = nlohmann::json::parse(read_text_file(out / "report.json"));
    EXPECT_EQ(report["verdict"], "pass");
    EXPECT_EQ(report["summary"]["produced"]["ok"], original["summary"]["produced"]["ok"]);
    EXPECT_TRUE(find_gate(report, "produced_ok_accounted_for")->at("passed").get<bool>());
    for (const std::string group : {"score", "push"}) {
        for (const char* field : {"applied", "lost", "duplicated", "unexpected", "dead_lettered",
                                  "pending_left", "points"}) {
            EXPECT_EQ(report["verification"][group][field], original["verification"][group][field])
                << group << " " << field;
        }
    }
    std::filesystem::remove_all(out);
    EXPECT_EQ(run_harness({"cleanup", "--redis", url(), "--run-id", run_id}).exit_code, 0);
    EXPECT_TRUE(keys_of_run(control, run_id).empty());
}

// Entries trimmed by retention take the proof of what was produced with them: an order
// acknowledged and never applied would be unknown instead of lost, so verify refuses.
TEST_F(AfterTheRun, VerifyRefusesARunThatTrimmedItsStream) {
    auto control = connect();
    const std::string run_id = "after-trimmed";
    auto run = run_harness({"run", workload_path("smoke.json"), "--redis", url(), "--run-id",
                            run_id, "--keep-keys", "--set", "duration_s=2", "--set",
                            "stream.retention.mode=safe"});
    ASSERT_EQ(run.exit_code, 0) << run.err;
    auto verified = run_harness({"verify", "--redis", url(), "--run-id", run_id});
    EXPECT_EQ(verified.exit_code, 2) << verified.out << verified.err;
    EXPECT_TRUE(mentions(verified.err, "trimmed its stream (stream.retention)")) << verified.err;
    EXPECT_EQ(run_harness({"cleanup", "--redis", url(), "--run-id", run_id}).exit_code, 0);
    EXPECT_TRUE(keys_of_run(control, run_id).empty());
}

// What only the run knew cannot pass on Redis's word: a run that failed its own gates, a chaos
// run (which faults landed), an order whose entry and ledger bit are both gone (unknown).
TEST_F(AfterTheRun, VerifyNeverPassesWhatOnlyTheRunCouldShow) {
    auto control = connect();
    auto verify = [&](const std::string& run_id) {
        auto out = std::filesystem::temp_directory_path() /
                   ("after-" + run_id + "-" + std::to_string(getpid()));
        auto verified = run_harness({"verify", "--redis", url(), "--run-id", run_id, "--out", out});
        EXPECT_EQ(verified.exit_code, 1) << verified.out << verified.err;
        auto report = nlohmann::json::parse(read_text_file(out / "report.json"));
        std::filesystem::remove_all(out);
        EXPECT_EQ(run_harness({"cleanup", "--redis", url(), "--run-id", run_id}).exit_code, 0);
        EXPECT_TRUE(keys_of_run(control, run_id).empty());
        return report;
    };
    auto failed = run_harness({"run", workload_path("smoke.json"), "--redis", url(), "--run-id",
                               "after-failed", "--keep-keys", "--set", "duration_s=1", "--set",
                               "gates.min_produced_ok=100000000"});
    ASSERT_EQ(failed.exit_code, 1) << failed.err;
    auto report = verify("after-failed");
    EXPECT_FALSE(find_gate(report, "run_verdict_pass")->at("passed").get<bool>());
    EXPECT_TRUE(find_gate(report, "load_finished")->at("passed").get<bool>());

    auto chaos = run_harness(
        {"run", workload_path("smoke.json"), "--redis", url(), "--run-id", "after-chaos",
         "--keep-keys", "--set", "duration_s=2", "--set", "groups.0.service_time.mean_us=2000",
         "--set", R"(chaos={"events": [{"fault": "kill", "target": "score/any", "at_s": 1}]})"});
    ASSERT_EQ(chaos.exit_code, 0) << chaos.err;
    report = verify("after-chaos");
    EXPECT_FALSE(find_gate(report, "faults_known")->at("passed").get<bool>());

    auto kept = run_harness({"run", workload_path("smoke.json"), "--redis", url(), "--run-id",
                             "after-unknown", "--keep-keys", "--set", "duration_s=1"});
    ASSERT_EQ(kept.exit_code, 0) << kept.err;
    // The last order's entry goes, and with it every trace that it was ever applied.
    auto stream = whole_stream(control, run_key("after-unknown", "stream"));
    ASSERT_FALSE(stream.empty());
    const auto& last = stream.back();
    auto last_order = *redis::find_field(last.fields, "orderno");
    ASSERT_EQ(integer(control, {"XDEL", run_key("after-unknown", "stream"), last.id}), 1);
    for (const std::string group : {"score", "push"}) {
        integer(control, {"SETBIT", run_key("after-unknown", "acked:" + group), last_order, "0"});
    }
    report = verify("after-unknown");
    const auto* accounted = find_gate(report, "produced_ok_accounted_for");
    ASSERT_NE(accounted, nullptr) << report["gates"].dump();
    EXPECT_EQ(accounted->at("limit").get<double>(),
              kept.report()["summary"]["produced"]["ok"].get<double>());
    EXPECT_EQ(accounted->at("actual").get<double>(), accounted->at("limit").get<double>() - 1);
    EXPECT_FALSE(accounted->at("passed").get<bool>());
}

}  // namespace
}  // namespace sh::testing
