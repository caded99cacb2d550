// The seam through which something outside harness/ (the chaos controller) acts on a run while
// it goes, without the supervisor knowing what it does. Called from the supervisor's thread,
// the one that starts worker processes (their PR_SET_PDEATHSIG is tied to it).
#pragma once

#include <cstdint>
#include <functional>

#include "harness/model/keys.hpp"
#include "harness/redis/connection.hpp"
#include "harness/redis/embedded_cluster.hpp"
#include "harness/redis/embedded_server.hpp"
#include "harness/redis/embedded_topology.hpp"
#include "harness/run/fleet.hpp"
#include "harness/run/run_result.hpp"
#include "harness/workload/workload.hpp"

namespace sh::run {

// What a fault may act on and where it records what it did.
struct RunControl {
    const workload::Workload& workload;
    Fleet& fleet;
    redis::Connection& redis;           // the supervisor's own connection
    redis::EmbeddedServer* embedded;    // null on an external Redis (or with replicas)
    redis::EmbeddedTopology* topology;  // null on an external Redis and with a cluster
    redis::EmbeddedCluster* cluster;    // the embedded cluster (topology.cluster), else null
    const model::StreamShards& shards;
    std::function<std::uint64_t()> orders_allocated;  // order numbers handed out so far
    std::int64_t start_ns;
    RunResult& result;  // events, restart watermarks, the chaos summary and tallies
    std::function<ClientTally()> client_tally;  // what the clients went through so far

    // The keys of the shards a worker reads.
    std::vector<const model::RunKeys*> keys_of(const Worker& worker) const {
        std::vector<const model::RunKeys*> keys;
        for (auto shard : worker.shards) keys.push_back(&shards[shard]);
        return keys;
    }
};

class RunObserver {
  public:
    virtual ~RunObserver() = default;
    // Before anything starts: throw WorkloadError when the run cannot do what was asked.
    virtual void check(const workload::Workload& workload, bool embedded_redis) = 0;
    // Every poll of the supervisor; producing is false once the producers have stopped.
    virtual void tick(RunControl& control, bool producing) = 0;
    // After the drain, before verification: undo what is still in effect, add the summary.
    virtual void finish(RunControl& control) = 0;
};

}  // namespace sh::run
