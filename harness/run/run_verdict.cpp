#include "harness/run/run_verdict.hpp"

#include "harness/run/agent_barrier.hpp"
#include "harness/run/replication_verdict.hpp"

namespace sh::run {

void collect_stats(RunResult& result, const Fleet& fleet, const workload::Workload& workload) {
    result.groups.resize(workload.groups.size());
    for (std::size_t g = 0; g < workload.groups.size(); ++g) {
        result.groups[g].name = workload.groups[g].name;
        result.groups[g].external = workload.groups[g].consumer.has_value();
    }
    for (const auto& worker : fleet.workers()) {
        if (worker.external) continue;  // its slot holds nothing: it reports to no one
        const auto& slot = fleet.slot_of(worker);
        auto& group = result.groups[worker.group_index];
        group.counters += slot.counters.values();
        group.latency_first->merge(slot.latency_first);
        group.latency_recovered->merge(slot.latency_recovered);
        result.consumers.push_back({worker.group, worker.name, slot.counters.values()});
        auto& outage =
            result.client_outage ? *result.client_outage : result.client_outage.emplace();
        auto ms = static_cast<std::int64_t>(slot.counters.values().no_primary_ms);
        outage.consumers_total_ms += ms;
        outage.consumers_max_ms = std::max(outage.consumers_max_ms, ms);
    }
    for (std::size_t g = 0; g < workload.groups.size(); ++g) {
        auto& group = result.groups[g];
        group.latency_all->merge(*group.latency_first);
        group.latency_all->merge(*group.latency_recovered);
    }
}

void record_production(RunResult& result, const ProducerPool& producers) {
    const auto& outcomes = producers.outcomes();
    result.orders_allocated = producers.allocated();
    result.produced_ok = outcomes.count(model::Outcome::ok);
    result.produced_failed = outcomes.count(model::Outcome::failed);
    result.produced_indeterminate = outcomes.count(model::Outcome::indeterminate);
    result.producer_reconnects = producers.totals().reconnects.load();
    auto& outage = result.client_outage ? *result.client_outage : result.client_outage.emplace();
    outage.producers_total_ms = static_cast<std::int64_t>(producers.totals().no_primary_ms.load());
    outage.producers_max_ms =
        static_cast<std::int64_t>(producers.totals().no_primary_max_ms.load());
    outage.producer_wait_short = producers.totals().wait_short.load();
    result.xadd_latency = std::make_unique<measure::Histogram>();
    producers.merge_xadd_latency(*result.xadd_latency);
    result.xadd_latency_per_producer = producers.xadd_latencies();
}

std::vector<verify::GroupLedger> read_ledgers(RunResult& result, redis::Connection& redis,
                                              const model::StreamShards& shards,
                                              const workload::Workload& workload,
                                              const model::OutcomeTable& outcomes,
                                              redis::Connection* effect_store) {
    std::vector<verify::GroupLedger> ledgers;
    for (const auto& group : workload.groups) {
        bool separate = group.effect_store == workload::EffectStore::separate;
        ledgers.push_back(verify::read_ledger(redis, shards, group, outcomes.size(),
                                              separate ? effect_store : nullptr));
    }
    auto indeterminate = outcomes.list(model::Outcome::indeterminate);
    result.indeterminate = verify::resolve_indeterminate(
        outcomes, verify::find_in_stream(redis, shards, indeterminate), ledgers);
    return ledgers;
}

void judge_groups(RunResult& result, const workload::Workload& workload,
                  const model::OutcomeTable& outcomes, const model::OrderAttributes& attributes,
                  const std::vector<verify::GroupLedger>& ledgers) {
    double active_s = result.producing_s + result.drain_s;
    for (std::size_t g = 0; g < workload.groups.size(); ++g) {
        auto& group = result.groups[g];
        group.verdict =
            verify::verify_group(outcomes, attributes, ledgers[g], result.restart_watermarks,
                                 result.indeterminate, result.held_at_hard_kills[group.name]);
        group.applied_per_s =
            active_s > 0 ? static_cast<double>(group.verdict.applied) / active_s : 0;
    }
}

void judge_gates(RunResult& result, const workload::Workload& workload,
                 const std::optional<verify::ReplicationFacts>& replication) {
    std::vector<verify::GroupVerdict> verdicts;
    std::vector<verify::GroupMeasurements> measurements;
    for (const auto& group : result.groups) {
        verdicts.push_back(group.verdict);
        measurements.push_back({group.name,
                                static_cast<double>(group.latency_all->percentile(99)) / 1000.0,
                                group.applied_per_s});
    }
    result.gates = verify::evaluate_gates(workload.gates, verdicts, measurements, result.drained);
    auto run_gates = verify::evaluate_run_gates(
        workload.gates, {result.produced_ok, result.produced_failed, result.produced_indeterminate,
                         result.evicted_keys, result.faults, replication});
    result.gates.insert(result.gates.end(), run_gates.begin(), run_gates.end());
    result.passed = verify::all_passed(result.gates);
}

// The producers' record against what Redis holds, per group, and the gates.
void verify_run(RunResult& result, redis::Connection& control, const model::StreamShards& shards,
                const workload::Workload& workload, const ProducerPool& producers,
                const model::OrderAttributes& attributes, EvictionCount& evictions,
                RunServers& servers) {
    const auto& outcomes = producers.outcomes();
    record_production(result, producers);
    std::optional<redis::Connection> effect_store;
    if (auto store = servers.effect_store()) {
        effect_store.emplace(*store, redis::ConnectionOptions{});
    }
    auto ledgers = read_ledgers(result, control, shards, workload, outcomes,
                                effect_store ? &*effect_store : nullptr);
    // Read after everything the verdict rests on: an eviction before this point may have taken
    // a ledger key (a duplicate record is the least recently used of them).
    evictions.read(control);
    result.evicted_keys = evictions.total();
    judge_groups(result, workload, outcomes, attributes, ledgers);
    std::optional<verify::ReplicationFacts> replication;
    if (servers.replicated()) {
        // A replicated run has one shard (workload checks).
        replication =
            judge_primary_changes(result, control, shards.front(), outcomes, attributes, ledgers);
    }
    judge_gates(result, workload, replication);
}

// What `merge` needs of this agent beyond its measurements.
AgentPart agent_part(const model::AgentShare& agent, const model::SharedClock& clock,
                     const ProducerPool& producers, const EvictionCount& evictions) {
    AgentPart part;
    part.index = agent.index;
    part.count = agent.count;
    part.host = this_host();
    part.boot_id = this_boot_id();
    for (int other = 1; other <= agent.count; ++other) {
        if (clock.times(static_cast<std::uint64_t>(other - 1))) part.clock_agents.push_back(other);
    }
    part.orders_allocated = producers.allocated();
    const auto& outcomes = producers.outcomes();
    for (std::uint64_t local = 0; local < part.orders_allocated; ++local) {
        auto order = agent.order_number(local);
        switch (outcomes.at(order)) {
            case model::Outcome::ok:
                break;
            case model::Outcome::failed:
                part.failed.push_back(order);
                break;
            case model::Outcome::indeterminate:
                part.indeterminate.push_back(order);
                break;
            case model::Outcome::unsent:
                part.unsent.push_back(order);
                break;
        }
    }
    part.eviction_baselines = evictions.baselines();
    return part;
}

}  // namespace sh::run
