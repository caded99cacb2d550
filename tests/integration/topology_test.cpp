// The embedded replicated topology against real redis-server and redis-sentinel processes:
// replication, graceful and Sentinel failovers, promotion after a kill, rejoin, stalls, and a
// teardown that leaves nothing behind.
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <set>
#include <string>
#include <thread>

#include "harness/errors.hpp"
#include "harness/redis/connection.hpp"
#include "harness/redis/embedded_topology.hpp"
#include "harness/redis/info.hpp"
#include "tests/support/leftovers.hpp"

using namespace std::chrono_literals;
using sh::redis::Connection;
using sh::redis::EmbeddedTopology;
using sh::redis::ReplyView;
using sh::redis::TopologyOptions;
using sh::testing::children;
using sh::testing::gone;
using sh::testing::PrivateTmpdir;

namespace {

Connection connect(const sh::redis::Endpoint& endpoint) {
    return Connection(endpoint, {});
}

std::string text(Connection& connection, const sh::redis::Args& args) {
    auto reply = connection.command(args);
    ReplyView view(reply.get());
    return view.is_nil() ? std::string() : std::string(view.text());
}

std::string role(const sh::redis::Endpoint& endpoint) {
    auto connection = connect(endpoint);
    auto reply = connection.command({"ROLE"});
    return std::string(ReplyView(reply.get()).element(0).text());
}

std::string replication(const sh::redis::Endpoint& endpoint, const std::string& field) {
    auto connection = connect(endpoint);
    return sh::redis::info_field(connection, "replication", field);
}

bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        try {
            if (condition()) return true;
        } catch (const sh::RedisError&) {
            // A node in the middle of a role change: ask again.
        }
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(50ms);
    }
}

// The replica's acknowledged offset as the primary reports it (slave0:...,offset=N,lag=...).
long long acked_offset(const sh::redis::Endpoint& primary) {
    auto line = replication(primary, "slave0");
    auto at = line.find("offset=");
    return at == std::string::npos ? -1 : std::stoll(line.substr(at + 7));
}

TopologyOptions options(int replicas, int sentinels) {
    TopologyOptions result;
    result.replicas = replicas;
    result.sentinels = sentinels;
    result.down_after = 1000ms;
    return result;
}

void expect_sentinels_name(EmbeddedTopology& topology, int node) {
    for (const auto& address : topology.sentinel_addresses()) {
        sh::redis::Endpoint sentinel;
        sentinel.port = address.port;
        auto connection = connect(sentinel);
        auto reply = connection.command(
            {"SENTINEL", "get-master-addr-by-name", EmbeddedTopology::master_name});
        EXPECT_EQ(ReplyView(reply.get()).element(1).integer_text(), topology.node(node).port())
            << "Sentinel on port " << address.port;
    }
}

}  // namespace

TEST(Topology, ReplicaFollowsAndGracefulFailoverSwapsRoles) {
    EmbeddedTopology topology(options(1, 0));
    ASSERT_EQ(topology.node_count(), 2);
    EXPECT_FALSE(topology.version().empty());
    EXPECT_TRUE(topology.client_endpoint().sentinels.empty());
    EXPECT_EQ(topology.client_endpoint().port, topology.node(0).port());

    auto primary = connect(topology.node_endpoint(0));
    primary.command({"XADD", "topo:stream", "1-1", "order", "1"});
    primary.command({"SET", "topo:key", "before"});
    EXPECT_EQ(ReplyView(primary.command({"WAIT", "1", "2000"}).get()).integer(), 1);
    auto replica = connect(topology.node_endpoint(1));
    EXPECT_EQ(text(replica, {"GET", "topo:key"}), "before");
    EXPECT_EQ(role(topology.node_endpoint(1)), "slave");

    auto change = topology.failover(10s);
    EXPECT_EQ(change.old_primary, 0);
    EXPECT_EQ(change.new_primary, 1);
    EXPECT_EQ(topology.primary(), 1);
    EXPECT_EQ(role(topology.node_endpoint(1)), "master");
    EXPECT_EQ(role(topology.node_endpoint(0)), "slave");
    EXPECT_EQ(topology.client_endpoint().port, topology.node(1).port());
    std::cout << "graceful FAILOVER took " << change.took_ms << " ms\n";

    auto promoted = connect(topology.node_endpoint(1));
    EXPECT_EQ(text(promoted, {"GET", "topo:key"}), "before");
    EXPECT_EQ(ReplyView(promoted.command({"XLEN", "topo:stream"}).get()).integer(), 1);
    promoted.command({"SET", "topo:key", "after"});
    EXPECT_TRUE(eventually(
        [&] {
            auto old = connect(topology.node_endpoint(0));
            return text(old, {"GET", "topo:key"}) == "after";
        },
        5s));
}

