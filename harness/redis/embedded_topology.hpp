// A private replicated Redis for one run or one test: a primary, 0-2 replicas and 0 or 3
// Sentinels (Debian's redis-server and redis-sentinel), each on a free loopback port in its own
// temporary directory. Destroying the value (also during stack unwinding) leaves no process and no
// directory behind; every process dies with the harness (PR_SET_PDEATHSIG). DESIGN §3.3.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "harness/redis/embedded_server.hpp"
#include "harness/redis/persistence.hpp"
#include "harness/redis/url.hpp"

namespace sh::redis {

struct TopologyOptions {
    int replicas = 0;   // 0..2
    int sentinels = 0;  // 0 or 3 (quorum 2)
    // min-replicas-to-write / min-replicas-max-lag on every data node (any may be promoted).
    int min_replicas_to_write = 0;
    int min_replicas_max_lag_s = 10;
    Persistence persistence = Persistence::none;
    std::string server_executable = "redis-server";
    std::string sentinel_executable = "redis-sentinel";
    // Sentinel's down-after-milliseconds: how long a silent primary is tolerated.
    std::chrono::milliseconds down_after{1000};
};

// How a change of primary went, as the harness observed it.
struct PrimaryChange {
    int old_primary = -1;
    int new_primary = -1;
    std::int64_t took_ms = 0;  // from the request (or the kill) until the new primary was found
};

class EmbeddedTopology {
  public:
    static constexpr const char* master_name = "streamharness";

    // Starts the primary, then the replicas (waits until each reports master_link_status:up),
    // then the Sentinels (waits until every Sentinel names the primary and knows every replica
    // and the other Sentinels). Throws EnvironmentError naming the process and its log's tail.
    explicit EmbeddedTopology(TopologyOptions options);
    ~EmbeddedTopology();
    EmbeddedTopology(const EmbeddedTopology&) = delete;
    EmbeddedTopology& operator=(const EmbeddedTopology&) = delete;

    const TopologyOptions& options() const { return options_; }
    int node_count() const;  // 1 + replicas; node 0 is the first primary
    Endpoint node_endpoint(int node) const;
    pid_t node_pid(int node) const;
    bool node_running(int node) const;
    EmbeddedServer& node(int node);
    // The node the harness last saw as primary (after failover() / await_promotion()).
    int primary() const { return primary_; }
    // Where clients connect: with Sentinels a sentinel endpoint (Endpoint::sentinels and
    // master_name set), else the primary node's endpoint.
    Endpoint client_endpoint() const;
    std::vector<HostPort> sentinel_addresses() const;
    std::string version() const;

    // Graceful failover: SENTINEL FAILOVER with Sentinels, else FAILOVER on the primary. Does
    // not wait; new_primary() tells when it is done.
    void request_failover();
    // SIGKILLs the primary and reaps it; while_down runs right after. Returns the node killed.
    // The Sentinels promote a replica; new_primary() tells when.
    int kill_primary(const std::function<void()>& while_down = {});
    // A quick check, never blocking for long (short timeouts): the node that replaced
    // old_primary, once one answers ROLE master (INFO replication failover_state:no-failover),
    // old_primary is dead or answers ROLE slave, and (with Sentinels) every Sentinel names the new
    // one. primary() is then that node. Empty while the change is still under way.
    std::optional<int> new_primary(int old_primary);
    // What the last new_primary() that came back empty was still waiting for.
    std::string waiting_for() const;
    // Blocking forms for tests and tools: request (or kill), then poll new_primary() until
    // timeout (EnvironmentError naming what was still missing).
    PrimaryChange failover(std::chrono::milliseconds timeout);
    PrimaryChange kill_primary_and_await(std::chrono::milliseconds timeout);
    // Starts a killed node again on its port, as a replica of the current primary.
    void rejoin(int node);
    // SIGSTOP / SIGCONT a node. Stalling a replica also closes the primary's side of its link
    // (a partition): it falls behind while the primary takes writes, and catches up (PSYNC)
    // only once resumed.
    void stall(int node);
    void resume(int node);
    bool stalled(int node) const;
    // A running, not stalled replica; -1 if none.
    int pick_replica() const;

  private:
    struct Impl;
    // Polls new_primary() until it answers or since + timeout (EnvironmentError: what is missing).
    PrimaryChange await_new_primary(int old_primary, const char* what,
                                    std::chrono::steady_clock::time_point since,
                                    std::chrono::milliseconds timeout);
    TopologyOptions options_;
    int primary_ = 0;
    std::unique_ptr<Impl> impl_;
};

}  // namespace sh::redis
