// Replicas and failover (issue 14): a real primary, replica and three Sentinels started by the
// harness; graceful failovers and SIGKILLed primaries; lost acknowledged writes and re-deliveries
// attributed to the change of primary that caused them, with exact counts from the report the
// verifier filled from Redis.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "harness/redis/embedded_topology.hpp"
#include "tests/support/harness_process.hpp"

using nlohmann::json;
using sh::testing::BackgroundHarness;
using sh::testing::run_harness;
using sh::testing::write_temp_file;

namespace {

// The seed's two groups on one replica and three Sentinels; the load is steady and modest so a
// stalled replica falls behind by a known number of orders.
json topology_workload() {
    return json::parse(R"({
      "name": "failover-test", "duration_s": 9, "seed": 5, "drain_timeout_s": 30,
      "topology": {"replicas": 1, "sentinels": 3, "down_after_ms": 1000},
      "stream": {"name": "ordermq", "payload_bytes": 16},
      "producers": {"count": 1, "rate": 400, "pipeline": 8},
      "groups": [
        {"name": "outside", "consumers": 2, "effect_store": "separate", "batch": 20,
         "block_ms": 50, "claim": {"interval_ms": 200, "min_idle_ms": 1000}},
        {"name": "inside", "consumers": 2, "batch": 20, "block_ms": 50,
         "claim": {"interval_ms": 200, "min_idle_ms": 1000}}
      ],
      "gates": {"max_produce_failed": null, "max_produce_indeterminate": null}
    })");
}

// Stall the replica at 2 s for 3 s and kill the primary at 4 s: the replica promoted missed
// every write of the last two seconds.
void add_stall_and_kill(json& workload) {
    workload["chaos"] = {{"seed", 1},
                         {"events",
                          {{{"fault", "replica-stall"}, {"at_s", 2}, {"duration_ms", 3000}},
                           {{"fault", "primary-kill"}, {"at_s", 4}}}}};
}

const json& event_of(const json& report, const std::string& kind) {
    for (const auto& event : report["events"]) {
        if (event["kind"] == kind) return event;
    }
    throw std::runtime_error("no " + kind + " event in the report");
}

// redis-server and redis-sentinel processes adopted by init: what a harness left behind.
std::set<pid_t> orphaned_servers() {
    std::set<pid_t> found;
    for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
        auto name = entry.path().filename().string();
        if (name.find_first_not_of("0123456789") != std::string::npos) continue;
        std::ifstream stat(entry.path() / "stat");
        std::string line;
        std::getline(stat, line);
        auto close = line.rfind(')');
        auto open = line.find('(');
        if (close == std::string::npos || open == std::string::npos) continue;
        auto comm = line.substr(open + 1, close - open - 1);
        int ppid = 0;
        char state = 0;
        std::istringstream(line.substr(close + 2)) >> state >> ppid;
        if (ppid == 1 && (comm == "redis-server" || comm == "redis-sentinel")) {
            found.insert(std::stoi(name));
        }
    }
    return found;
}

}  // namespace

