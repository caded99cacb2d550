// Trying to make the verdict pass wrongly with an external consumer (issue 12): consumers that
// acknowledge without applying, apply twice, invent orders, dead-letter healthy ones, swallow
// poison or never acknowledge, each a few lines of Python run for real. The verdict rests on
// Redis's state only, so each fails with the exact count of what it did. And consumers that
// cannot start, exit at once or cannot reach Redis stop the run with exit 3, naming the
// command, with the run's keys removed.
#include <gtest/gtest.h>

#include "tests/support/harness_process.hpp"
#include "tests/support/redis_fixture.hpp"
#include "tests/support/run_inspection.hpp"

using nlohmann::json;
using sh::testing::find_gate;
using sh::testing::keys_of_run;
using sh::testing::run_harness;
using sh::testing::write_temp_file;

class ExternalLiars : public sh::testing::RedisTest {};

namespace {

constexpr std::uint64_t orders = 200;

// A consumer that reads under its given name and does `handle` to each entry (Python, with
// r, stream, group, consumer, applied and dlq in scope, and the entry as i, f).
std::string liar(const std::string& handle, const std::string& at_start = "") {
    return R"(import os, redis
e = os.environ
r = redis.Redis.from_url(e["STREAMHARNESS_REDIS_URL"], decode_responses=True)
stream, group, consumer = e["STREAMHARNESS_STREAM"], e["STREAMHARNESS_GROUP"], e["STREAMHARNESS_CONSUMER"]
applied, dlq = e["STREAMHARNESS_APPLIED_KEY"], e["STREAMHARNESS_DEAD_LETTER_KEY"]
)" + at_start +
           R"(
while True:
    for _, entries in r.xreadgroup(group, consumer, {stream: ">"}, count=50, block=100) or []:
        for i, f in entries:
)" + handle +
           "\n";
}

json workload_with(const std::string& script, const json& gates = json::object(),
                   double poison_ratio = 0) {
    json workload = {
        {"name", "liar"},
        {"duration_s", 0},
        {"seed", 11},
        {"drain_timeout_s", 5},
        {"producers", {{"orders", orders}, {"rate", 400}, {"poison_ratio", poison_ratio}}},
        {"groups",
         {{{"name", "score"},
           {"consumers", 1},
           {"claim", {{"min_idle_ms", 300}, {"interval_ms", 100}}},
           {"consumer", {{"command", {"/usr/bin/python3", "-c", script}}}}}}},
        {"gates", gates}};
    return workload;
}

struct Judged {
    sh::testing::HarnessRun run;
    json verdict;
    json report;
};

}  // namespace

class LiarRun : public ExternalLiars {
  protected:
    Judged judge(const std::string& name, const json& workload) {
        std::string run_id = "liar-" + name;
        auto run = run_harness({"run", write_temp_file(name + ".json", workload.dump()), "--redis",
                                url(), "--run-id", run_id});
        auto report = run.report();
        auto connection = connect();
        EXPECT_TRUE(keys_of_run(connection, run_id).empty()) << "the run cleans up after itself";
        auto verdict = report["verification"]["score"];
        return {std::move(run), std::move(verdict), std::move(report)};
    }

    static bool failed(const json& report, const std::string& gate) {
        const auto* found = find_gate(report, gate, "score");
        EXPECT_NE(found, nullptr) << gate;
        return found != nullptr && !(*found)["passed"].get<bool>();
    }
};

TEST_F(LiarRun, AcknowledgingWithoutApplyingLosesEveryOrder) {
    auto judged = judge("ack-only", workload_with(liar("            r.xack(stream, group, i)")));
    EXPECT_EQ(judged.run.exit_code, 1) << judged.run.out << judged.run.err;
    EXPECT_EQ(judged.verdict["lost"], orders);
    EXPECT_EQ(judged.verdict["applied"], 0);
    EXPECT_EQ(judged.verdict["pending_left"], 0);
    EXPECT_TRUE(failed(judged.report, "max_lost"));
}

