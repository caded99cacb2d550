#include "harness/verify/gates.hpp"

#include <algorithm>
#include <numeric>

namespace sh::verify {

namespace {

void at_most(std::vector<GateResult>& results, const char* gate, const std::string& group,
             const std::optional<std::int64_t>& limit, double actual) {
    if (!limit) return;
    auto bound = static_cast<double>(*limit);
    results.push_back({gate, group, "", -1, bound, actual, actual <= bound});
}

}  // namespace

std::vector<GateResult> evaluate_gates(const workload::Gates& gates,
                                       const std::vector<GroupVerdict>& verdicts,
                                       const std::vector<GroupMeasurements>& measurements,
                                       bool drained) {
    std::vector<GateResult> results;
    results.push_back({"drained", "", "", -1, 1, drained ? 1.0 : 0.0, drained});
    for (const auto& verdict : verdicts) {
        const auto& group = verdict.group;
        // What a change of primary caused is judged once, by the replication gates (§7.1).
        auto by_changes = std::accumulate(verdict.duplicated_by_change.begin(),
                                          verdict.duplicated_by_change.end(), std::uint64_t{0});
        at_most(results, "max_lost", group, gates.max_lost,
                static_cast<double>(verdict.lost - verdict.lost_writes));
        at_most(results, "max_duplicated", group, gates.max_duplicated,
                static_cast<double>(verdict.duplicated - by_changes));
        at_most(results, "max_unexpected", group, gates.max_unexpected,
                static_cast<double>(verdict.unexpected));
        at_most(results, "max_pending_left", group, gates.max_pending_left,
                static_cast<double>(verdict.pending_left));
        at_most(results, "max_lag_left", group, gates.max_lag_left,
                static_cast<double>(verdict.lag_left));
        at_most(results, "max_dead_lettered_healthy", group, gates.max_dead_lettered_healthy,
                static_cast<double>(verdict.dead_lettered_healthy));
        at_most(results, "max_applied_and_dead_lettered", group,
                gates.max_applied_and_dead_lettered,
                static_cast<double>(verdict.applied_and_dead_lettered));
        at_most(results, "max_duplicated_without_hard_kill", group,
                gates.max_duplicated_without_hard_kill,
                static_cast<double>(verdict.duplicated_without_hard_kill - by_changes));
        at_most(results, "max_stuck", group, gates.max_stuck, static_cast<double>(verdict.stuck));
        if (gates.points_consistent && verdict.points_checked) {
            results.push_back({"points_consistent", group, "", -1, 1,
                               verdict.points_consistent ? 1.0 : 0.0, verdict.points_consistent});
        }
        if (gates.poison_dead_lettered) {
            // A poison order whose write the server lost is judged by max_lost_writes.
            auto missing =
                static_cast<double>(verdict.poison_not_dead_lettered - verdict.lost_writes_poison);
            results.push_back({"poison_dead_lettered", group, "", -1, 0, missing, missing == 0});
        }
    }
    for (const auto& measured : measurements) {
        if (gates.max_p99_ms) {
            results.push_back({"max_p99_ms", measured.group, "", -1, *gates.max_p99_ms,
                               measured.p99_ms, measured.p99_ms <= *gates.max_p99_ms});
        }
        if (gates.min_applied_per_s) {
            results.push_back({"min_applied_per_s", measured.group, "", -1,
                               *gates.min_applied_per_s, measured.applied_per_s,
                               measured.applied_per_s >= *gates.min_applied_per_s});
        }
    }
    return results;
}

std::vector<GateResult> evaluate_run_gates(const workload::Gates& gates, const RunFacts& facts) {
    std::vector<GateResult> results;
    // Not optional: a run that produced nothing has verified nothing.
    auto ok = static_cast<double>(facts.produced_ok);
    auto least = static_cast<double>(std::max<std::int64_t>(1, gates.min_produced_ok));
    results.push_back({"min_produced_ok", "", "", -1, least, ok, ok >= least});
    at_most(results, "max_produce_failed", "", gates.max_produce_failed,
            static_cast<double>(facts.produce_failed));
    at_most(results, "max_produce_indeterminate", "", gates.max_produce_indeterminate,
            static_cast<double>(facts.produce_indeterminate));
    at_most(results, "max_evicted_keys", "", gates.max_evicted_keys,
            static_cast<double>(facts.evicted_keys));
    if (const auto& replication = facts.replication) {
        at_most(results, "max_lost_writes", "", gates.max_lost_writes,
                static_cast<double>(replication->lost_writes));
        at_most(results, "max_redelivered_after_ack", "", gates.max_redelivered_after_ack,
                static_cast<double>(replication->redelivered_after_ack));
        at_most(results, "max_rolled_back_entries", "", gates.max_rolled_back_entries,
                static_cast<double>(replication->rolled_back_entries));
        at_most(results, "max_missing_groups", "", gates.max_missing_groups,
                static_cast<double>(replication->missing_groups));
    }
    for (const auto& tally : facts.faults) {
        auto landed = static_cast<double>(tally.landed);
        auto event = static_cast<int>(tally.event);
        if (gates.min_faults_landed) {
            auto limit = static_cast<std::uint64_t>(*gates.min_faults_landed);
            // An event that never came due within the run is a fault the run did not test: it
            // needs one landing it cannot have. One that came due fewer times than the limit
            // must land every time.
            auto needed =
                static_cast<double>(tally.scheduled == 0 ? std::min<std::uint64_t>(1, limit)
                                                         : std::min(tally.scheduled, limit));
            results.push_back(
                {"min_faults_landed", "", tally.kind, event, needed, landed, landed >= needed});
        }
        if (gates.min_faults_landed_ratio) {
            double ratio = tally.scheduled > 0 ? landed / static_cast<double>(tally.scheduled) : 0;
            results.push_back({"min_faults_landed_ratio", "", tally.kind, event,
                               *gates.min_faults_landed_ratio, ratio,
                               ratio >= *gates.min_faults_landed_ratio});
        }
    }
    return results;
}

bool all_passed(const std::vector<GateResult>& results) {
    for (const auto& result : results) {
        if (!result.passed) return false;
    }
    return true;
}

}  // namespace sh::verify
