// Cluster faults (DESIGN §11) on an embedded Redis Cluster the harness starts: a live shard's
// slot migrated to another primary, a graceful CLUSTER FAILOVER, a SIGKILLed primary with and
// without a replica. The harness runs as a user runs it; the verdicts are asserted from its
// report.
#include <gtest/gtest.h>

#include "tests/support/harness_process.hpp"
#include "tests/support/run_inspection.hpp"

using nlohmann::json;
using sh::testing::events_of;
using sh::testing::find_gate;
using sh::testing::run_harness;
using sh::testing::write_temp_file;

namespace {

// The smoke workload's two groups (atomic ack) over 6 shards on 3 primaries: 6 consumers a
// group, so that every shard has a reader in each.
json cluster_workload(int replicas_per_primary, const json& events) {
    auto workload = json::parse(R"({
      "name": "cluster-chaos", "duration_s": 5, "persistence": "none", "seed": 7,
      "drain_timeout_s": 15,
      "topology": {"cluster": {"primaries": 3, "node_timeout_ms": 1000}},
      "stream": {"name": "ordermq", "payload_bytes": 32, "shards": 6},
      "producers": {"count": 1, "rate": 500, "pipeline": 16, "users": 100},
      "groups": [
        {"name": "score", "consumers": 6, "effect": "points", "batch": 20, "block_ms": 50,
         "claim": {"interval_ms": 100, "min_idle_ms": 300, "max_deliveries": 3}},
        {"name": "push", "consumers": 6, "batch": 20, "block_ms": 50,
         "claim": {"interval_ms": 100, "min_idle_ms": 300, "max_deliveries": 3}}
      ]
    })");
    workload["topology"]["cluster"]["replicas_per_primary"] = replicas_per_primary;
    workload["chaos"] = {{"seed", 1}, {"events", events}};
    return workload;
}

std::int64_t count_of(const json& report, const std::string& group, const char* what) {
    return report["verification"][group][what].get<std::int64_t>();
}

void expect_pass_losing_nothing(const json& report) {
    EXPECT_EQ(report["verdict"], "pass");
    // The cluster layer absorbs the redirections: no worker fails on one.
    EXPECT_TRUE(events_of(report, "worker-exit").empty()) << report["events"].dump();
    for (const std::string group : {"score", "push"}) {
        SCOPED_TRACE(group);
        EXPECT_EQ(count_of(report, group, "lost"), 0);
        EXPECT_EQ(count_of(report, group, "duplicated"), 0);
    }
}

// Each group's max_lost gate holds the count its verification reports and passes exactly when
// nothing was lost; the verdict is pass exactly when every gate passed.
void expect_verdict_follows_the_counts(const json& report) {
    bool all_passed = true;
    for (const auto& gate : report["gates"]) all_passed = all_passed && gate["passed"].get<bool>();
    EXPECT_EQ(report["verdict"], all_passed ? "pass" : "fail");
    for (const std::string group : {"score", "push"}) {
        SCOPED_TRACE(group);
        const auto* gate = find_gate(report, "max_lost", group);
        ASSERT_NE(gate, nullptr);
        auto lost = count_of(report, group, "lost");
        EXPECT_EQ(gate->at("actual").get<std::int64_t>(), lost);
        EXPECT_EQ(gate->at("passed").get<bool>(), lost == 0);
    }
}

}  // namespace

TEST(ClusterChaos, LiveShardsSlotsMigrateMidRunWithoutLosingOrDuplicatingAnOrder) {
    auto events = json::parse(R"([
      {"fault": "slot-migration", "target": "shard/2", "at_s": 1.5, "duration_ms": 500},
      {"fault": "slot-migration", "target": "*/any", "every_s": 1, "start_s": 2.2,
       "until_s": 4.5, "duration_ms": 300}
    ])");
    auto run =
        run_harness({"run", write_temp_file("migrate.json", cluster_workload(0, events).dump())});
    ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
    auto report = run.report();
    expect_pass_losing_nothing(report);
    auto migrations = events_of(report, "slot-migration");
    ASSERT_GE(migrations.size(), 3u) << report["events"].dump();
    EXPECT_EQ(migrations[0]["shard"], 2);
    for (const auto& migration : migrations) {
        SCOPED_TRACE(migration.dump());
        EXPECT_GT(migration["keys_moved"].get<std::int64_t>(), 0);
        EXPECT_NE(migration["from"], migration["to"]);
        EXPECT_GE(migration["migration_ms"].get<std::int64_t>(), 0);
    }
    // Clients met the moved slots: ASK while a slot was open, MOVED after it was handed over.
    const auto& retries = report["cluster"]["retries"]["total"];
    EXPECT_GT(retries["ask"].get<std::int64_t>(), 0) << retries.dump();
    EXPECT_GT(retries["moved"].get<std::int64_t>(), 0) << retries.dump();
}

