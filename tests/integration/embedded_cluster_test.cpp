// The embedded Redis Cluster against real redis-server processes: slot coverage and MOVED,
// replicas, slot migration (ASK between its steps), failovers, a killed primary with and without
// a replica, and a teardown that leaves nothing behind.
#include "harness/redis/embedded_cluster.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <functional>
#include <iostream>
#include <memory>
#include <set>
#include <string>
#include <thread>

#include "harness/errors.hpp"
#include "harness/redis/connection.hpp"
#include "harness/redis/info.hpp"
#include "tests/support/leftovers.hpp"

using namespace std::chrono_literals;
using sh::redis::ClusterNode;
using sh::redis::ClusterOptions;
using sh::redis::Connection;
using sh::redis::EmbeddedCluster;
using sh::redis::Endpoint;
using sh::redis::ReplyView;
using FailoverMode = EmbeddedCluster::FailoverMode;
using Clock = std::chrono::steady_clock;

namespace {

ClusterOptions options(int primaries, int replicas_per_primary,
                       std::chrono::milliseconds node_timeout = 1000ms) {
    ClusterOptions result;
    result.primaries = primaries;
    result.replicas_per_primary = replicas_per_primary;
    result.node_timeout = node_timeout;
    return result;
}

std::string host_port(const Endpoint& endpoint) {
    return endpoint.host + ":" + std::to_string(endpoint.port);
}

Connection connect(const std::string& host_port) {
    Endpoint endpoint;
    endpoint.host = host_port.substr(0, host_port.rfind(':'));
    endpoint.port = std::stoi(host_port.substr(host_port.rfind(':') + 1));
    endpoint.cluster = sh::redis::ClusterMode::off;  // this node's own answers (MOVED, ASK)
    return Connection(endpoint, {});
}

// The reply as text: a status, a bulk string, an integer, or an error reply's message ("" for
// nil).
std::string answer(const std::string& node, const sh::redis::Args& args) {
    auto connection = connect(node);
    auto reply = connection.command_allow_error(args);
    ReplyView view(reply.get());
    if (view.is_nil()) return "";
    return view.is_integer() ? std::to_string(view.integer()) : std::string(view.text());
}

int slot_of(EmbeddedCluster& cluster, const std::string& key) {
    auto connection = connect(host_port(cluster.seed()));
    auto reply = connection.command({"CLUSTER", "KEYSLOT", key});
    return static_cast<int>(ReplyView(reply.get()).integer());
}

std::vector<std::string> primaries(EmbeddedCluster& cluster) {
    std::vector<std::string> result;
    for (const auto& node : cluster.nodes()) {
        if (node.primary && !node.failed) result.push_back(node.host_port());
    }
    return result;
}

// A primary other than the ones named.
std::string other_primary(EmbeddedCluster& cluster, const std::set<std::string>& not_these) {
    for (const auto& primary : primaries(cluster)) {
        if (!not_these.count(primary)) return primary;
    }
    return "";
}

// The replica (as host:port) the cluster attached to the primary at host:port.
std::string replica_of(EmbeddedCluster& cluster, const std::string& primary) {
    auto id = cluster.node_id_at(primary);
    for (const auto& node : cluster.nodes()) {
        if (!node.primary && node.primary_id == id) return node.host_port();
    }
    return "";
}

// Every node's CLUSTER NODES shows the node at replica as a replica of the one at primary.
bool all_see_replica_of(EmbeddedCluster& cluster, const std::string& replica,
                        const std::string& primary) {
    for (const auto& endpoint : cluster.node_endpoints()) {
        auto connection = connect(host_port(endpoint));
        auto reply = connection.command({"CLUSTER", "NODES"});
        auto seen = sh::redis::parse_cluster_nodes(ReplyView(reply.get()).text(), endpoint.host);
        const auto* node = sh::redis::find_node(seen, cluster.node_id_at(replica));
        if (node == nullptr || node->primary || node->primary_id != cluster.node_id_at(primary)) {
            return false;
        }
    }
    return true;
}

bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
    auto deadline = Clock::now() + timeout;
    for (;;) {
        try {
            if (condition()) return true;
        } catch (const sh::RedisError&) {
            // A node in the middle of a change: ask again.
        }
        if (Clock::now() > deadline) return false;
        std::this_thread::sleep_for(20ms);
    }
}

