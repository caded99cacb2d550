#include "harness/run/cluster_facts.hpp"

#include <algorithm>

#include "harness/errors.hpp"
#include "harness/redis/cluster_slots.hpp"

namespace sh::run {

namespace {

std::string address_of(const redis::Endpoint& endpoint) {
    return endpoint.host + ":" + std::to_string(endpoint.port);
}

}  // namespace

std::optional<ClusterFacts> cluster_facts_at_start(redis::Connection& control,
                                                   const model::StreamShards& shards) {
    if (!control.cluster()) return std::nullopt;
    ClusterFacts facts;
    for (const auto& primary : control.primaries()) {
        facts.primaries_at_start.push_back(address_of(primary));
    }
    std::sort(facts.primaries_at_start.begin(), facts.primaries_at_start.end());
    for (const auto& keys : shards) {
        facts.shards.push_back({keys.stream(), redis::key_slot(keys.stream()),
                                address_of(control.node_for_key(keys.stream())), ""});
    }
    return facts;
}

void finish_cluster_facts(ClusterFacts& facts, redis::Connection& control,
                          const produce::ProducerTotals& producers,
                          const std::vector<GroupResult>& groups) {
    for (auto& shard : facts.shards) {
        try {
            // A plain command refreshes the slot map if the slot moved (MOVED) first.
            control.command({"EXISTS", shard.stream});
            shard.primary_at_end = address_of(control.node_for_key(shard.stream));
        } catch (const RedisError&) {
            shard.primary_at_end.clear();
        }
    }
    facts.producers = {producers.cluster_moved.load(), producers.cluster_ask.load(),
                       producers.cluster_tryagain.load(), producers.cluster_down.load(),
                       producers.cluster_readonly_unblocked.load()};
    facts.consumers = {};
    for (const auto& group : groups) {
        facts.consumers += {group.counters.cluster_moved, group.counters.cluster_ask,
                            group.counters.cluster_tryagain, group.counters.cluster_down,
                            group.counters.cluster_readonly_unblocked};
    }
    auto own = control.cluster_counters();
    facts.supervisor = {static_cast<std::uint64_t>(own.moved), static_cast<std::uint64_t>(own.ask),
                        static_cast<std::uint64_t>(own.tryagain),
                        static_cast<std::uint64_t>(own.clusterdown),
                        static_cast<std::uint64_t>(own.readonly_unblocked)};
}

}  // namespace sh::run