// Even with duplicates allowed (an at-least-once consumer's setting), a duplicate no hard kill
// explains fails the run: there were no kills at all.
TEST_F(LiarRun, ApplyingTwiceWithoutAnyKillFailsEvenWhenDuplicatesAreAllowed) {
    auto judged =
        judge("apply-twice", workload_with(liar(R"(            r.hincrby(applied, f["orderno"], 1)
            r.hincrby(applied, f["orderno"], 1)
            r.xack(stream, group, i))"),
                                           {{"max_duplicated", nullptr}}));
    EXPECT_EQ(judged.run.exit_code, 1) << judged.run.out << judged.run.err;
    EXPECT_EQ(judged.verdict["duplicated"], orders);
    EXPECT_EQ(judged.verdict["extra_applications"], orders);
    EXPECT_EQ(judged.verdict["duplicated_without_hard_kill"], orders);
    EXPECT_EQ(judged.verdict["duplicated_after_hard_kill"], 0);
    EXPECT_EQ(judged.verdict["lost"], 0);
    EXPECT_TRUE(failed(judged.report, "max_duplicated_without_hard_kill"));
}

TEST_F(LiarRun, EffectsOfOrdersNeverProducedAreUnexpected) {
    auto judged =
        judge("invent", workload_with(liar(R"(            r.hincrby(applied, f["orderno"], 1)
            r.xack(stream, group, i))",
                                           "r.hincrby(applied, 999999, 1)\n"
                                           "r.hincrby(applied, 'order-7', 1)\n")));
    EXPECT_EQ(judged.run.exit_code, 1) << judged.run.out << judged.run.err;
    EXPECT_EQ(judged.verdict["unexpected"], 2);
    EXPECT_EQ(judged.verdict["applied"], orders);
    EXPECT_EQ(judged.verdict["lost"], 0);
    EXPECT_TRUE(failed(judged.report, "max_unexpected"));
}

TEST_F(LiarRun, ApplyingWithoutAcknowledgingLeavesEveryOrderPending) {
    auto judged =
        judge("no-ack", workload_with(liar("            r.hincrby(applied, f[\"orderno\"], 1)")));
    EXPECT_EQ(judged.run.exit_code, 1) << judged.run.out << judged.run.err;
    EXPECT_EQ(judged.verdict["applied"], orders);
    EXPECT_EQ(judged.verdict["lost"], 0);
    EXPECT_EQ(judged.verdict["pending_left"], orders);
    EXPECT_TRUE(failed(judged.report, "max_pending_left"));
}