long long ms_since(Clock::time_point start) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

// Waits until the primary's replicas have every write so far (WAIT), so a failover loses none.
void replicate(const std::string& primary) {
    auto connection = connect(primary);
    auto reply = connection.command({"WAIT", "1", "5000"});
    ASSERT_EQ(ReplyView(reply.get()).integer(), 1) << "replica of " << primary << " lags";
}

// Starts the cluster and prints how long it took to converge.
std::unique_ptr<EmbeddedCluster> timed_start(const ClusterOptions& options) {
    auto start = Clock::now();
    auto cluster = std::make_unique<EmbeddedCluster>(options);
    std::cout << options.primaries << " primaries with " << options.replicas_per_primary
              << " replica(s) each converged in " << ms_since(start) << " ms\n";
    return cluster;
}

}  // namespace

TEST(EmbeddedCluster, ThreePrimariesShareAllSlotsAndNonOwnersAnswerMoved) {
    auto started = timed_start(options(3, 0));
    auto& cluster = *started;

    auto nodes = cluster.nodes();
    ASSERT_EQ(nodes.size(), 3u);
    int covered = 0;
    for (const auto& node : nodes) {
        EXPECT_TRUE(node.primary);
        int owned = 0;
        for (auto [first, last] : node.slots) owned += last - first + 1;
        EXPECT_GE(owned, 16384 / 3) << node.host_port();
        EXPECT_LE(owned, 16384 / 3 + 1) << node.host_port();
        covered += owned;
    }
    EXPECT_EQ(covered, 16384);
    EXPECT_EQ(host_port(cluster.seed()), host_port(cluster.node_endpoints().front()));
    for (const auto& endpoint : cluster.node_endpoints()) {
        auto directory = cluster.server(host_port(endpoint)).directory();
        EXPECT_TRUE(std::filesystem::exists(directory / "nodes.conf")) << directory;
    }

    auto slot = slot_of(cluster, "orders");
    auto owner = host_port(cluster.primary_for_slot(slot));
    EXPECT_EQ(answer(owner, {"SET", "orders", "42"}), "OK");
    EXPECT_EQ(answer(owner, {"GET", "orders"}), "42");
    auto elsewhere = other_primary(cluster, {owner});
    EXPECT_EQ(answer(elsewhere, {"GET", "orders"}), "MOVED " + std::to_string(slot) + " " + owner);
}

TEST(EmbeddedCluster, OnePrimaryOwnsEverySlot) {
    EmbeddedCluster cluster(options(1, 0));
    auto nodes = cluster.nodes();
    ASSERT_EQ(nodes.size(), 1u);
    EXPECT_EQ(nodes[0].slots, (std::vector<std::pair<int, int>>{{0, 16383}}));
    EXPECT_EQ(answer(host_port(cluster.seed()), {"SET", "a", "1"}), "OK");
}

TEST(EmbeddedCluster, EachPrimaryGetsALinkedReplica) {
    auto started = timed_start(options(3, 1));
    auto& cluster = *started;

    auto endpoints = cluster.node_endpoints();
    ASSERT_EQ(endpoints.size(), 6u);
    for (std::size_t i = 3; i < 6; ++i) {
        auto replica = host_port(endpoints[i]);
        auto primary = host_port(endpoints[i - 3]);
        EXPECT_EQ(replica_of(cluster, primary), replica);
        auto connection = connect(replica);
        EXPECT_EQ(sh::redis::info_field(connection, "replication", "master_link_status"), "up");
        EXPECT_EQ(sh::redis::info_field(connection, "replication", "master_port"),
                  std::to_string(endpoints[i - 3].port));
    }
}

