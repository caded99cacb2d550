// Nothing lost when a consumer dies (issue 3): claiming orphans, own-PEL replay, dead letters,
// consumer hygiene, and the gate failing when recovery is missing or the stream is trimmed
// unsafely. Every test runs the real binary against a real redis-server and reads Redis back.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <set>
#include <thread>

#include "harness/errors.hpp"
#include "harness/measure/clock.hpp"
#include "harness/model/order.hpp"
#include "harness/redis/streams.hpp"
#include "tests/support/harness_process.hpp"
#include "tests/support/redis_fixture.hpp"

using nlohmann::json;
using sh::testing::BackgroundHarness;
using sh::testing::find_worker_pid;
using sh::testing::run_harness;
using sh::testing::write_temp_file;

namespace {

constexpr int min_idle_ms = 300;
constexpr int claim_interval_ms = 100;
constexpr int service_ms = 20;

// One group "score" of two slow consumers under a steady load, so a consumer almost always
// holds a batch it is working on.
json recovery_workload() {
    return json::parse(R"({
      "name": "recovery", "duration_s": 3, "seed": 11, "drain_timeout_s": 20,
      "stream": {"name": "ordermq", "payload_bytes": 16},
      "producers": {"count": 1, "rate": 60, "pipeline": 4},
      "groups": [{
        "name": "score", "consumers": 2, "effect": "points", "batch": 10, "block_ms": 50,
        "service_time": {"distribution": "constant", "mean_us": 20000},
        "claim": {"interval_ms": 100, "min_idle_ms": 300, "max_deliveries": 5},
        "restart": "never"
      }]
    })");
}

std::string stream_key(const std::string& run_id) {
    return "sh:{" + run_id + ":ordermq:0}:stream";
}

std::string run_key(const std::string& run_id, const std::string& suffix) {
    return "sh:{" + run_id + ":ordermq:0}:" + suffix;
}

template <typename Predicate>
bool wait_until(Predicate predicate, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (predicate()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return predicate();
}

std::set<std::string> pending_ids(sh::redis::Connection& connection, const std::string& key,
                                  const std::string& group, const std::string& consumer = {}) {
    std::set<std::string> ids;
    for (const auto& entry : sh::redis::xpending(connection, key, group, 0, 100000, consumer)) {
        ids.insert(entry.id);
    }
    return ids;
}

struct Kill {
    std::set<std::string> held;  // what the consumer held pending when it died
    std::int64_t at_ns = 0;
};

// Waits until the consumer holds pending entries, SIGKILLs it, and returns what it held.
Kill kill_while_pending(sh::redis::Connection& connection, const std::string& run_id,
                        const std::string& consumer) {
    auto key = stream_key(run_id);
    bool holding = wait_until(
        [&] {
            try {
                return !pending_ids(connection, key, "score", consumer).empty();
            } catch (const sh::RedisError&) {
                return false;  // the stream or group does not exist yet
            }
        },
        std::chrono::seconds(10));
    EXPECT_TRUE(holding) << consumer << " never held pending entries";
    pid_t pid = find_worker_pid(run_id, consumer);
    EXPECT_GT(pid, 0) << "no worker process for " << consumer;
    Kill kill;
    ::kill(pid, SIGKILL);
    kill.at_ns = sh::measure::monotonic_ns();
    // Let Redis finish any command the worker sent before it died, then read what it holds.
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    kill.held = pending_ids(connection, key, "score", consumer);
    return kill;
}

// Waits until none of the entries is pending in the group any more (someone acknowledged it).
bool wait_until_acknowledged(sh::redis::Connection& connection, const std::string& key,
                             const std::set<std::string>& held) {
    return wait_until(
        [&] {
            auto pending = pending_ids(connection, key, "score");
            return std::none_of(held.begin(), held.end(),
                                [&](const std::string& id) { return pending.count(id) > 0; });
        },
        std::chrono::seconds(10));
}

const json& consumer_counters(const json& report, const std::string& name) {
    for (const auto& consumer : report["consumers"]) {
        if (consumer["name"] == name) return consumer["counters"];
    }
    throw std::runtime_error("no consumer " + name + " in the report");
}

}  // namespace

class Recovery : public sh::testing::RedisTest {
  protected:
    struct KilledRun {
        BackgroundHarness harness;
        Kill kill;
    };