TEST(Failover, PrimaryKilledWhileTheReplicaStalledLosesExactlyTheAcknowledgedWritesItMissed) {
    auto workload = topology_workload();
    add_stall_and_kill(workload);
    auto before = orphaned_servers();
    auto run = run_harness({"run", write_temp_file("stall-kill.json", workload.dump())});
    ASSERT_EQ(run.exit_code, 1) << run.err;
    auto report = run.report();
    const auto& replication = report["replication"];
    ASSERT_TRUE(replication.is_object()) << report.dump(1);
    ASSERT_EQ(replication["changes"].size(), 1u);
    const auto& change = replication["changes"][0];
    EXPECT_EQ(change["kind"], "primary-kill");
    EXPECT_NE(change["new_primary"], change["old_primary"]);
    EXPECT_GT(change["to_new_primary_ms"].get<std::int64_t>(), 0);
    // Every client waited for the promotion: at least as long as it took, summed over them.
    EXPECT_GE(change["clients"]["no_primary_ms"].get<std::int64_t>(),
              change["to_new_primary_ms"].get<std::int64_t>() / 2);

    const auto& lost = replication["lost_writes"];
    auto lost_total = lost["total"].get<std::uint64_t>();
    // Every lost write is this kill's: numbered below its watermark.
    EXPECT_EQ(change["lost_writes"].get<std::uint64_t>(), lost_total);
    EXPECT_EQ(lost["unattributed"], 0);
    // The orders handed out between the stall and the kill never reached the replica; only
    // those whose reply the kill cut off (indeterminate) are not acknowledged writes.
    auto stall_mark = event_of(report, "replica-stall")["order_watermark"].get<std::uint64_t>();
    auto kill_mark = change["order_watermark"].get<std::uint64_t>();
    ASSERT_GT(kill_mark, stall_mark + 400);  // about 2 s at 400 orders/s
    const auto& produced = report["summary"]["produced"];
    auto indeterminate = produced["indeterminate"].get<std::uint64_t>();
    auto failed = produced["failed"].get<std::uint64_t>();
    auto allocated = produced["allocated"].get<std::uint64_t>();
    auto ok = produced["ok"].get<std::uint64_t>();
    // Numbers a producer had claimed and dropped when the kill broke its connection.
    auto unsent = allocated - ok - failed - indeterminate;
    EXPECT_GE(lost_total + indeterminate + failed + unsent, kill_mark - stall_mark);
    // A pipeline in flight at the stall may be lost too, nothing older.
    EXPECT_LE(lost_total, kill_mark - stall_mark + 8);
    for (auto seq : lost["sample"]) {
        EXPECT_GE(seq.get<std::uint64_t>() + 8, stall_mark);
        EXPECT_LT(seq.get<std::uint64_t>(), kill_mark);
    }
    // Exact accounting of every order number against the stream the new primary holds: each
    // one is there, or is a lost write, or was refused, cut off unproven, or never sent.
    auto unknown = produced["indeterminate_resolved"]["unknown"].get<std::uint64_t>();
    EXPECT_EQ(allocated - lost["entries_in_stream"].get<std::uint64_t>(),
              lost_total + failed + unknown + unsent);
    // Judged by the replication gate, not as the consumers' losses.
    bool lost_writes_gate_failed = false;
    for (const auto& gate : report["gates"]) {
        if (gate["gate"] == "max_lost_writes") {
            EXPECT_EQ(gate["actual"].get<std::uint64_t>(), lost_total);
            lost_writes_gate_failed = !gate["passed"].get<bool>();
        }
        if (gate["gate"] == "max_lost") {
            EXPECT_TRUE(gate["passed"].get<bool>()) << gate.dump();
        }
    }
    EXPECT_TRUE(lost_writes_gate_failed);
    EXPECT_EQ(orphaned_servers(), before);
}