TEST(ClusterChaos, GracefulFailoverOfAShardsPrimaryLosesNothing) {
    auto events = json::parse(R"([
      {"fault": "cluster-failover", "target": "shard/1", "at_s": 2, "mode": "graceful"}
    ])");
    auto run = run_harness(
        {"run", write_temp_file("cluster-failover.json", cluster_workload(1, events).dump())});
    ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
    auto report = run.report();
    expect_pass_losing_nothing(report);
    auto failovers = events_of(report, "cluster-failover");
    ASSERT_EQ(failovers.size(), 1u) << report["events"].dump();
    const auto& failover = failovers[0];
    EXPECT_EQ(failover["shard"], 1);
    EXPECT_EQ(failover["mode"], "graceful");
    EXPECT_NE(failover["old_primary"], failover["new_primary"]);
    EXPECT_GE(failover["to_new_primary_ms"].get<std::int64_t>(), 0);
    EXPECT_GT(failover["order_watermark"].get<std::uint64_t>(), 0u);
    // The old primary, now a replica, sent its clients on: MOVED, or UNBLOCKED for a blocked read.
    const auto& retries = report["cluster"]["retries"]["total"];
    EXPECT_GT(
        retries["moved"].get<std::int64_t>() + retries["readonly_unblocked"].get<std::int64_t>(), 0)
        << retries.dump();
}

// Asynchronous replication: the replica promoted may miss what the killed primary acknowledged
// last, and the run must then fail on exactly that count. The cluster is gone after the run, so
// the report's counts are checked against each other rather than against the streams.
TEST(ClusterChaos, AKilledPrimaryIsReplacedByItsReplicaAndTheVerdictFollowsTheCounts) {
    auto events = json::parse(R"([{"fault": "node-kill", "target": "shard/0", "at_s": 1.5}])");
    auto workload = cluster_workload(1, events);
    workload["gates"] = {{"max_produce_failed", nullptr}, {"max_produce_indeterminate", nullptr}};
    auto run = run_harness({"run", write_temp_file("node-kill.json", workload.dump())});
    ASSERT_TRUE(run.exit_code == 0 || run.exit_code == 1) << run.out << run.err;
    auto report = run.report();
    auto kills = events_of(report, "node-kill");
    ASSERT_EQ(kills.size(), 1u) << report["events"].dump();
    const auto& kill = kills[0];
    EXPECT_EQ(kill["shard"], 0);
    ASSERT_TRUE(kill.contains("new_primary")) << kill.dump();
    EXPECT_NE(kill["old_primary"], kill["new_primary"]);
    EXPECT_GT(kill["to_new_primary_ms"].get<std::int64_t>(), 0);
    EXPECT_TRUE(kill.contains("restart_ms")) << kill.dump();  // back, as a replica
    // The run went on after the kill: orders were acknowledged after the watermark.
    EXPECT_GT(report["summary"]["produced"]["ok"].get<std::uint64_t>(),
              kill["order_watermark"].get<std::uint64_t>());
    expect_verdict_follows_the_counts(report);
    EXPECT_EQ(run.exit_code, report["verdict"] == "pass" ? 0 : 1);
}

TEST(ClusterChaos, AKilledPrimaryWithoutReplicaOrPersistenceLosesItsShardsAndFailsTheRun) {
    auto events = json::parse(
        R"([{"fault": "node-kill", "target": "shard/0", "at_s": 2, "duration_ms": 1000}])");
    auto workload = cluster_workload(0, events);
    workload["gates"] = {{"max_produce_failed", nullptr}, {"max_produce_indeterminate", nullptr}};
    auto run = run_harness({"run", write_temp_file("node-kill-alone.json", workload.dump())});
    ASSERT_EQ(run.exit_code, 1) << run.out << run.err;
    auto report = run.report();
    EXPECT_EQ(report["verdict"], "fail");
    auto kills = events_of(report, "node-kill");
    ASSERT_EQ(kills.size(), 1u) << report["events"].dump();
    EXPECT_FALSE(kills[0].contains("new_primary")) << kills[0].dump();
    EXPECT_TRUE(kills[0].contains("restart_ms")) << kills[0].dump();
    EXPECT_GT(count_of(report, "score", "lost") + count_of(report, "push", "lost"), 0);
    expect_verdict_follows_the_counts(report);
}

TEST(ClusterChaos, AClusterFaultWithoutTopologyClusterIsRefusedNamingTheField) {
    auto workload = cluster_workload(0, json::parse(R"([{"fault": "slot-migration", "at_s": 1}])"));
    workload.erase("topology");
    auto run = run_harness({"run", write_temp_file("no-cluster.json", workload.dump())});
    EXPECT_EQ(run.exit_code, 2);
    EXPECT_NE(run.err.find("chaos.events.0.fault"), std::string::npos) << run.err;
}
