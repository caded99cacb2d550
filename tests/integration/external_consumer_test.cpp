// A user's consumer process (issue 12): the reference consumers in examples/consumers/, run for
// real as the shipped workloads run them, killed, paused, stopped and disconnected by the chaos
// controller, and judged from what Redis holds. Every count asserted here is read back from
// the run's keys (kept with --keep-keys), not taken from the report alone.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "harness/redis/reply.hpp"
#include "tests/support/harness_process.hpp"
#include "tests/support/redis_fixture.hpp"
#include "tests/support/run_inspection.hpp"

using nlohmann::json;
using sh::testing::events_of;
using sh::testing::find_gate;
using sh::testing::run_harness;
using sh::testing::run_key;
using sh::testing::workload_path;

class ExternalConsumer : public sh::testing::RedisTest {
  protected:
    // The shipped workload, run on the suite's server with the run's keys kept.
    sh::testing::HarnessRun run_shipped(const std::string& workload, const std::string& run_id,
                                        const std::vector<std::string>& overrides) {
        std::vector<std::string> args = {
            "run", workload_path(workload), "--redis", url(), "--run-id", run_id, "--keep-keys"};
        for (const auto& assignment : overrides) {
            args.push_back("--set");
            args.push_back(assignment);
        }
        return run_harness(args);
    }

    void TearDown() override {
        auto connection = connect();
        for (const auto& run_id : run_ids_) {
            sh::testing::delete_keys(connection, sh::testing::keys_of_run(connection, run_id));
        }
    }

    std::string new_run(const std::string& run_id) {
        run_ids_.push_back(run_id);
        return run_id;
    }

  private:
    std::vector<std::string> run_ids_;
};

namespace {

// What the run's keys say about one group, read from Redis.
struct GroupState {
    std::map<std::uint64_t, std::int64_t> applications;  // orderno -> HINCRBY total
    std::set<std::uint64_t> dead_lettered;
    std::set<std::uint64_t> pending;  // order numbers still pending in the group
    std::int64_t extra_applications() const {
        std::int64_t extra = 0;
        for (const auto& [seq, count] : applications) extra += count > 1 ? count - 1 : 0;
        return extra;
    }
    std::uint64_t duplicated() const {
        std::uint64_t orders = 0;
        for (const auto& [seq, count] : applications) orders += count > 1 ? 1 : 0;
        return orders;
    }
};

// The run's orders in its stream: order number -> poison or not.
std::map<std::uint64_t, bool> orders_in_stream(sh::redis::Connection& connection,
                                               const std::string& run_id) {
    std::map<std::uint64_t, bool> orders;
    for (const auto& entry : sh::testing::whole_stream(connection, run_key(run_id, "stream"))) {
        const auto* orderno = sh::redis::find_field(entry.fields, "orderno");
        const auto* poison = sh::redis::find_field(entry.fields, "poison");
        orders[std::stoull(*orderno)] = poison != nullptr && *poison == "1";
    }
    return orders;
}

GroupState read_group(sh::redis::Connection& connection, const std::string& run_id,
                      const std::string& group) {
    GroupState state;
    auto all = connection.command({"HGETALL", run_key(run_id, "applied:" + group)});
    sh::redis::ReplyView view(all.get());
    for (std::size_t i = 0; i + 1 < view.size(); i += 2) {
        state.applications[std::stoull(std::string(view.element(i).text()))] =
            std::stoll(std::string(view.element(i + 1).text()));
    }
    for (const auto& letter :
         sh::testing::whole_stream(connection, run_key(run_id, "dlq:" + group))) {
        state.dead_lettered.insert(std::stoull(*sh::redis::find_field(letter.fields, "orderno")));
    }
    auto stream = run_key(run_id, "stream");
    for (const auto& pending : sh::redis::xpending(connection, stream, group, 0, 1'000'000)) {
        auto entry = connection.command({"XRANGE", stream, pending.id, pending.id});
        for (const auto& found : sh::redis::parse_entries(sh::redis::ReplyView(entry.get()))) {
            state.pending.insert(std::stoull(*sh::redis::find_field(found.fields, "orderno")));
        }
    }
    return state;
}

bool passed(const json& report, const std::string& gate, const std::string& scope) {
    const auto* found = find_gate(report, gate, scope);
    EXPECT_NE(found, nullptr) << gate << " " << scope;
    return found != nullptr && (*found)["passed"].get<bool>();
}

}  // namespace