TEST(Failover, ReDeliveriesAfterALostAckAreDuplicatesOnlyWhenTheEffectLivesOutsideRedis) {
    auto workload = topology_workload();
    add_stall_and_kill(workload);
    // Consumers behind the producers: entries the replica has are acknowledged during the
    // stall, and those XACKs die with the primary.
    for (auto& group : workload["groups"]) {
        group["consumers"] = 1;
        group["sleep_after_batch_ms"] = 100;  // 200 orders/s a consumer, against 400 offered
    }
    auto run = run_harness({"run", write_temp_file("lost-acks.json", workload.dump())});
    ASSERT_EQ(run.exit_code, 1) << run.err;
    auto report = run.report();
    const auto& outside = report["verification"]["outside"];
    const auto& inside = report["verification"]["inside"];
    // The effect store outside the topology remembers what the lost XACKs had applied.
    EXPECT_GT(outside["duplicated"].get<std::uint64_t>(), 0u) << outside.dump();
    EXPECT_EQ(outside["duplicated_by_change"][0], outside["duplicated"]);
    // Inside Redis the ledger went back with the XACKs: the second application looks like the
    // first, and nothing shows.
    EXPECT_EQ(inside["duplicated"], 0);
    const auto& groups = report["replication"]["changes"][0]["groups"];
    EXPECT_EQ(groups["outside"]["redelivered_after_ack"], outside["duplicated"]);
    EXPECT_EQ(groups["inside"]["redelivered_after_ack"], 0);
    // Both groups' last-delivered IDs moved back over entries they had read.
    EXPECT_GT(groups["outside"]["rolled_back_entries"].get<std::int64_t>(), 0);
    EXPECT_GT(groups["inside"]["rolled_back_entries"].get<std::int64_t>(), 0);
    EXPECT_EQ(report["replication"]["effect_stores"]["outside"], "separate");
    EXPECT_EQ(report["replication"]["effect_stores"]["inside"], "redis");
}

TEST(Failover, GracefulFailoverWithWaitForOneReplicaLosesNoAcknowledgedOrder) {
    auto workload = topology_workload();
    workload["producers"]["wait"] = {{"replicas", 1}, {"timeout_ms", 200}};
    workload["chaos"] = {{"seed", 1}, {"events", {{{"fault", "failover"}, {"at_s", 2}}}}};
    auto run = run_harness({"run", write_temp_file("wait-failover.json", workload.dump())});
    auto report = run.report();
    ASSERT_TRUE(report["replication"].is_object()) << run.err;
    ASSERT_EQ(report["replication"]["changes"].size(), 1u) << report["events"].dump();
    EXPECT_EQ(report["replication"]["changes"][0]["kind"], "failover");
    EXPECT_EQ(report["replication"]["lost_writes"]["total"], 0) << run.out;
    EXPECT_GT(report["summary"]["produced"]["ok"].get<std::uint64_t>(), 1000u);
    for (const auto& gate : report["gates"]) {
        if (gate["gate"] == "max_lost_writes" || gate["gate"] == "max_lost") {
            EXPECT_TRUE(gate["passed"].get<bool>()) << gate.dump();
        }
    }
}

TEST(Failover, WithoutWaitTheSameFailoverLosesTheWritesTheOldPrimaryTookAfterThePromotion) {
    auto workload = topology_workload();
    workload["chaos"] = {{"seed", 1}, {"events", {{{"fault", "failover"}, {"at_s", 2}}}}};
    auto run = run_harness({"run", write_temp_file("failover.json", workload.dump())});
    auto report = run.report();
    ASSERT_EQ(report["replication"]["changes"].size(), 1u) << run.err;
    // The demoted primary takes writes until the Sentinels reconfigure it; they are gone.
    EXPECT_GT(report["replication"]["lost_writes"]["total"].get<std::uint64_t>(), 0u);
    EXPECT_EQ(report["verdict"], "fail");
}

TEST(Failover, EveryServerIsGoneAfterAnInterruptedRun) {
    auto workload = topology_workload();
    workload["duration_s"] = 30;
    auto before = orphaned_servers();
    BackgroundHarness harness({"run", write_temp_file("interrupted.json", workload.dump())}, {});
    std::this_thread::sleep_for(std::chrono::seconds(4));
    ASSERT_EQ(kill(harness.pid(), SIGINT), 0);
    auto run = harness.finish();
    EXPECT_EQ(run.exit_code, 130) << run.err;
    EXPECT_EQ(orphaned_servers(), before);
}

TEST(Failover, ServerFaultsAreRefusedOnAServerTheHarnessDidNotStart) {
    auto workload = topology_workload();
    workload.erase("topology");
    workload["chaos"] = {{"seed", 1}, {"events", {{{"fault", "replica-stall"}, {"at_s", 1}}}}};
    auto run = run_harness({"run", write_temp_file("refused.json", workload.dump())});
    EXPECT_EQ(run.exit_code, 2);
    EXPECT_NE(run.err.find("chaos.events.0.fault"), std::string::npos) << run.err;
}

