// Evictions on a Redis Cluster are counted per server process: a primary that evicted keys and
// was then demoted by a failover still counts (review: its evictions used to vanish from the
// sum over the current primaries, and the run passed).
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

#include "harness/redis/connection.hpp"
#include "harness/redis/embedded_cluster.hpp"
#include "harness/redis/info.hpp"
#include "tests/support/harness_process.hpp"
#include "tests/support/run_inspection.hpp"

namespace {

using sh::redis::Connection;
using sh::redis::ReplyView;

std::int64_t info_number(Connection& connection, const std::string& section,
                         const std::string& field) {
    return std::stoll(sh::redis::info_field(connection, section, field));
}

Connection node_connection(sh::redis::Endpoint endpoint) {
    endpoint.cluster = sh::redis::ClusterMode::off;
    return Connection(endpoint, {});
}

}  // namespace

TEST(ClusterEviction, APrimaryThatEvictedAndWasDemotedStillFailsTheRun) {
    sh::redis::ClusterOptions options;
    options.primaries = 1;
    options.replicas_per_primary = 1;
    sh::redis::EmbeddedCluster cluster(options);
    auto endpoints = cluster.node_endpoints();  // the primary, then its replica
    ASSERT_EQ(endpoints.size(), 2u);
    for (const auto& endpoint : endpoints) {
        auto node = node_connection(endpoint);
        node.command({"CONFIG", "SET", "maxmemory-policy", "allkeys-lru"});
    }
    auto primary = node_connection(endpoints[0]);
    // Filler the test owns, least recently used, so evicted first.
    std::string filler(1000, 'f');
    for (int i = 0; i < 12000; ++i)
        primary.append({"SET", "evict:filler:" + std::to_string(i), filler});
    for (int i = 0; i < 12000; ++i) primary.read_reply();

    sh::testing::BackgroundHarness harness(
        {"run", sh::testing::workload_path("smoke.json"), "--redis", cluster.seed().to_url(),
         "--run-id", "cluster-evict", "--allow-eviction", "--set", "duration_s=4", "--set",
         "producers.rate=2000", "--set", "stream.payload_bytes=1000", "--set", "stream.shards=2"},
        {});
    std::this_thread::sleep_for(std::chrono::milliseconds(1000));
    auto used = info_number(primary, "memory", "used_memory");
    primary.command({"CONFIG", "SET", "maxmemory", std::to_string(used + 2 * 1024 * 1024)});
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    auto old_primary = endpoints[0].host + ":" + std::to_string(endpoints[0].port);
    auto replica = endpoints[1].host + ":" + std::to_string(endpoints[1].port);
    auto [demoted, promoted] = cluster.failover(
        replica, sh::redis::EmbeddedCluster::FailoverMode::takeover, std::chrono::seconds(10));
    EXPECT_EQ(demoted, old_primary);
    auto run = harness.finish();

    // What the demoted primary evicted, and the promoted one (a replica evicts nothing).
    auto demoted_node = node_connection(endpoints[0]);
    auto promoted_node = node_connection(endpoints[1]);
    auto evicted = info_number(demoted_node, "stats", "evicted_keys") +
                   info_number(promoted_node, "stats", "evicted_keys");
    ASSERT_GT(evicted, 0);
    EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
    auto report = run.report();
    EXPECT_EQ(report["summary"]["evicted_keys"], evicted);
    const auto* gate = sh::testing::find_gate(report, "max_evicted_keys");
    ASSERT_NE(gate, nullptr);
    EXPECT_FALSE((*gate)["passed"].get<bool>());
    EXPECT_EQ((*gate)["actual"], static_cast<double>(evicted));
}