    // Starts the workload against the suite's server and SIGKILLs `consumer` mid-batch.
    static KilledRun start_and_kill(sh::redis::Connection& connection, const json& workload,
                                    const std::string& run_id, const std::string& consumer,
                                    bool keep_keys) {
        auto path = write_temp_file(run_id + ".json", workload.dump());
        std::vector<std::string> args{"run", path, "--redis", url(), "--run-id", run_id};
        if (keep_keys) args.push_back("--keep-keys");
        BackgroundHarness harness(args, {});
        auto kill = kill_while_pending(connection, run_id, consumer);
        return {std::move(harness), std::move(kill)};
    }

    // Deletes every key of a run kept with --keep-keys (SCAN over its hash tag: this is the
    // test's own server).
    static void delete_run_keys(sh::redis::Connection& connection, const std::string& run_id) {
        std::string cursor = "0";
        do {
            auto reply = connection.command(
                {"SCAN", cursor, "MATCH", "sh:{" + run_id + ":*", "COUNT", "1000"});
            sh::redis::ReplyView view(reply.get());
            cursor = std::string(view.element(0).text());
            for (std::size_t i = 0; i < view.element(1).size(); ++i) {
                connection.command({"UNLINK", std::string(view.element(1).element(i).text())});
            }
        } while (cursor != "0");
    }
};

TEST_F(Recovery, KilledConsumersEntriesAreAcknowledgedByItsGroupWithinMinIdlePlusTwoIntervals) {
    std::string run_id = "claim-test";
    auto connection = connect();
    auto [harness, kill] =
        start_and_kill(connection, recovery_workload(), run_id, "score-1-1", false);
    ASSERT_FALSE(kill.held.empty());

    auto key = stream_key(run_id);
    bool recovered = wait_until_acknowledged(connection, key, kill.held);
    auto recovery_ms = (sh::measure::monotonic_ns() - kill.at_ns) / 1'000'000;
    ASSERT_TRUE(recovered);
    // Idle time starts at delivery, before the kill: min_idle + 2 intervals bounds the claim,
    // then the claimed batch takes its service time; 300 ms covers polling and scheduling.
    auto bound_ms =
        min_idle_ms + 2 * claim_interval_ms + static_cast<int>(kill.held.size()) * service_ms + 300;
    EXPECT_LE(recovery_ms, bound_ms) << kill.held.size() << " entries";
    RecordProperty("recovery_ms", static_cast<int>(recovery_ms));
    RecordProperty("held", static_cast<int>(kill.held.size()));

    auto run = harness.finish();
    ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
    auto report = run.report();
    const auto& verdict = report["verification"]["score"];
    EXPECT_EQ(verdict["lost"], 0);
    EXPECT_EQ(verdict["duplicated"], 0);
    EXPECT_EQ(verdict["pending_left"], 0);
    EXPECT_EQ(verdict["applied_ok"], report["summary"]["produced"]["ok"]);
    EXPECT_GE(consumer_counters(report, "score-2-1")["claimed"].get<std::size_t>(),
              kill.held.size());
    EXPECT_GE(
        report["summary"]["groups"]["score"]["latency"]["recovered"]["count"].get<std::size_t>(),
        kill.held.size());
    ASSERT_EQ(report["events"].size(), 1u);
    EXPECT_EQ(report["events"][0]["target"], "score-1-1");
    EXPECT_NE(report["events"][0]["detail"].get<std::string>().find("not restarted"),
              std::string::npos);
}

TEST_F(Recovery, ConsumerRestartedUnderItsOldNameReplaysItsOwnPendingEntries) {
    auto workload = recovery_workload();
    auto& group = workload["groups"][0];
    group["restart"] = "same-name";
    // Nobody may claim within the test: only the replay can recover the entries.
    group["claim"]["min_idle_ms"] = 60000;
    std::string run_id = "replay-test";
    auto connection = connect();
    auto [harness, kill] = start_and_kill(connection, workload, run_id, "score-1-1", false);
    ASSERT_FALSE(kill.held.empty());
    auto key = stream_key(run_id);
    bool recovered = wait_until_acknowledged(connection, key, kill.held);
    EXPECT_TRUE(recovered);

    auto run = harness.finish();
    ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
    auto report = run.report();
    const auto& counters = consumer_counters(report, "score-1-1");
    EXPECT_EQ(counters["starts"], 2);
    EXPECT_GE(counters["replayed"].get<std::size_t>(), kill.held.size());
    EXPECT_EQ(report["summary"]["groups"]["score"]["counters"]["claimed"], 0);
    const auto& verdict = report["verification"]["score"];
    EXPECT_EQ(verdict["lost"], 0);
    EXPECT_EQ(verdict["duplicated"], 0);
    EXPECT_NE(report["events"][0]["detail"].get<std::string>().find("restarted as score-1-1"),
              std::string::npos);
}