TEST(Topology, SentinelFailoverPromotesTheReplicaAndSentinelsAgree) {
    EmbeddedTopology topology(options(1, 3));
    auto endpoint = topology.client_endpoint();
    EXPECT_EQ(endpoint.sentinels.size(), 3u);
    EXPECT_EQ(endpoint.master_name, "streamharness");
    EXPECT_EQ(endpoint.port, topology.node(0).port());

    auto change = topology.failover(30s);
    std::cout << "SENTINEL FAILOVER took " << change.took_ms << " ms\n";
    EXPECT_EQ(change.new_primary, 1);
    EXPECT_EQ(topology.primary(), 1);
    expect_sentinels_name(topology, 1);
    EXPECT_EQ(role(topology.node_endpoint(0)), "slave");
    EXPECT_EQ(topology.client_endpoint().port, topology.node(1).port());
}

TEST(Topology, KilledPrimaryIsReplacedAndRejoinsAsReplica) {
    EmbeddedTopology topology(options(1, 3));
    auto primary = connect(topology.node_endpoint(0));
    primary.command({"SET", "topo:key", "kept"});
    EXPECT_EQ(ReplyView(primary.command({"WAIT", "1", "2000"}).get()).integer(), 1);

    auto change = topology.kill_primary_and_await(30s);
    std::cout << "promotion after SIGKILL took " << change.took_ms << " ms\n";
    EXPECT_EQ(change.old_primary, 0);
    EXPECT_EQ(change.new_primary, 1);
    EXPECT_EQ(topology.primary(), 1);
    EXPECT_FALSE(topology.node_running(0));
    expect_sentinels_name(topology, 1);
    auto now_primary = connect(topology.node_endpoint(1));
    EXPECT_EQ(text(now_primary, {"GET", "topo:key"}), "kept");

    topology.rejoin(0);
    EXPECT_TRUE(topology.node_running(0));
    // Never a master on its way back, not even for a moment.
    EXPECT_EQ(role(topology.node_endpoint(0)), "slave");
    EXPECT_TRUE(eventually(
        [&] {
            auto endpoint = topology.node_endpoint(0);
            return replication(endpoint, "master_link_status") == "up" &&
                   replication(endpoint, "master_port") == std::to_string(topology.node(1).port());
        },
        10s));
    auto rejoined = connect(topology.node_endpoint(0));
    EXPECT_EQ(text(rejoined, {"GET", "topo:key"}), "kept");
}

TEST(Topology, StalledReplicaLagsAndCatchesUpOnResume) {
    EmbeddedTopology topology(options(1, 0));
    topology.stall(1);
    EXPECT_TRUE(topology.stalled(1));
    EXPECT_EQ(topology.pick_replica(), -1);
    std::this_thread::sleep_for(100ms);  // let an acknowledgement in flight arrive
    auto primary = connect(topology.node_endpoint(0));
    for (int i = 0; i < 200; ++i)
        primary.command({"XADD", "topo:lag", "*", "i", std::to_string(i)});
    auto written = std::stoll(replication(topology.node_endpoint(0), "master_repl_offset"));
    std::this_thread::sleep_for(1500ms);  // a running replica would have acknowledged by now
    EXPECT_LT(acked_offset(topology.node_endpoint(0)), written);

    topology.resume(1);
    EXPECT_FALSE(topology.stalled(1));
    EXPECT_EQ(topology.pick_replica(), 1);
    EXPECT_TRUE(eventually(
        [&] {
            return std::stoll(replication(topology.node_endpoint(1), "slave_repl_offset")) ==
                   written;
        },
        5s));
    auto replica = connect(topology.node_endpoint(1));
    EXPECT_EQ(ReplyView(replica.command({"XLEN", "topo:lag"}).get()).integer(), 200);

    // Without Sentinels nothing would promote the replica: refused before anything is killed.
    EXPECT_THROW(topology.kill_primary_and_await(1s), sh::EnvironmentError);
    EXPECT_TRUE(topology.node_running(0));
    bool was_down = false;
    EXPECT_EQ(topology.kill_primary([&] { was_down = !topology.node_running(0); }), 0);
    EXPECT_TRUE(was_down);
    EXPECT_EQ(role(topology.node_endpoint(1)), "slave");
}

TEST(Topology, DestructionLeavesNoProcessNorDirectoryEvenWithAStalledNode) {
    PrivateTmpdir tmp;
    auto before = children();
    std::set<pid_t> pids;
    {
        EmbeddedTopology topology(options(2, 3));
        for (auto pid : children()) {
            if (!before.count(pid)) pids.insert(pid);
        }
        EXPECT_EQ(pids.size(), 6u);  // 3 data nodes, 3 Sentinels
        for (int i = 0; i < topology.node_count(); ++i)
            EXPECT_TRUE(pids.count(topology.node_pid(i)));
        topology.stall(2);
        EXPECT_FALSE(tmp.empty());
    }
    for (auto pid : pids) EXPECT_TRUE(gone(pid)) << "pid " << pid;
    EXPECT_TRUE(tmp.empty());
}

TEST(Topology, FailedStartLeavesNoProcessNorDirectory) {
    PrivateTmpdir tmp;
    auto before = children();
    auto broken = options(1, 3);
    broken.sentinel_executable = "false";  // exits at once: the Sentinels never come up
    EXPECT_THROW(EmbeddedTopology topology(broken), sh::EnvironmentError);
    EXPECT_EQ(children(), before);
    EXPECT_TRUE(tmp.empty());
}
