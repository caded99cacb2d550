// Gates: the workload's pass/fail thresholds applied to the verdicts and measurements.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

#include "harness/verify/verifier.hpp"
#include "harness/workload/workload.hpp"

namespace sh::verify {

struct GroupMeasurements {
    std::string group;
    double p99_ms = 0;
    double applied_per_s = 0;
};

struct GateResult {
    std::string gate;   // e.g. "max_lost"
    std::string group;  // empty for run-wide gates
    double limit = 0;
    double actual = 0;
    bool passed = true;

    nlohmann::json to_json() const;
};

std::vector<GateResult> evaluate_gates(const workload::Gates& gates,
                                       const std::vector<GroupVerdict>& verdicts,
                                       const std::vector<GroupMeasurements>& measurements,
                                       bool drained);

bool all_passed(const std::vector<GateResult>& results);

}  // namespace sh::verify