TEST_F(Recovery, WithoutAClaimLoopAKilledConsumersEntriesStayPendingAndTheGateFails) {
    auto workload = recovery_workload();
    workload["groups"][0]["claim"]["enabled"] = false;
    workload["drain_timeout_s"] = 2;
    std::string run_id = "noclaim-test";
    auto connection = connect();
    auto [harness, kill] = start_and_kill(connection, workload, run_id, "score-1-1", false);
    ASSERT_FALSE(kill.held.empty());

    auto run = harness.finish();
    EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
    auto report = run.report();
    const auto& verdict = report["verification"]["score"];
    auto held = static_cast<std::int64_t>(kill.held.size());
    EXPECT_EQ(verdict["pending_left"].get<std::int64_t>(), held);
    EXPECT_EQ(verdict["lost"].get<std::int64_t>(), held);
    EXPECT_EQ(report["verdict"], "fail");
    bool pending_gate_failed = false;
    bool drained_gate_failed = false;
    for (const auto& gate : report["gates"]) {
        if (gate["gate"] == "max_pending_left" && !gate["passed"].get<bool>()) {
            pending_gate_failed = gate["actual"].get<std::int64_t>() == held;
        }
        if (gate["gate"] == "drained" && !gate["passed"].get<bool>()) drained_gate_failed = true;
    }
    EXPECT_TRUE(pending_gate_failed);
    EXPECT_TRUE(drained_gate_failed);
    EXPECT_NE(run.out.find("FAILED gate max_lost [score]"), std::string::npos) << run.out;
}

TEST_F(Recovery, PoisonOrdersEndInEveryGroupsDeadLetterStreamAtMaxDeliveries) {
    auto workload = json::parse(R"({
      "name": "poison", "seed": 5, "drain_timeout_s": 20,
      "producers": {"count": 1, "rate": 400, "orders": 300, "poison_ratio": 0.1},
      "groups": [
        {"name": "score", "consumers": 2, "effect": "points", "batch": 20, "block_ms": 50,
         "claim": {"interval_ms": 50, "min_idle_ms": 200, "max_deliveries": 3}},
        {"name": "push", "consumers": 2, "batch": 20, "block_ms": 50,
         "claim": {"interval_ms": 50, "min_idle_ms": 200, "max_deliveries": 3}}
      ]
    })");
    auto path = write_temp_file("poison.json", workload.dump());
    std::string run_id = "poison-test";
    auto run = run_harness({"run", path, "--redis", url(), "--run-id", run_id, "--keep-keys"});
    ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
    auto report = run.report();
    ASSERT_EQ(report["summary"]["produced"]["ok"], 300);

    sh::model::OrderAttributes attributes{5, 1000, 0.1};
    std::set<std::uint64_t> poison;
    for (std::uint64_t seq = 0; seq < 300; ++seq) {
        if (attributes.is_poison(seq)) poison.insert(seq);
    }
    ASSERT_GT(poison.size(), 10u);

    auto connection = connect();
    for (const std::string group : {"score", "push"}) {
        auto reply = connection.command({"XRANGE", run_key(run_id, "dlq:" + group), "-", "+"});
        auto letters = sh::redis::parse_entries(sh::redis::ReplyView(reply.get()));
        std::set<std::uint64_t> dead;
        for (const auto& letter : letters) {
            EXPECT_EQ(*sh::redis::find_field(letter.fields, "reason"), "max-deliveries");
            EXPECT_EQ(*sh::redis::find_field(letter.fields, "deliveries"), "3");
            EXPECT_EQ(*sh::redis::find_field(letter.fields, "group"), group);
            EXPECT_EQ(*sh::redis::find_field(letter.fields, "poison"), "1");
            dead.insert(std::stoull(*sh::redis::find_field(letter.fields, "orderno")));
        }
        EXPECT_EQ(letters.size(), poison.size()) << group;
        EXPECT_EQ(dead, poison) << group;
        const auto& verdict = report["verification"][group];
        EXPECT_EQ(verdict["dead_lettered_poison"], poison.size());
        EXPECT_EQ(verdict["dead_lettered_healthy"], 0);
        EXPECT_EQ(verdict["poison_not_dead_lettered"], 0);
        EXPECT_EQ(verdict["applied"], 300 - poison.size());
        EXPECT_EQ(verdict["lost"], 0);
        EXPECT_EQ(verdict["duplicated"], 0);
        EXPECT_EQ(integer(connection, {"BITCOUNT", run_key(run_id, "acked:" + group)}),
                  static_cast<std::int64_t>(300 - poison.size()));
    }
    delete_run_keys(connection, run_id);
}