TEST(EmbeddedCluster, MigrateSlotMovesAStreamWithItsGroupAndAHash) {
    EmbeddedCluster cluster(options(3, 0));
    auto slot = slot_of(cluster, "{moving}stream");
    ASSERT_EQ(slot_of(cluster, "{moving}hash"), slot);
    auto source = host_port(cluster.primary_for_slot(slot));
    auto target = other_primary(cluster, {source});
    for (int i = 0; i < 5; ++i) {
        answer(source, {"XADD", "{moving}stream", "*", "order", std::to_string(i)});
    }
    EXPECT_EQ(answer(source, {"XGROUP", "CREATE", "{moving}stream", "workers", "0"}), "OK");
    auto source_connection = connect(source);
    source_connection.command({"XREADGROUP", "GROUP", "workers", "alice", "COUNT", "2", "STREAMS",
                               "{moving}stream", ">"});
    source_connection.command({"HSET", "{moving}hash", "acked", "2", "state", "open"});
    auto stream_before = answer(source, {"DUMP", "{moving}stream"});
    auto hash_before = answer(source, {"DUMP", "{moving}hash"});

    cluster.migrate_slot(slot, target);

    EXPECT_EQ(host_port(cluster.primary_for_slot(slot)), target);
    auto connection = connect(source);
    auto count = connection.command({"CLUSTER", "COUNTKEYSINSLOT", std::to_string(slot)});
    EXPECT_EQ(ReplyView(count.get()).integer(), 0);
    // DUMP's payload is the value's serialization, so equal dumps mean equal data.
    EXPECT_EQ(answer(target, {"DUMP", "{moving}stream"}), stream_before);
    EXPECT_EQ(answer(target, {"DUMP", "{moving}hash"}), hash_before);
    auto target_connection = connect(target);
    auto pending = target_connection.command({"XPENDING", "{moving}stream", "workers"});
    EXPECT_EQ(ReplyView(pending.get()).element(0).integer(), 2);
    auto moved = "MOVED " + std::to_string(slot) + " " + target;
    EXPECT_EQ(answer(source, {"XLEN", "{moving}stream"}), moved);
    EXPECT_EQ(answer(other_primary(cluster, {source, target}), {"HGET", "{moving}hash", "acked"}),
              moved);
}

TEST(EmbeddedCluster, BetweenBeginAndFinishTheSourceAnswersAskForAMovedKey) {
    EmbeddedCluster cluster(options(3, 0));
    auto slot = slot_of(cluster, "{ask}stream");
    auto source = host_port(cluster.primary_for_slot(slot));
    auto target = other_primary(cluster, {source});
    answer(source, {"XADD", "{ask}stream", "*", "order", "1"});
    answer(source, {"SET", "{ask}counter", "7"});

    cluster.begin_slot_migration(slot, target);
    // Both keys still on the source: it serves them.
    EXPECT_EQ(answer(source, {"GET", "{ask}counter"}), "7");
    // One key moved by hand, as a migration paused half-way leaves it: the source redirects
    // that key with ASK and refuses a command on both keys with TRYAGAIN.
    auto target_endpoint = cluster.server(target).endpoint();
    EXPECT_EQ(answer(source, {"MIGRATE", target_endpoint.host, std::to_string(target_endpoint.port),
                              "{ask}counter", "0", "5000"}),
              "OK");
    auto ask = "ASK " + std::to_string(slot) + " " + target;
    EXPECT_EQ(answer(source, {"GET", "{ask}counter"}), ask);
    EXPECT_EQ(answer(source, {"XLEN", "{ask}stream"}), "1");
    EXPECT_EQ(answer(source, {"EXISTS", "{ask}stream", "{ask}counter"}).rfind("TRYAGAIN", 0), 0u);
    EXPECT_EQ(cluster.migrate_slot_keys(slot, 1), 1u);
    EXPECT_EQ(answer(source, {"XLEN", "{ask}stream"}), ask);
    // The target serves an importing slot only to a client that said ASKING.
    EXPECT_EQ(answer(target, {"GET", "{ask}counter"}),
              "MOVED " + std::to_string(slot) + " " + source);
    auto asking = connect(target);
    asking.command({"ASKING"});
    auto value = asking.command({"GET", "{ask}counter"});
    EXPECT_EQ(ReplyView(value.get()).text(), "7");
    EXPECT_EQ(host_port(cluster.primary_for_slot(slot)), source);

    cluster.finish_slot_migration(slot);
    EXPECT_EQ(host_port(cluster.primary_for_slot(slot)), target);
    EXPECT_EQ(answer(target, {"GET", "{ask}counter"}), "7");
    EXPECT_EQ(answer(source, {"GET", "{ask}counter"}),
              "MOVED " + std::to_string(slot) + " " + target);
    EXPECT_THROW(cluster.finish_slot_migration(slot), sh::EnvironmentError);
    cluster.wait_until_ok(5s);
}

