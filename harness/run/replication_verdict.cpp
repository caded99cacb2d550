#include "harness/run/replication_verdict.hpp"

#include <numeric>

#include "harness/verify/ledger_reader.hpp"
#include "harness/verify/primary_changes.hpp"

namespace sh::run {

verify::ReplicationFacts judge_primary_changes(RunResult& result, redis::Connection& connection,
                                               const model::RunKeys& keys,
                                               const model::OutcomeTable& outcomes,
                                               const model::OrderAttributes& attributes,
                                               const std::vector<verify::GroupLedger>& ledgers) {
    std::vector<std::uint64_t> watermarks;
    for (const auto& change : result.primary_changes) watermarks.push_back(change.order_watermark);
    auto in_stream = verify::orders_in_stream(connection, keys);
    result.lost_writes = verify::find_lost_writes(outcomes, in_stream, watermarks);
    auto missing =
        verify::lost_write_orders(outcomes, std::move(in_stream), result.indeterminate.recovered);

    verify::ReplicationFacts facts;
    facts.lost_writes = result.lost_writes->total;
    for (std::size_t g = 0; g < result.groups.size(); ++g) {
        auto& group = result.groups[g];
        bool outside = result.workload.groups[g].effect_store == workload::EffectStore::separate;
        verify::attribute_to_changes(group.verdict, ledgers[g], attributes, missing, watermarks,
                                     result.held_at_hard_kills[group.name], outside);
        const auto& by_change = group.verdict.duplicated_by_change;
        facts.redelivered_after_ack +=
            std::accumulate(by_change.begin(), by_change.end(), std::uint64_t{0});
    }
    for (const auto& change : result.primary_changes) {
        for (const auto& group : change.groups) {
            facts.rolled_back_entries += static_cast<std::uint64_t>(group.rolled_back_entries);
            if (group.missing) ++facts.missing_groups;
        }
    }
    return facts;
}

}  // namespace sh::run
