// The chaos schedule: the workload's fault events expanded into a time-ordered list. The same
// chaos seed gives the same list, so a failing run can be replayed fault for fault.
#pragma once

#include <cstddef>
#include <vector>

#include "harness/workload/workload.hpp"

namespace sh::chaos {

struct ScheduledFault {
    double at_s = 0;
    std::size_t event = 0;  // index into ChaosSpec::events
};

// Expands every event up to its until_s (or run_s, when the producers stop).
std::vector<ScheduledFault> expand_schedule(const workload::ChaosSpec& spec, double run_s);

}  // namespace sh::chaos