TEST(EmbeddedCluster, GracefulForcedAndTakeoverFailoversPromoteTheReplica) {
    EmbeddedCluster cluster(options(3, 1));
    auto slot = slot_of(cluster, "failover-key");
    auto primary = host_port(cluster.primary_for_slot(slot));
    auto replica = replica_of(cluster, primary);
    ASSERT_FALSE(replica.empty());
    EXPECT_EQ(answer(primary, {"SET", "failover-key", "before"}), "OK");
    replicate(primary);

    auto start = Clock::now();
    auto [old_primary, new_primary] = cluster.failover(replica, FailoverMode::graceful, 10s);
    std::cout << "graceful failover took " << ms_since(start) << " ms\n";
    EXPECT_EQ(old_primary, primary);
    EXPECT_EQ(new_primary, replica);
    EXPECT_EQ(host_port(cluster.primary_for_slot(slot)), replica);
    cluster.wait_until_ok(10s);
    EXPECT_EQ(answer(replica, {"GET", "failover-key"}), "before");
    // Before the next failover of this shard: one forced failover started while a node still
    // saw the old roles took 4 s instead of 0.1 s (its election had to be retried).
    EXPECT_TRUE(eventually([&] { return all_see_replica_of(cluster, primary, replica); }, 10s));

    EXPECT_EQ(answer(replica, {"SET", "failover-key", "after"}), "OK");
    replicate(replica);
    start = Clock::now();
    auto back = cluster.failover(primary, FailoverMode::force, 10s);
    std::cout << "forced failover took " << ms_since(start) << " ms\n";
    EXPECT_EQ(back, std::make_pair(replica, primary));
    cluster.wait_until_ok(10s);
    EXPECT_EQ(answer(primary, {"GET", "failover-key"}), "after");

    start = Clock::now();
    EXPECT_EQ(cluster.failover(replica, FailoverMode::takeover, 10s),
              std::make_pair(primary, replica));
    std::cout << "takeover took " << ms_since(start) << " ms\n";
    cluster.wait_until_ok(10s);
    EXPECT_EQ(answer(replica, {"GET", "failover-key"}), "after");

    EXPECT_THROW(cluster.failover(other_primary(cluster, {primary}), FailoverMode::force, 1s),
                 sh::EnvironmentError);
}

TEST(EmbeddedCluster, KilledPrimaryIsReplacedByItsReplicaAndRejoinsAsReplica) {
    EmbeddedCluster cluster(options(3, 1, 500ms));
    auto slot = slot_of(cluster, "survivor");
    auto primary = host_port(cluster.primary_for_slot(slot));
    auto replica = replica_of(cluster, primary);
    EXPECT_EQ(answer(primary, {"SET", "survivor", "1"}), "OK");
    replicate(primary);

    auto pid = cluster.server(primary).pid();
    auto start = Clock::now();
    cluster.kill_node(primary);
    EXPECT_TRUE(sh::testing::gone(pid));
    cluster.wait_until_ok(15s);
    std::cout << "promotion after SIGKILL (node timeout 500 ms) took " << ms_since(start)
              << " ms\n";
    EXPECT_EQ(host_port(cluster.primary_for_slot(slot)), replica);
    EXPECT_EQ(answer(replica, {"GET", "survivor"}), "1");
    bool seen_failed = false;
    for (const ClusterNode& node : cluster.nodes()) {
        if (node.host_port() == primary) seen_failed = node.failed;
    }
    EXPECT_TRUE(seen_failed);

    start = Clock::now();
    cluster.restart_node(primary);
    std::cout << "restart of the old primary took " << ms_since(start) << " ms\n";
    EXPECT_TRUE(eventually([&] { return replica_of(cluster, replica) == primary; }, 10s));
}