TEST(Failover, ARunFindsTheUsersPrimaryThroughTheirSentinels) {
    sh::redis::TopologyOptions options;
    options.replicas = 1;
    options.sentinels = 3;
    sh::redis::EmbeddedTopology topology(options);
    std::string url = "redis-sentinel://";
    for (const auto& sentinel : topology.sentinel_addresses()) {
        url += (url.back() == '/' ? "" : ",") + sentinel.host + ":" + std::to_string(sentinel.port);
    }
    url += std::string("/") + sh::redis::EmbeddedTopology::master_name;
    auto run = run_harness({"run", sh::testing::workload_path("smoke.json"), "--sentinel", url});
    ASSERT_EQ(run.exit_code, 0) << run.err;
    auto report = run.report();
    EXPECT_EQ(report["environment"]["redis"], url);
    // A run through Sentinel is checked for lost writes: none, and no change of primary.
    EXPECT_EQ(report["replication"]["lost_writes"]["total"], 0);
    EXPECT_EQ(report["replication"]["changes"].size(), 0u);
    EXPECT_GT(report["replication"]["lost_writes"]["entries_in_stream"].get<std::uint64_t>(), 0u);

    auto both = run_harness({"run", sh::testing::workload_path("smoke.json"), "--sentinel", url,
                             "--redis", "redis://127.0.0.1:1"});
    EXPECT_EQ(both.exit_code, 2);
    EXPECT_NE(both.err.find("--sentinel"), std::string::npos) << both.err;

    // Trimming would make the run's own deletions look like the server's lost writes.
    auto trimming = run_harness({"run", sh::testing::workload_path("smoke.json"), "--sentinel", url,
                                 "--set", "stream.retention.mode=safe"});
    EXPECT_EQ(trimming.exit_code, 2);
    EXPECT_NE(trimming.err.find("stream.retention.mode"), std::string::npos) << trimming.err;
}

TEST(Failover, EveryServerIsGoneAfterAHarnessErrorAndAfterAHarnessKilled) {
    auto before = orphaned_servers();
    // A consumer that exits at once: an environment error once the topology runs.
    auto broken = topology_workload();
    broken["topology"] = {{"replicas", 1}};
    broken["groups"] = {{{"name", "score"}, {"consumer", {{"command", {"false"}}}}}};
    auto failed = run_harness({"run", write_temp_file("broken.json", broken.dump())});
    EXPECT_EQ(failed.exit_code, 3) << failed.err;
    EXPECT_EQ(orphaned_servers(), before);

    auto workload = topology_workload();
    workload["duration_s"] = 30;
    BackgroundHarness harness({"run", write_temp_file("killed.json", workload.dump())}, {});
    std::this_thread::sleep_for(std::chrono::seconds(4));
    ASSERT_EQ(kill(harness.pid(), SIGKILL), 0);
    harness.finish();
    // Every server had PR_SET_PDEATHSIG: each is SIGKILLed as the harness dies (they take a
    // moment to exit once adopted by init).
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (orphaned_servers() != before && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    EXPECT_EQ(orphaned_servers(), before);
}

TEST(Failover, WaitaofIsRefusedOnARedisOlderThan72NamingTheField) {
    auto workload = topology_workload();
    workload.erase("chaos");
    workload["topology"] = {{"replicas", 1}};
    workload["producers"]["wait"] = {{"aof_local", 1}, {"timeout_ms", 100}};
    auto run = run_harness({"run", write_temp_file("waitaof.json", workload.dump())});
    EXPECT_EQ(run.exit_code, 3) << run.err;
    EXPECT_NE(run.err.find("producers.wait: WAITAOF needs Redis 7.2"), std::string::npos)
        << run.err;
}
