// The workload's replication settings in JSON: topology, WAIT after writes, where a group's
// effects live (DESIGN §3.3). Kept apart from workload_json.cpp, which reads everything else.
#pragma once

#include <nlohmann/json.hpp>

#include "harness/workload/object_reader.hpp"
#include "harness/workload/workload.hpp"

namespace sh::workload {

extern const Choices<EffectStore> effect_store_names;
extern const Choices<ClusterFailoverMode> cluster_failover_names;

void read_topology(ObjectReader& reader, TopologySpec& topology);
void read_wait(ObjectReader& reader, WaitSpec& wait);
void read_replication_gates(ObjectReader& reader, Gates& gates);

nlohmann::json to_json(const TopologySpec& topology);
nlohmann::json to_json(const WaitSpec& wait);
// Adds the replication gates to the gates object.
void add_replication_gates(nlohmann::json& gates_json, const Gates& gates);

}  // namespace sh::workload