TEST_F(Recovery, TransientFailuresSurviveALaterDelivery) {
    auto workload = json::parse(R"({
      "name": "transient", "seed": 9, "drain_timeout_s": 20,
      "producers": {"count": 1, "rate": 400, "orders": 200},
      "groups": [{"name": "score", "consumers": 2, "effect": "points", "batch": 20,
                  "block_ms": 50, "fail_ratio": 0.2,
                  "claim": {"interval_ms": 50, "min_idle_ms": 200, "max_deliveries": 20}}]
    })");
    auto run =
        run_harness({"run", write_temp_file("transient.json", workload.dump()), "--redis", url()});
    ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
    auto report = run.report();
    const auto& verdict = report["verification"]["score"];
    EXPECT_EQ(verdict["applied"], 200);
    EXPECT_EQ(verdict["lost"], 0);
    EXPECT_EQ(verdict["duplicated"], 0);
    EXPECT_EQ(verdict["dead_lettered"], 0);
    const auto& counters = report["summary"]["groups"]["score"]["counters"];
    EXPECT_GT(counters["failures"].get<int>(), 0);
    EXPECT_GE(counters["claimed"].get<int>(), counters["failures"].get<int>());
}

TEST_F(Recovery, MalformedEntryIsDeadLetteredAndNoConsumerCrashes) {
    auto workload = recovery_workload();
    workload["duration_s"] = 2;
    auto path = write_temp_file("malformed.json", workload.dump());
    std::string run_id = "malformed-test";
    BackgroundHarness harness({"run", path, "--redis", url(), "--run-id", run_id, "--keep-keys"},
                              {});
    auto connection = connect();
    auto key = stream_key(run_id);
    ASSERT_TRUE(wait_until(
        [&] {
            return integer(connection, {"XLEN", key}) > 0;
        },
        std::chrono::seconds(10)));
    // Malformed entries of the run carry its stamp (read off its first entry); the unstamped
    // one is someone else's and is left alone (not dead-lettered, not counted).
    auto first = connection.command({"XRANGE", key, "-", "+", "COUNT", "1"});
    auto stamp = *sh::redis::find_field(
        sh::redis::parse_entries(sh::redis::ReplyView(first.get()))[0].fields, "run");
    connection.command({"XADD", key, "*", "run", stamp, "orderno", "not-a-number", "user", "x"});
    connection.command({"XADD", key, "*", "run", stamp, "garbage", "1"});
    connection.command({"XADD", key, "*", "garbage", "not ours"});
    auto run = harness.finish();
    ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
    auto report = run.report();
    const auto& verdict = report["verification"]["score"];
    EXPECT_EQ(verdict["dead_letter_reasons"]["malformed"], 2);
    EXPECT_EQ(verdict["dead_lettered_unattributed"], 2);
    EXPECT_EQ(verdict["lost"], 0);
    EXPECT_EQ(report["summary"]["groups"]["score"]["counters"]["malformed"], 2);
    EXPECT_EQ(report["events"].size(), 0u) << "no worker crashed";
    auto reply = connection.command({"XRANGE", run_key(run_id, "dlq:score"), "-", "+"});
    auto letters = sh::redis::parse_entries(sh::redis::ReplyView(reply.get()));
    ASSERT_EQ(letters.size(), 2u);
    EXPECT_EQ(*sh::redis::find_field(letters[0].fields, "orderno"), "not-a-number");
    EXPECT_EQ(*sh::redis::find_field(letters[1].fields, "garbage"), "1");
    EXPECT_EQ(report["summary"]["groups"]["score"]["counters"]["foreign_skipped"], 1);
    delete_run_keys(connection, run_id);
}