// exactly_once.py under kills (same and new names), pauses longer than min-idle (its entries
// are claimed and applied by another consumer while it sleeps), disconnects found from its
// own sockets, and graceful stops: every healthy order applied exactly once, every poison
// order dead-lettered, nothing left pending.
TEST_F(ExternalConsumer, ExactlyOnceSurvivesKillsPausesDisconnectsAndStops) {
    auto run_id = new_run("ext-exactly-once");
    auto run = run_shipped("external-exactly-once.json", run_id,
                           {"duration_s=10", "producers.poison_ratio=0.01"});
    ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
    auto report = run.report();
    EXPECT_EQ(report["verdict"], "pass");
    EXPECT_GE(events_of(report, "kill").size(), 2u) << run.out;
    EXPECT_GE(events_of(report, "pause").size(), 1u) << run.out;
    EXPECT_GE(events_of(report, "stop").size(), 1u) << run.out;
    auto disconnects = events_of(report, "disconnect");
    ASSERT_GE(disconnects.size(), 1u) << run.out;
    for (const auto& disconnect : disconnects) {
        EXPECT_GE(disconnect["connections_killed"].get<int>(), 1);
        EXPECT_FALSE(disconnect.contains("window")) << "an external consumer publishes none";
    }

    auto connection = connect();
    auto orders = orders_in_stream(connection, run_id);
    std::uint64_t poison = 0;
    for (const auto& [seq, is_poison] : orders) poison += is_poison ? 1 : 0;
    ASSERT_GT(poison, 0u);
    ASSERT_EQ(orders.size(), report["summary"]["produced"]["ok"].get<std::uint64_t>());
    for (const std::string group : {"score", "push"}) {
        SCOPED_TRACE(group);
        auto state = read_group(connection, run_id, group);
        EXPECT_EQ(state.applications.size(), orders.size() - poison);
        EXPECT_EQ(state.extra_applications(), 0);
        EXPECT_EQ(state.dead_lettered.size(), poison);
        for (const auto& seq : state.dead_lettered) EXPECT_TRUE(orders.at(seq)) << seq;
        EXPECT_TRUE(state.pending.empty());
        const auto& verdict = report["verification"][group];
        EXPECT_EQ(verdict["applied"], state.applications.size());
        EXPECT_EQ(verdict["lost"], 0);
        EXPECT_EQ(verdict["duplicated"], 0);
        EXPECT_EQ(verdict["unexpected"], 0);
        EXPECT_EQ(verdict["stuck"], 0);
        EXPECT_EQ(verdict["dead_lettered_poison"], poison);
        EXPECT_EQ(verdict["dead_lettered_healthy"], 0);
        EXPECT_EQ(report["summary"]["groups"][group]["consumer"], "external");
        EXPECT_TRUE(report["summary"]["groups"][group]["latency"].is_null());
    }
    // The disconnected consumers carried on without exiting (redis-py reconnects a pooled
    // connection killed while idle on its own; one killed mid-command is the consumer's own
    // "lost Redis" retry): their work is in the counts above.
    for (const auto& disconnect : disconnects) {
        for (const auto& exit : events_of(report, "worker-exit")) {
            EXPECT_NE(exit["target"], disconnect["target"]) << exit.dump();
        }
    }
}

// at_least_once.py applies, then acknowledges. A hard kill between the two leaves applied
// orders pending and the claim applies them again: the default gates fail the run. Each
// duplicate is one a kill explains (the orders the killed consumer held), none other.
TEST_F(ExternalConsumer, AtLeastOnceFailsWithDuplicatesThatOnlyHardKillsExplain) {
    auto run_id = new_run("ext-at-least-once-kills");
    auto run = run_shipped("external-at-least-once.json", run_id,
                           // Faster than the consumers (3 x 200 orders/s at 5 ms each): full
                           // batches, so every kill finds orders applied and not yet acknowledged.
                           {"duration_s=8", "producers.rate=800",
                            "chaos.events=[{\"fault\":\"kill\",\"target\":\"score/any\","
                            "\"every_s\":1,\"start_s\":1,\"restart\":\"new-name\"}]"});
    ASSERT_EQ(run.exit_code, 1) << run.out << run.err;
    auto report = run.report();
    ASSERT_GE(events_of(report, "kill").size(), 3u) << run.out;
    auto connection = connect();
    auto orders = orders_in_stream(connection, run_id);
    auto state = read_group(connection, run_id, "score");
    const auto& verdict = report["verification"]["score"];
    // Each kill held a batch it had partly applied: bounds, not an exact count, since how much
    // of a batch was applied when the kill came is up to timing.
    EXPECT_GE(state.duplicated(), 1u);
    EXPECT_EQ(verdict["duplicated"], state.duplicated());
    EXPECT_EQ(verdict["extra_applications"], state.extra_applications());
    EXPECT_EQ(verdict["duplicated_after_hard_kill"], state.duplicated());
    EXPECT_EQ(verdict["duplicated_without_hard_kill"], 0);
    EXPECT_EQ(verdict["lost"], 0);
    EXPECT_EQ(state.applications.size(), orders.size());
    EXPECT_FALSE(passed(report, "max_duplicated", "score"));
    EXPECT_TRUE(passed(report, "max_duplicated_without_hard_kill", "score"));
    EXPECT_NE(run.out.find("FAILED gate max_duplicated [score]"), std::string::npos) << run.out;
}

