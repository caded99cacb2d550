#include "reports/cluster_json.hpp"

#include "reports/report_keys.hpp"

namespace sh::reports {

using nlohmann::json;

namespace {

json retries_json(const run::ClusterRetries& retries) {
    return {{key::moved, retries.moved},
            {key::ask, retries.ask},
            {key::tryagain, retries.tryagain},
            {key::clusterdown, retries.clusterdown},
            {key::readonly_unblocked, retries.readonly_unblocked}};
}

}  // namespace

json cluster_json(const run::RunResult& result) {
    if (!result.cluster) return nullptr;
    const auto& cluster = *result.cluster;
    json shards = json::array();
    for (const auto& shard : cluster.shards) {
        shards.push_back(
            {{key::stream, shard.stream},
             {key::slot, shard.slot},
             {key::primary_at_start, shard.primary_at_start},
             {key::primary_at_end,
              shard.primary_at_end.empty() ? json(nullptr) : json(shard.primary_at_end)}});
    }
    auto total = cluster.producers;
    total += cluster.consumers;
    total += cluster.supervisor;
    return {{key::primaries_at_start, cluster.primaries_at_start},
            {key::shards, shards},
            {key::retries,
             {{key::producers, retries_json(cluster.producers)},
              {key::consumers, retries_json(cluster.consumers)},
              {key::supervisor, retries_json(cluster.supervisor)},
              {key::total, retries_json(total)}}}};
}

}  // namespace sh::reports
