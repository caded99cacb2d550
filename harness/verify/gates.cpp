#include "harness/verify/gates.hpp"

#include <nlohmann/json.hpp>

namespace sh::verify {

nlohmann::json GateResult::to_json() const {
    nlohmann::json result = {
        {"gate", gate}, {"limit", limit}, {"actual", actual}, {"passed", passed}};
    if (!group.empty()) result["group"] = group;
    return result;
}

namespace {

void at_most(std::vector<GateResult>& results, const char* gate, const std::string& group,
             const std::optional<std::int64_t>& limit, double actual) {
    if (!limit) return;
    auto bound = static_cast<double>(*limit);
    results.push_back({gate, group, bound, actual, actual <= bound});
}

}  // namespace

std::vector<GateResult> evaluate_gates(const workload::Gates& gates,
                                       const std::vector<GroupVerdict>& verdicts,
                                       const std::vector<GroupMeasurements>& measurements,
                                       bool drained) {
    std::vector<GateResult> results;
    results.push_back({"drained", "", 1, drained ? 1.0 : 0.0, drained});
    for (const auto& verdict : verdicts) {
        const auto& group = verdict.group;
        at_most(results, "max_lost", group, gates.max_lost, static_cast<double>(verdict.lost));
        at_most(results, "max_duplicated", group, gates.max_duplicated,
                static_cast<double>(verdict.duplicated));
        at_most(results, "max_unexpected", group, gates.max_unexpected,
                static_cast<double>(verdict.unexpected));
        at_most(results, "max_pending_left", group, gates.max_pending_left,
                static_cast<double>(verdict.pending_left));
        at_most(results, "max_lag_left", group, gates.max_lag_left,
                static_cast<double>(verdict.lag_left));
        if (gates.points_consistent && verdict.points_checked) {
            results.push_back({"points_consistent", group, 1, verdict.points_consistent ? 1.0 : 0.0,
                               verdict.points_consistent});
        }
        if (gates.poison_dead_lettered) {
            auto missing = static_cast<double>(verdict.poison_not_dead_lettered);
            results.push_back({"poison_dead_lettered", group, 0, missing, missing == 0});
        }
    }
    for (const auto& measured : measurements) {
        if (gates.max_p99_ms) {
            results.push_back({"max_p99_ms", measured.group, *gates.max_p99_ms, measured.p99_ms,
                               measured.p99_ms <= *gates.max_p99_ms});
        }
        if (gates.min_applied_per_s) {
            results.push_back({"min_applied_per_s", measured.group, *gates.min_applied_per_s,
                               measured.applied_per_s,
                               measured.applied_per_s >= *gates.min_applied_per_s});
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