TEST_F(Recovery, IdleConsumersWithNothingPendingAreRemoved) {
    auto workload = recovery_workload();
    workload["duration_s"] = 5;
    workload["groups"][0]["restart"] = "new-name";
    std::string run_id = "hygiene-test";
    auto connection = connect();
    auto [harness, kill] = start_and_kill(connection, workload, run_id, "score-1-1", true);
    ASSERT_FALSE(kill.held.empty());
    auto run = harness.finish();
    ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
    auto report = run.report();
    EXPECT_GE(report["summary"]["groups"]["score"]["counters"]["consumers_removed"].get<int>(), 1);
    std::set<std::string> names;
    for (const auto& consumer :
         sh::redis::xinfo_consumers(connection, stream_key(run_id), "score")) {
        names.insert(consumer.name);
    }
    EXPECT_EQ(names.count("score-1-1"), 0u) << "the dead consumer's name was removed";
    EXPECT_EQ(names.count("score-1-2"), 1u) << "its replacement runs under a new name";
    EXPECT_EQ(report["verification"]["score"]["lost"], 0);
    delete_run_keys(connection, run_id);
}

TEST_F(Recovery, SharedConsumerNameOfTheSeedMakesARestartReplayTheOtherInstancesEntries) {
    // The seed's consumers: one name for both instances, ack after processing, no claim loop.
    auto workload = recovery_workload();
    auto& group = workload["groups"][0];
    group["naming"] = "shared";
    group["ack"] = "after";
    group["claim"]["enabled"] = false;
    group["restart"] = "same-name";
    group["service_time"]["mean_us"] = 50000;
    std::string run_id = "shared-test";
    auto connection = connect();
    auto [harness, kill] = start_and_kill(connection, workload, run_id, "consumer-score", true);
    ASSERT_FALSE(kill.held.empty());
    auto run = harness.finish();
    EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
    auto report = run.report();
    const auto& verdict = report["verification"]["score"];

    // Redis sees one consumer where two instances run: nobody can tell whose entries are whose.
    auto consumers = sh::redis::xinfo_consumers(connection, stream_key(run_id), "score");
    ASSERT_EQ(consumers.size(), 1u);
    EXPECT_EQ(consumers[0].name, "consumer-score");
    EXPECT_EQ(integer(connection, {"HLEN", run_key(run_id, "shares:score")}), 1);

    // The restarted instance replayed the shared pending list, including the batch the live
    // instance was still working on: those orders were applied twice. The verifier's counts are
    // exactly the ledger's.
    auto duplicated = integer(connection, {"HLEN", run_key(run_id, "dup:score")});
    EXPECT_GT(duplicated, 0);
    EXPECT_EQ(verdict["duplicated"].get<std::int64_t>(), duplicated);
    auto extra = connection.command({"HVALS", run_key(run_id, "dup:score")});
    std::int64_t extra_total = 0;
    sh::redis::ReplyView extra_view(extra.get());
    for (std::size_t i = 0; i < extra_view.size(); ++i) {
        extra_total += extra_view.element(i).integer_text();
    }
    EXPECT_EQ(verdict["extra_applications"].get<std::int64_t>(), extra_total);
    EXPECT_EQ(verdict["lost"], 0);
    std::size_t replayed = 0;
    for (const auto& consumer : report["consumers"]) {
        replayed += consumer["counters"]["replayed"].get<std::size_t>();
    }
    EXPECT_GE(replayed, kill.held.size());
    delete_run_keys(connection, run_id);
}

namespace {
// One slow consumer behind a fast producer: a backlog builds up in the stream.
json backlog_workload(const std::string& retention_mode) {
    auto workload = json::parse(R"({
      "name": "retention", "seed": 3, "drain_timeout_s": 20,
      "stream": {"name": "ordermq", "payload_bytes": 16,
                 "retention": {"max_len": 50, "interval_ms": 100}},
      "producers": {"count": 1, "rate": 300, "orders": 400},
      "groups": [{"name": "score", "consumers": 1, "effect": "points", "batch": 10,
                  "block_ms": 50, "service_time": {"distribution": "constant", "mean_us": 5000},
                  "claim": {"interval_ms": 100, "min_idle_ms": 1000, "max_deliveries": 5}}]
    })");
    workload["stream"]["retention"]["mode"] = retention_mode;
    return workload;
}
}  // namespace

