// The servers a run talks to (DESIGN §3, §3.3): the user's (--redis, which may be a
// redis-sentinel:// URL) or an embedded topology of the workload's shape; and a separate
// embedded server for the ledgers of groups with effect_store: separate. Destroying the value
// stops every server it started.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "harness/redis/embedded_cluster.hpp"
#include "harness/redis/embedded_server.hpp"
#include "harness/redis/embedded_topology.hpp"
#include "harness/redis/url.hpp"
#include "harness/workload/workload.hpp"

namespace sh::run {

class RunServers {
  public:
    RunServers(const workload::Workload& workload, const std::optional<redis::Endpoint>& external);

    // Where the run's clients connect (through Sentinel when the topology has Sentinels).
    const redis::Endpoint& endpoint() const { return endpoint_; }
    redis::EmbeddedTopology* topology() { return topology_.get(); }
    // The embedded Redis Cluster (topology.cluster), else null.
    redis::EmbeddedCluster* cluster() { return cluster_.get(); }
    // The lone embedded server (no replicas), which redis-restart restarts; else null.
    redis::EmbeddedServer* single_server();
    // The separate effect store, when a group uses one.
    std::optional<redis::Endpoint> effect_store() const;
    // Failovers can happen: the stream is read for lost writes at the end (§7.1).
    bool replicated() const;

  private:
    std::unique_ptr<redis::EmbeddedTopology> topology_;
    std::unique_ptr<redis::EmbeddedCluster> cluster_;
    std::unique_ptr<redis::EmbeddedServer> effect_store_;
    redis::Endpoint endpoint_;
};

// WAITAOF came with Redis 7.2: a workload that asks for it on an older server is refused
// (EnvironmentError naming the setting and the version).
void require_wait_support(const workload::Workload& workload, const std::string& redis_version);

}  // namespace sh::run
