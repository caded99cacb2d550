// From what a run measured and what Redis holds to its verdict: the fleet's counters and
// histograms gathered per group, the producers' record, every group's verdict and the gates.
// Shared by a run that judges itself and by `merge`, which judges a run its agents shared.
#pragma once

#include <optional>
#include <vector>

#include "harness/model/agent_share.hpp"
#include "harness/model/keys.hpp"
#include "harness/model/order.hpp"
#include "harness/model/outcome_table.hpp"
#include "harness/redis/connection.hpp"
#include "harness/run/fleet.hpp"
#include "harness/run/producer_pool.hpp"
#include "harness/run/redis_setup.hpp"
#include "harness/run/run_result.hpp"
#include "harness/run/run_servers.hpp"
#include "harness/verify/ledger_reader.hpp"

namespace sh::run {

// The fleet's counters and latency histograms, per group and per consumer.
void collect_stats(RunResult& result, const Fleet& fleet, const workload::Workload& workload);
// What the producers did, from their own record (also for the report of a run that failed).
void record_production(RunResult& result, const ProducerPool& producers);

// Every group's ledger, and what became of the XADDs whose reply was lost (into `result`).
std::vector<verify::GroupLedger> read_ledgers(RunResult& result, redis::Connection& redis,
                                              const model::StreamShards& shards,
                                              const workload::Workload& workload,
                                              const model::OutcomeTable& outcomes,
                                              redis::Connection* effect_store);
// Every group's verdict and throughput (over producing_s + drain_s), into result.groups.
void judge_groups(RunResult& result, const workload::Workload& workload,
                  const model::OutcomeTable& outcomes, const model::OrderAttributes& attributes,
                  const std::vector<verify::GroupLedger>& ledgers);
// The gates on the groups' verdicts as they stand and on the run, and the verdict.
void judge_gates(RunResult& result, const workload::Workload& workload,
                 const std::optional<verify::ReplicationFacts>& replication);

// A run judging itself: the producers' record against what Redis holds (evictions read last).
void verify_run(RunResult& result, redis::Connection& control, const model::StreamShards& shards,
                const workload::Workload& workload, const ProducerPool& producers,
                const model::OrderAttributes& attributes, EvictionCount& evictions,
                RunServers& servers);
// An agent's part of a shared run: what `merge` needs of it beyond its measurements.
AgentPart agent_part(const model::AgentShare& agent, const model::SharedClock& clock,
                     const ProducerPool& producers, const EvictionCount& evictions);

}  // namespace sh::run