TEST(EmbeddedCluster, KilledPrimaryWithoutReplicaTakesTheClusterDownUntilRestartedWithItsData) {
    auto with_aof = options(3, 0, 500ms);
    with_aof.persistence = sh::redis::Persistence::aof_always;
    EmbeddedCluster cluster(with_aof);
    auto endpoints = cluster.node_endpoints();
    auto killed = host_port(endpoints[1]);
    auto survivor = host_port(endpoints[0]);
    std::string kept;  // a key of the node killed
    for (int i = 0; kept.empty(); ++i) {
        auto key = "kept-" + std::to_string(i);
        if (host_port(cluster.primary_for_slot(slot_of(cluster, key))) == killed) kept = key;
    }
    EXPECT_EQ(answer(killed, {"SET", kept, "on disk"}), "OK");
    cluster.kill_node(killed);
    EXPECT_TRUE(eventually(
        [&] {
            return answer(survivor, {"GET", "anything"}).rfind("CLUSTERDOWN", 0) == 0;
        },
        10s));
    EXPECT_THROW(cluster.wait_until_ok(1s), sh::EnvironmentError);

    auto start = Clock::now();
    cluster.restart_node(killed);
    std::cout << "restart of a primary without replica took " << ms_since(start) << " ms\n";
    auto slot = slot_of(cluster, "anything");
    EXPECT_EQ(answer(host_port(cluster.primary_for_slot(slot)), {"SET", "anything", "x"}), "OK");
    EXPECT_EQ(answer(killed, {"GET", kept}), "on disk");
}

TEST(EmbeddedCluster, DestructionLeavesNoProcessNorDirectoryEvenWithAStalledNode) {
    sh::testing::PrivateTmpdir tmp;
    auto before = sh::testing::children();
    std::set<pid_t> pids;
    Clock::time_point teardown;
    {
        EmbeddedCluster cluster(options(2, 1));
        for (const auto& endpoint : cluster.node_endpoints()) {
            pids.insert(cluster.server(host_port(endpoint)).pid());
        }
        EXPECT_EQ(pids.size(), 4u);
        for (auto pid : sh::testing::children()) {
            if (!before.count(pid)) {
                EXPECT_TRUE(pids.count(pid)) << "pid " << pid;
            }
        }
        EXPECT_FALSE(tmp.empty());
        // A stalled node too: it must be continued to act on SIGTERM.
        cluster.server(host_port(cluster.node_endpoints().back())).signal(SIGSTOP);
        teardown = Clock::now();
    }
    std::cout << "teardown of 4 nodes took " << ms_since(teardown) << " ms\n";
    for (auto pid : pids) EXPECT_TRUE(sh::testing::gone(pid)) << "pid " << pid;
    EXPECT_TRUE(tmp.empty());
}

TEST(EmbeddedCluster, FailedStartLeavesNoProcessNorDirectoryAndBadOptionsAreRefused) {
    sh::testing::PrivateTmpdir tmp;
    auto before = sh::testing::children();
    auto broken = options(3, 0);
    broken.executable = "false";  // exits at once: no node ever answers
    EXPECT_THROW(EmbeddedCluster cluster(broken), sh::EnvironmentError);
    EXPECT_EQ(sh::testing::children(), before);
    EXPECT_TRUE(tmp.empty());
    EXPECT_THROW(EmbeddedCluster cluster(options(0, 0)), std::invalid_argument);
    EXPECT_THROW(EmbeddedCluster cluster(options(3, 3)), std::invalid_argument);
}
