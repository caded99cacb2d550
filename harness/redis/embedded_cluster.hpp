// A private Redis Cluster for one run or one test: primaries and their replicas (Debian's
// redis-server with cluster-enabled), each an EmbeddedServer on a free loopback port in its own
// temporary directory, which holds its nodes.conf. Destroying the value (also during stack
// unwinding) leaves no process and no directory behind; every process dies with the harness
// (PR_SET_PDEATHSIG). Slot migration and failover are exposed step by step for chaos. DESIGN §3.3.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "harness/redis/cluster_nodes.hpp"
#include "harness/redis/connection.hpp"
#include "harness/redis/embedded_server.hpp"
#include "harness/redis/persistence.hpp"
#include "harness/redis/url.hpp"

namespace sh::redis {

struct ClusterOptions {
    int primaries = 3;             // 1..16 (1: a one-node cluster owning all slots)
    int replicas_per_primary = 0;  // 0..2
    // cluster-node-timeout: how long a silent node is tolerated before a replica takes over.
    std::chrono::milliseconds node_timeout{2000};
    Persistence persistence = Persistence::none;
    std::string executable = "redis-server";
};

class EmbeddedCluster {
  public:
    // Starts every node, gives each primary an even share of the 16384 slots, joins them (CLUSTER
    // MEET), attaches the replicas (CLUSTER REPLICATE), then waits (30 s at most) until every
    // node says cluster_state:ok, all agree on the slot map and every replica is linked. Throws
    // EnvironmentError naming the node, what did not converge and the node's log tail. About
    // 2 s: a new primary says cluster_state:fail for its first 2 s (CLUSTER_WRITABLE_DELAY).
    explicit EmbeddedCluster(ClusterOptions options);
    ~EmbeddedCluster();
    EmbeddedCluster(const EmbeddedCluster&) = delete;
    EmbeddedCluster& operator=(const EmbeddedCluster&) = delete;

    const ClusterOptions& options() const { return options_; }
    // The first node, in started order, that runs: the first primary unless it was killed.
    Endpoint seed() const;
    // Every node, started order: primaries first, then replicas (replica k serves primary
    // k % primaries).
    std::vector<Endpoint> node_endpoints() const;
    // CLUSTER NODES as the first running, not stalled node sees it.
    std::vector<ClusterNode> nodes();
    // The node's id (CLUSTER MYID when it started; nodes.conf keeps it across restarts), so
    // also for a killed node.
    std::string node_id_at(const std::string& host_port);
    // The owner of slot per nodes(); throws EnvironmentError when none owns it.
    Endpoint primary_for_slot(int slot);
    // The node, to kill, stall, stop or start; throws std::out_of_range for an unknown address.
    EmbeddedServer& server(const std::string& host_port);

    // Slot migration in the three steps `redis-cli --cluster reshard` takes, so that chaos can
    // pause between them (clients then meet ASK and TRYAGAIN). begin: SETSLOT IMPORTING on the
    // target, MIGRATING on the owner.
    void begin_slot_migration(int slot, const std::string& target_host_port);
    // CLUSTER GETKEYSINSLOT + MIGRATE ... KEYS, batch keys at a time, until none is left on the
    // owner; returns the number of keys moved.
    std::size_t migrate_slot_keys(int slot, std::size_t batch = 100);
    // SETSLOT NODE target on the target, the owner, then every other running primary.
    void finish_slot_migration(int slot);
    void migrate_slot(int slot, const std::string& target_host_port);

    // CLUSTER FAILOVER [FORCE|TAKEOVER] on a replica, then waits until every running node sees
    // it as the primary owning the old primary's slots (EnvironmentError after timeout).
    // Returns {old primary, new primary} as host:port.
    enum class FailoverMode { graceful, force, takeover };
    std::pair<std::string, std::string> failover(const std::string& replica_host_port,
                                                 FailoverMode mode,
                                                 std::chrono::milliseconds timeout);

    // SIGKILL and reap; does not wait for the cluster to notice. A replica takes over a killed
    // primary only if a majority of the primaries owning slots still runs and votes: with fewer
    // than 3 primaries, never.
    void kill_node(const std::string& host_port);
    // Starts a killed node again on its port and directory (it rejoins through its nodes.conf),
    // then wait_until_ok (30 s at most). A node that comes back as a primary says
    // cluster_state:fail for its first 2 s (Redis's CLUSTER_WRITABLE_DELAY), so this takes 2 s.
    void restart_node(const std::string& host_port);
    // Until every running node says cluster_state:ok, all see the same slot map and every slot's
    // owner is a running node (a killed primary's slots have moved to its replica, or it runs
    // again). EnvironmentError naming what is still missing after timeout.
    void wait_until_ok(std::chrono::milliseconds timeout);

  private:
    struct Node;
    struct Migration {
        std::string source;  // host:port
        std::string target;
    };
    void join_and_assign_slots();
    void stop_all();
    Node& node_at(const std::string& host_port);
    const Node* find_by_id(const std::string& id) const;
    const Node& primary_of_replica(std::size_t index) const;
    // The first node, in started order, that runs and is not stopped (SIGSTOP).
    Node& first_answering();
    // "; log of host:port: <tail>" for error messages; "" for an address not ours.
    std::string log_of(const std::string& host_port) const;
    // The command on the node at host_port; an error names the node and quotes its log.
    ReplyPtr command_on(const std::string& host_port, const Args& args);
    // What keeps the cluster from being ok per wait_until_ok, "" when nothing; node_lacking
    // names the node concerned.
    std::string not_ok(std::string& node_lacking);
    // A replica not linked to its primary, or not seen as its replica by every node.
    std::string replicas_not_linked(std::string& node_lacking);
    const Migration& migration_of(int slot) const;

    ClusterOptions options_;
    std::vector<std::unique_ptr<Node>> nodes_;
    std::map<int, Migration> migrations_;  // by slot: begun, not yet finished
};

}  // namespace sh::redis