TEST_F(LiarRun, DeadLetteringHealthyOrdersFails) {
    auto judged =
        judge("dead-letter-all", workload_with(liar(R"(            r.xack(stream, group, i)
            r.xadd(dlq, {"orderno": f["orderno"], "reason": "gave-up"}))")));
    EXPECT_EQ(judged.run.exit_code, 1) << judged.run.out << judged.run.err;
    EXPECT_EQ(judged.verdict["dead_lettered"], orders);
    EXPECT_EQ(judged.verdict["dead_lettered_healthy"], orders);
    EXPECT_EQ(judged.verdict["applied"], 0);
    EXPECT_TRUE(failed(judged.report, "max_dead_lettered_healthy"));
}

TEST_F(LiarRun, ApplyingPoisonOrdersInsteadOfFailingOnThemFails) {
    auto judged = judge("swallow-poison",
                        workload_with(liar(R"(            r.hincrby(applied, f["orderno"], 1)
            r.xack(stream, group, i))"),
                                      json::object(), 0.1));
    EXPECT_EQ(judged.run.exit_code, 1) << judged.run.out << judged.run.err;
    auto poison = judged.verdict["poison_applied"].get<std::uint64_t>();
    EXPECT_GT(poison, 0u);
    EXPECT_EQ(judged.verdict["poison_not_dead_lettered"], poison);
    EXPECT_EQ(judged.verdict["applied"], orders);
    EXPECT_TRUE(failed(judged.report, "poison_dead_lettered"));
}

// A consumer that hangs with a batch in hand and no one to claim it: its entries are stuck, it
// is named as a consumer that stopped consuming, and nothing after its batch was ever read.
TEST_F(LiarRun, AConsumerThatHangsHoldingABatchIsStalledAndItsEntriesStuck) {
    auto judged = judge("hang", workload_with(liar("            import time; time.sleep(3600)")));
    EXPECT_EQ(judged.run.exit_code, 1) << judged.run.out << judged.run.err;
    auto held = judged.verdict["pending_left"].get<std::uint64_t>();
    ASSERT_GE(held, 1u);
    EXPECT_EQ(judged.verdict["stuck"], held);
    EXPECT_EQ(judged.verdict["stuck_by_consumer"], json({{"score-1-1", held}}));
    EXPECT_EQ(judged.verdict["lag_left"], orders - held);
    EXPECT_EQ(judged.verdict["lost"], orders);
    const auto& stalled = judged.verdict["stalled_consumers"];
    ASSERT_TRUE(stalled.contains("score-1-1")) << stalled.dump();
    EXPECT_GE(stalled["score-1-1"].get<std::int64_t>(), 3 * 300);  // 3 x min_idle_ms
    EXPECT_TRUE(failed(judged.report, "max_stuck"));
}

// ---------------------------------------------------------------- consumers that never run

class BrokenConsumer : public ExternalLiars {
  protected:
    sh::testing::HarnessRun start(const std::string& name, const json& consumer) {
        auto workload = workload_with("");
        workload["groups"][0]["consumer"] = consumer;
        run_id_ = "broken-" + name;
        return run_harness({"run", write_temp_file(name + ".json", workload.dump()), "--redis",
                            url(), "--run-id", run_id_});
    }

    void expect_clean() {
        auto connection = connect();
        EXPECT_TRUE(keys_of_run(connection, run_id_).empty());
    }

  private:
    std::string run_id_;
};

TEST_F(BrokenConsumer, ACommandThatDoesNotExistIsAnEnvironmentErrorNamingIt) {
    auto run = start("missing", {{"command", {"/nonexistent/bin/my-consumer", "--fast"}}});
    EXPECT_EQ(run.exit_code, 3) << run.err;
    EXPECT_NE(run.err.find("consumer score-1-1 of group 'score' (/nonexistent/bin/my-consumer "
                           "--fast) cannot start: cannot find '/nonexistent/bin/my-consumer'"),
              std::string::npos)
        << run.err;
    expect_clean();
}

TEST_F(BrokenConsumer, OneThatExitsAtOnceIsAnEnvironmentErrorPointingAtItsLog) {
    auto run =
        start("exits", {{"command", {"sh", "-c", "echo 'config file missing' >&2; exit 7"}}});
    EXPECT_EQ(run.exit_code, 3) << run.err;
    EXPECT_NE(run.err.find("exited before it read its group (exited with 7)"), std::string::npos)
        << run.err;
    EXPECT_NE(run.err.find("(sh -c echo 'config file missing' >&2; exit 7)"), std::string::npos)
        << run.err;
    auto log = run.out_dir / "logs" / "score-1.log";
    EXPECT_NE(run.err.find(log.string()), std::string::npos) << run.err;
    EXPECT_NE(sh::testing::read_text_file(log).find("config file missing"), std::string::npos);
    expect_clean();
}

TEST_F(BrokenConsumer, OneThatCannotReachRedisTimesOutNamingTheCommand) {
    auto script = std::string(STREAMHARNESS_SOURCE_DIR) + "/examples/consumers/exactly_once.py";
    auto run =
        start("unreachable",
              {{"command",
                {"sh", "-c",
                 "STREAMHARNESS_REDIS_URL=redis://127.0.0.1:1 exec /usr/bin/python3 " + script}},
               {"start_timeout_s", 3}});
    EXPECT_EQ(run.exit_code, 3) << run.err;
    EXPECT_NE(run.err.find("did not read its group within 3 s"), std::string::npos) << run.err;
    EXPECT_NE(run.err.find("exactly_once.py"), std::string::npos) << run.err;
    auto log = sh::testing::read_text_file(run.out_dir / "logs" / "score-1.log");
    EXPECT_NE(log.find("lost Redis"), std::string::npos) << log;
    expect_clean();
}
