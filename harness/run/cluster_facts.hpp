// What a run on a Redis Cluster reports about it (DESIGN §11): the primary each shard's slot
// lived on at the start and at the end, and the redirections (MOVED, ASK) and retries
// (TRYAGAIN, CLUSTERDOWN) the clients' cluster layer absorbed.
#pragma once

#include <optional>

#include "harness/model/keys.hpp"
#include "harness/produce/producer.hpp"
#include "harness/redis/connection.hpp"
#include "harness/run/run_result.hpp"

namespace sh::run {

// Null when the connection does not route over a cluster.
std::optional<ClusterFacts> cluster_facts_at_start(redis::Connection& control,
                                                   const model::StreamShards& shards);

// Where the shards are now (a primary that cannot be told is left empty: the run's own error,
// if any, is what matters), and the retries: the producers' totals, the consumers' from the
// groups' counters (collected already), the supervisor's from its connection.
void finish_cluster_facts(ClusterFacts& facts, redis::Connection& control,
                          const produce::ProducerTotals& producers,
                          const std::vector<GroupResult>& groups);

}  // namespace sh::run