// The same consumer under graceful stops only: SIGTERM lets it finish and acknowledge its
// batch, so nothing is applied twice and the run passes with the default gates.
TEST_F(ExternalConsumer, AtLeastOncePassesUnderGracefulStops) {
    auto run_id = new_run("ext-at-least-once-stops");
    auto run = run_shipped("external-at-least-once.json", run_id,
                           {"duration_s=6",
                            "chaos.events=[{\"fault\":\"stop\",\"target\":\"score/any\","
                            "\"every_s\":1,\"start_s\":1,\"restart\":\"new-name\"}]"});
    ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
    auto report = run.report();
    auto stops = events_of(report, "stop");
    ASSERT_GE(stops.size(), 3u) << run.out;
    for (const auto& stop : stops) EXPECT_EQ(stop["exit"], "exited with 0") << stop.dump();
    auto connection = connect();
    auto orders = orders_in_stream(connection, run_id);
    auto state = read_group(connection, run_id, "score");
    EXPECT_EQ(state.applications.size(), orders.size());
    EXPECT_EQ(state.extra_applications(), 0);
    EXPECT_TRUE(state.pending.empty());
    EXPECT_EQ(report["verification"]["score"]["duplicated"], 0);
}

// seed_naive.py, the tutorial's listener: one shared consumer name, no claim loop, no replay.
// What a killed instance held stays pending under the shared name forever; the run fails with
// those orders lost, pending and stuck, and the report names the consumer that holds them.
TEST_F(ExternalConsumer, SeedNaiveFailsWithEntriesStuckPendingUnderTheSharedName) {
    auto run_id = new_run("ext-seed-naive");
    auto run =
        run_shipped("external-seed-naive.json", run_id, {"duration_s=10", "drain_timeout_s=4"});
    ASSERT_EQ(run.exit_code, 1) << run.out << run.err;
    auto report = run.report();
    ASSERT_GE(events_of(report, "kill").size(), 1u) << run.out;
    auto connection = connect();
    auto state = read_group(connection, run_id, "score");
    const auto& verdict = report["verification"]["score"];
    ASSERT_FALSE(state.pending.empty());
    EXPECT_EQ(verdict["pending_left"], state.pending.size());
    std::uint64_t pending_unapplied = 0;
    for (auto seq : state.pending) pending_unapplied += state.applications.count(seq) ? 0 : 1;
    EXPECT_EQ(verdict["lost"], pending_unapplied);
    EXPECT_GE(verdict["lost"].get<std::uint64_t>(), 1u);
    // Stuck: pending three min-idles and more when the verifier looked; all under one name.
    auto stuck = verdict["stuck"].get<std::uint64_t>();
    EXPECT_GE(stuck, 1u);
    EXPECT_LE(stuck, state.pending.size());
    EXPECT_EQ(verdict["stuck_by_consumer"], json({{"consumer-score", stuck}}));
    EXPECT_FALSE(passed(report, "max_stuck", "score"));
    EXPECT_FALSE(passed(report, "max_lost", "score"));
    EXPECT_FALSE(passed(report, "max_pending_left", "score"));
}

// A Redis restart under an external consumer: with aof-always nothing is lost or applied twice
// (its effect and acknowledgement are one script, persisted together); without persistence the
// group is gone, the harness creates it again, the consumer carries on, and every loss is the
// restart's.
TEST_F(ExternalConsumer, ExactlyOnceCarriesOnThroughRedisRestarts) {
    const std::vector<std::string> restart = {
        "duration_s=5", "producers.poison_ratio=0",
        R"(chaos={"events": [{"fault": "redis-restart", "at_s": 2.5}]})",
        "gates.max_produce_failed=null", "gates.max_produce_indeterminate=null"};
    for (const std::string persistence : {"aof-always", "none"}) {
        SCOPED_TRACE(persistence);
        auto overrides = restart;
        overrides.push_back("persistence=" + persistence);
        auto run = run_harness([&] {
            std::vector<std::string> args = {"run", workload_path("external-exactly-once.json")};
            for (const auto& assignment : overrides) args.insert(args.end(), {"--set", assignment});
            return args;
        }());
        auto report = run.report();
        ASSERT_EQ(events_of(report, "redis-restart").size(), 1u) << run.out;
        for (const auto& event : events_of(report, "worker-exit")) {
            EXPECT_EQ(event["detail"].get<std::string>().find("not restarted"), std::string::npos)
                << event.dump();
        }
        for (const std::string group : {"score", "push"}) {
            const auto& verdict = report["verification"][group];
            EXPECT_EQ(verdict["duplicated"], 0) << group;
            EXPECT_EQ(verdict["lost_unattributed"], 0) << group;
            EXPECT_EQ(verdict["lost"], verdict["lost_by_restart"][0]) << group;
            EXPECT_EQ(verdict["pending_left"], 0) << group;
            EXPECT_EQ(verdict["lag_left"], 0) << group;
        }
        if (persistence == "aof-always") {
            EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
            EXPECT_EQ(report["verification"]["score"]["lost"], 0);
        }
    }
}
