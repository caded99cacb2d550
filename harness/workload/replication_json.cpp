#include "harness/workload/replication_json.hpp"

namespace sh::workload {

using nlohmann::json;

const Choices<EffectStore> effect_store_names{{"redis", EffectStore::redis},
                                              {"separate", EffectStore::separate}};

const char* to_string(EffectStore store) {
    return store == EffectStore::redis ? "redis" : "separate";
}

const Choices<ClusterFailoverMode> cluster_failover_names{
    {"graceful", ClusterFailoverMode::graceful},
    {"force", ClusterFailoverMode::force},
    {"takeover", ClusterFailoverMode::takeover}};

bool on_cluster(FaultKind fault) {
    return fault == FaultKind::cluster_failover || fault == FaultKind::slot_migration ||
           fault == FaultKind::node_kill;
}

bool changes_primary(FaultKind fault) {
    return fault == FaultKind::failover || fault == FaultKind::primary_kill;
}

namespace {
constexpr std::int64_t max_count = 1'000'000'000;

template <typename T>
json optional_json(const std::optional<T>& value) {
    return value ? json(*value) : json(nullptr);
}
}  // namespace

void read_topology(ObjectReader& reader, TopologySpec& topology) {
    reader.integer("replicas", topology.replicas, 0, 2);
    reader.integer("sentinels", topology.sentinels, 0, 3);
    reader.integer("min_replicas_to_write", topology.min_replicas_to_write, 0, 2);
    reader.integer("min_replicas_max_lag_s", topology.min_replicas_max_lag_s, 1, 3600);
    reader.integer("down_after_ms", topology.down_after_ms, 100, 600'000);
    reader.object("cluster", [&](ObjectReader& sub) {
        auto& cluster = topology.cluster;
        sub.integer("primaries", cluster.primaries, 0, 9);
        sub.integer("replicas_per_primary", cluster.replicas_per_primary, 0, 1);
        sub.integer("node_timeout_ms", cluster.node_timeout_ms, 100, 600'000);
    });
}

void read_wait(ObjectReader& reader, WaitSpec& wait) {
    reader.integer("replicas", wait.replicas, 0, 16);
    reader.integer("timeout_ms", wait.timeout_ms, 0, 3'600'000);
    reader.integer("aof_local", wait.aof_local, 0, 1);
    reader.integer("aof_replicas", wait.aof_replicas, 0, 16);
}

void read_replication_gates(ObjectReader& reader, Gates& gates) {
    reader.optional_integer("max_lost_writes", gates.max_lost_writes, 0, max_count);
    reader.optional_integer("max_redelivered_after_ack", gates.max_redelivered_after_ack, 0,
                            max_count);
    reader.optional_integer("max_rolled_back_entries", gates.max_rolled_back_entries, 0, max_count);
    reader.optional_integer("max_missing_groups", gates.max_missing_groups, 0, max_count);
}

json to_json(const TopologySpec& topology) {
    return {{"replicas", topology.replicas},
            {"sentinels", topology.sentinels},
            {"min_replicas_to_write", topology.min_replicas_to_write},
            {"min_replicas_max_lag_s", topology.min_replicas_max_lag_s},
            {"down_after_ms", topology.down_after_ms},
            {"cluster",
             {{"primaries", topology.cluster.primaries},
              {"replicas_per_primary", topology.cluster.replicas_per_primary},
              {"node_timeout_ms", topology.cluster.node_timeout_ms}}}};
}

json to_json(const WaitSpec& wait) {
    return {{"replicas", wait.replicas},
            {"timeout_ms", wait.timeout_ms},
            {"aof_local", wait.aof_local},
            {"aof_replicas", wait.aof_replicas}};
}

void add_replication_gates(json& gates_json, const Gates& gates) {
    gates_json["max_lost_writes"] = optional_json(gates.max_lost_writes);
    gates_json["max_redelivered_after_ack"] = optional_json(gates.max_redelivered_after_ack);
    gates_json["max_rolled_back_entries"] = optional_json(gates.max_rolled_back_entries);
    gates_json["max_missing_groups"] = optional_json(gates.max_missing_groups);
}

}  // namespace sh::workload
