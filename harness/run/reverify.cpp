#include "harness/run/reverify.hpp"

#include <algorithm>

#include "harness/errors.hpp"
#include "harness/model/keys.hpp"
#include "harness/model/outcome_table.hpp"
#include "harness/verify/gates.hpp"
#include "harness/verify/ledger_reader.hpp"

namespace sh::run {

namespace {

// One past the highest order number anything of the run names: the stream, a dead letter or a
// bit of an applied bitmap.
std::uint64_t orders_named(const std::vector<std::uint64_t>& in_stream,
                           const std::vector<verify::GroupLedger>& ledgers) {
    std::uint64_t orders = 0;
    for (auto seq : in_stream) orders = std::max(orders, seq + 1);
    for (const auto& ledger : ledgers) {
        for (const auto& letter : ledger.dead_letters) {
            if (letter.seq) orders = std::max(orders, *letter.seq + 1);
        }
        const auto& bitmap = ledger.applied_bitmap;
        for (std::size_t byte = bitmap.size(); byte-- > 0;) {
            auto bits = static_cast<unsigned char>(bitmap[byte]);
            if (bits == 0) continue;
            int lowest = 0;  // SETBIT order: the least significant bit is the byte's last
            while ((bits & (1u << lowest)) == 0) ++lowest;
            orders = std::max<std::uint64_t>(orders, byte * 8 + (7 - lowest) + 1);
            break;
        }
    }
    return orders;
}

std::vector<verify::GroupLedger> read_ledgers(redis::Connection& connection,
                                              const model::RunKeys& keys,
                                              const workload::Workload& workload,
                                              std::uint64_t orders) {
    std::vector<verify::GroupLedger> ledgers;
    for (const auto& group : workload.groups) {
        ledgers.push_back(verify::read_ledger(connection, keys, group, orders));
    }
    return ledgers;
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
    model::RunKeys keys(record.run_id, workload.stream.name, workload.stream.key, record.stamp);
    result.environment.redis = connection.endpoint().redacted();
    result.environment.stream_key = keys.stream();
    result.environment.entry_stamp = record.stamp;
    result.environment.stream_created = record.created.stream;
    result.environment.group_start_id = record.created.group_start_id;
    for (const auto& group : workload.groups) result.group_names.push_back(group.name);

    auto in_stream = verify::orders_in_stream(connection, keys);
    std::uint64_t orders = orders_named(in_stream, {});
    auto ledgers = read_ledgers(connection, keys, workload, orders);
    // An external consumer's applied hash is read against the orders known: named again once
    // the dead letters and bitmaps have been seen.
    if (auto named = orders_named(in_stream, ledgers); named > orders) {
        orders = named;
        ledgers = read_ledgers(connection, keys, workload, orders);
    }

    model::OutcomeTable outcomes;
    outcomes.resize(orders);
    for (std::uint64_t seq = 0; seq < orders; ++seq) {
        outcomes.set(seq, model::Outcome::indeterminate);
    }
    for (auto seq : in_stream) outcomes.set(seq, model::Outcome::ok);
    result.orders_allocated = orders;
    result.produced_ok = in_stream.size();
    result.produced_indeterminate = orders - in_stream.size();
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
    auto gates = workload.gates;
    gates.max_p99_ms.reset();
    gates.min_applied_per_s.reset();
    gates.max_produce_failed.reset();
    gates.max_produce_indeterminate.reset();
    result.gates = verify::evaluate_gates(gates, verdicts, measurements, drained);
    auto run_gates = verify::evaluate_run_gates(gates, {result.produced_ok, 0, 0, 0, {}});
    result.gates.insert(result.gates.end(), run_gates.begin(), run_gates.end());
    result.passed = verify::all_passed(result.gates);
    return result;
}

}  // namespace sh::run
