#include "harness/run/reverify.hpp"

#include <algorithm>

#include "harness/errors.hpp"
#include "harness/model/agent_share.hpp"
#include "harness/model/keys.hpp"
#include "harness/model/outcome_table.hpp"
#include "harness/run/agent_barrier.hpp"
#include "harness/verify/gates.hpp"
#include "harness/verify/ledger_reader.hpp"

namespace sh::run {

namespace {

// A gate verify adds for what only the run itself could have shown: it passes only when the
// record proves it.
verify::GateResult record_gate(const char* name, bool proven) {
    verify::GateResult gate;
    gate.gate = name;
    gate.limit = 1;
    gate.actual = proven ? 1 : 0;
    gate.passed = proven;
    return gate;
}

// How far the run's producers got: the record's, or for a run agents shared (§11.1), every
// agent's from sh:{<run-id>}:agents (the record's progress is agent 1's alone).
struct Progress {
    bool load_finished = false;
    std::uint64_t orders = 0;  // order numbers below this may have been handed out
    std::uint64_t produced_ok = 0;
};

Progress progress_of(redis::Connection& connection, const RunRecord& record) {
    if (record.agents <= 1) {
        return {record.load_finished, record.orders_allocated, record.orders_produced_ok};
    }
    auto agents = read_agents(connection, record.run_id);
    Progress progress{agents.size() == static_cast<std::size_t>(record.agents), 0, 0};
    for (const auto& agent : agents) {
        model::AgentShare share{agent.index, record.agents};
        progress.load_finished =
            progress.load_finished && (agent.phase == "loaded" || agent.phase == "done");
        if (agent.orders_allocated > 0) {
            progress.orders =
                std::max(progress.orders, share.order_number(agent.orders_allocated - 1) + 1);
        }
        progress.produced_ok += agent.orders_produced_ok;
    }
    return progress;
}

}  // namespace

RunResult reverify(redis::Connection& connection, const RunRecord& record) {
    RunResult result;
    result.run_id = record.run_id;
    result.started_at = record.started_at;
    result.workload = record.workload;
    result.verified_after_the_run = true;
    const auto& workload = record.workload;
    // A trimmed entry takes the proof that its order was produced with it: one acknowledged
    // and never applied would read as unknown instead of lost.
    if (workload.stream.retention.mode != workload::RetentionMode::off) {
        throw usage_error({"verify --run-id: run " + record.run_id +
                           " trimmed its stream (stream.retention), so its orders cannot be "
                           "told from the stream after the run; only the run itself could "
                           "judge it"});
    }
    // A separate effect store was an embedded server that ended with the run.
    for (const auto& group : workload.groups) {
        if (group.effect_store == workload::EffectStore::separate) {
            throw usage_error({"verify --run-id: group '" + group.name + "' of run " +
                               record.run_id +
                               " kept its effects in a separate embedded server (effect_store: "
                               "separate), which ended with the run"});
        }
    }
    // An evicted ledger key hides duplicates; the run's own start-time check is repeated.
    auto server = check_server(connection, false, false);
    model::StreamShards shards(record.run_id, workload.stream.name, workload.stream.key,
                               record.stamp, workload.stream.shards);
    result.environment.redis_version = server.version;
    result.environment.maxmemory_policy = server.maxmemory_policy;
    result.environment.config = server.config;
    result.environment.redis = connection.endpoint().redacted();
    result.environment.stream_key = shards.front().stream();
    result.environment.entry_stamp = record.stamp;
    result.environment.stream_created = record.created.stream;
    result.environment.group_start_id = record.created.group_start_id;
    for (const auto& group : workload.groups) result.group_names.push_back(group.name);

    auto in_stream = verify::orders_in_stream(connection, shards);
    std::sort(in_stream.begin(), in_stream.end());
    in_stream.erase(std::unique(in_stream.begin(), in_stream.end()), in_stream.end());
    // The numbers the run handed out, when its load phase finished; else those the stream
    // shows. Whatever a ledger names beyond them is unexpected.
    auto progress = progress_of(connection, record);
    std::uint64_t orders = progress.load_finished ? progress.orders
                           : in_stream.empty()    ? 0
                                                  : in_stream.back() + 1;
    std::vector<verify::GroupLedger> ledgers;
    for (const auto& group : workload.groups) {
        ledgers.push_back(verify::read_ledger(connection, shards, group, orders));
    }

    // Orders not in the stream are indeterminate: recovered where a group applied or
    // dead-lettered them, else unknown (never sent, failed, or written and deleted: only the
    // count the run recorded tells them apart, below).
    model::OutcomeTable outcomes;
    outcomes.resize(orders);
    for (std::uint64_t seq = 0; seq < orders; ++seq) {
        outcomes.set(seq, model::Outcome::indeterminate);
    }
    std::uint64_t produced_ok = 0;
    for (auto seq : in_stream) {
        if (seq >= orders) continue;
        outcomes.set(seq, model::Outcome::ok);
        ++produced_ok;
    }
    result.orders_allocated = orders;
    result.produced_ok = produced_ok;
    result.produced_indeterminate = orders - produced_ok;
    result.indeterminate = verify::resolve_indeterminate(outcomes, {}, ledgers);

    model::OrderAttributes attributes{workload.seed,
                                      static_cast<std::uint64_t>(workload.producers.users),
                                      workload.producers.poison_ratio};
    std::vector<verify::GroupVerdict> verdicts;
    std::vector<verify::GroupMeasurements> measurements;
    bool drained = true;
    for (std::size_t g = 0; g < workload.groups.size(); ++g) {
        GroupResult group;
        group.name = workload.groups[g].name;
        group.external = workload.groups[g].consumer.has_value();
        group.verdict =
            verify::verify_group(outcomes, attributes, ledgers[g], {}, result.indeterminate, {});
        drained = drained && ledgers[g].pending_left == 0 && ledgers[g].lag_left == 0;
        verdicts.push_back(group.verdict);
        measurements.push_back({group.name, 0, 0});
        result.groups.push_back(std::move(group));
    }
    result.drained = drained;
    // Measurements of the run itself are not judged: latency, throughput, the producers'
    // failed XADDs, evictions while it ran.
    auto gates = workload.gates;
    gates.max_p99_ms.reset();
    gates.min_applied_per_s.reset();
    gates.max_produce_failed.reset();
    gates.max_produce_indeterminate.reset();
    gates.max_evicted_keys.reset();
    result.gates = verify::evaluate_gates(gates, verdicts, measurements, drained);
    auto run_gates =
        verify::evaluate_run_gates(gates, {result.produced_ok, 0, 0, 0, {}, std::nullopt});
    result.gates.insert(result.gates.end(), run_gates.begin(), run_gates.end());
    // What only the run knew: that it produced its whole load, that its faults landed, and its
    // own verdict. None of them can pass on Redis's word alone.
    result.gates.push_back(record_gate("load_finished", progress.load_finished));
    // Every order Redis acknowledged must still be shown written, by its entry or by a group
    // that applied or dead-lettered it: an entry deleted unapplied (a trim by someone else, a
    // consumer covering its tracks, a lost tail) leaves one missing.
    if (progress.load_finished) {
        verify::GateResult accounted;
        accounted.gate = "produced_ok_accounted_for";
        accounted.limit = static_cast<double>(progress.produced_ok);
        accounted.actual = static_cast<double>(produced_ok + result.indeterminate.recovered.size());
        accounted.passed = accounted.actual >= accounted.limit;
        result.gates.push_back(accounted);
    }
    if (!workload.chaos.events.empty()) result.gates.push_back(record_gate("faults_known", false));
    if (!record.verdict.empty()) {
        result.gates.push_back(record_gate("run_verdict_pass", record.verdict == "pass"));
    }
    result.passed = verify::all_passed(result.gates);
    return result;
}

}  // namespace sh::run