TEST_F(Recovery, UnsafeTrimmingUnderBacklogIsReportedAsLostOrders) {
    auto path = write_temp_file("unsafe-trim.json", backlog_workload("unsafe").dump());
    std::string run_id = "unsafe-trim-test";
    auto run = run_harness({"run", path, "--redis", url(), "--run-id", run_id, "--keep-keys"});
    EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
    auto report = run.report();
    const auto& verdict = report["verification"]["score"];
    auto connection = connect();
    auto applied = integer(connection, {"BITCOUNT", run_key(run_id, "acked:score")});
    auto produced = report["summary"]["produced"]["ok"].get<std::int64_t>();
    ASSERT_EQ(produced, 400);
    EXPECT_GT(report["summary"]["retention"]["trimmed"].get<std::int64_t>(), 0);
    EXPECT_GT(verdict["lost"].get<std::int64_t>(), 0);
    EXPECT_EQ(verdict["lost"].get<std::int64_t>(), produced - applied);
    EXPECT_EQ(verdict["applied"].get<std::int64_t>(), applied);
    delete_run_keys(connection, run_id);
}

TEST_F(Recovery, SafeTrimmingUnderBacklogLosesNothing) {
    auto path = write_temp_file("safe-trim.json", backlog_workload("safe").dump());
    auto run = run_harness({"run", path, "--redis", url()});
    ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
    auto report = run.report();
    const auto& verdict = report["verification"]["score"];
    EXPECT_GT(report["summary"]["retention"]["trimmed"].get<std::int64_t>(), 0);
    EXPECT_EQ(verdict["lost"], 0);
    EXPECT_EQ(verdict["applied"], 400);
    EXPECT_EQ(report["summary"]["groups"]["score"]["counters"]["deleted_entries"], 0);
}

TEST_F(Recovery, SeedWorkloadPassesWithClaimingAndDeadLettersInBothGroups) {
    auto run = run_harness(
        {"run", sh::testing::workload_path("orders.json"), "--set", "duration_s=5", "--set",
         "producers.poison_ratio=0.002", "--set", "groups.0.claim.min_idle_ms=300", "--set",
         "groups.1.claim.min_idle_ms=300", "--set", "groups.0.claim.interval_ms=100", "--set",
         "groups.1.claim.interval_ms=100"});
    ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
    auto report = run.report();
    sh::model::OrderAttributes attributes{20200425, 1000, 0.002};
    auto allocated = report["summary"]["produced"]["allocated"].get<std::uint64_t>();
    std::uint64_t poison = 0;
    for (std::uint64_t seq = 0; seq < allocated; ++seq) poison += attributes.is_poison(seq) ? 1 : 0;
    ASSERT_GT(poison, 0u);
    for (const auto* group : {"score", "push"}) {
        const auto& verdict = report["verification"][group];
        EXPECT_EQ(verdict["lost"], 0) << group;
        EXPECT_EQ(verdict["duplicated"], 0) << group;
        EXPECT_EQ(verdict["dead_lettered_poison"], poison) << group;
        EXPECT_EQ(verdict["applied"].get<std::uint64_t>() + poison,
                  report["summary"]["produced"]["ok"].get<std::uint64_t>())
            << group;
    }
}

TEST_F(Recovery, WithoutADeliveryLimitOrphansAreTakenWithXautoclaim) {
    auto workload = recovery_workload();
    workload["groups"][0]["claim"]["max_deliveries"] = 0;
    std::string run_id = "autoclaim-test";
    auto connection = connect();
    auto [harness, kill] = start_and_kill(connection, workload, run_id, "score-1-1", false);
    ASSERT_FALSE(kill.held.empty());
    EXPECT_TRUE(wait_until_acknowledged(connection, stream_key(run_id), kill.held));
    auto run = harness.finish();
    ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
    auto report = run.report();
    const auto& verdict = report["verification"]["score"];
    EXPECT_EQ(verdict["lost"], 0);
    EXPECT_EQ(verdict["duplicated"], 0);
    EXPECT_EQ(verdict["dead_lettered"], 0);
    EXPECT_GE(consumer_counters(report, "score-2-1")["claimed"].get<std::size_t>(),
              kill.held.size());
}
