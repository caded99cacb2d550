// Gates: the workload's pass/fail thresholds applied to the verdicts and measurements.
#pragma once

#include <cstdint>
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

// What the run-wide gates judge: the producers' record, Redis's evictions, the faults.
// One tally per chaos event (chaos.events[i]): how often it was due, and how often it landed.
struct FaultTally {
    std::size_t event = 0;
    std::string kind;  // "kill", "pause", ...
    std::uint64_t scheduled = 0;
    std::uint64_t landed = 0;
    std::uint64_t skipped = 0;
    std::string target;  // its target selector
};

// What changes of primary did (§7.1), when the run had replicas: judged by the replication
// gates, apart from what the consumers did.
struct ReplicationFacts {
    std::uint64_t lost_writes = 0;
    std::uint64_t redelivered_after_ack = 0;
    std::uint64_t rolled_back_entries = 0;
    std::uint64_t missing_groups = 0;
};

struct RunFacts {
    std::uint64_t produced_ok = 0;
    std::uint64_t produce_failed = 0;
    std::uint64_t produce_indeterminate = 0;
    std::int64_t evicted_keys = 0;
    std::vector<FaultTally> faults;  // one per chaos event
    std::optional<ReplicationFacts> replication;
};

struct GateResult {
    std::string gate;   // e.g. "max_lost"
    std::string group;  // empty for run-wide gates
    std::string fault;  // the fault kind, for the gates on landed faults
    int event = -1;     // and its index in chaos.events
    double limit = 0;
    double actual = 0;
    bool passed = true;
};

std::vector<GateResult> evaluate_gates(const workload::Gates& gates,
                                       const std::vector<GroupVerdict>& verdicts,
                                       const std::vector<GroupMeasurements>& measurements,
                                       bool drained);

// The run-wide gates: min_produced_ok, max_produce_failed, max_produce_indeterminate,
// max_evicted_keys, per chaos event min_faults_landed and min_faults_landed_ratio, and with
// replication facts max_lost_writes, max_redelivered_after_ack, max_rolled_back_entries and
// max_missing_groups.
std::vector<GateResult> evaluate_run_gates(const workload::Gates& gates, const RunFacts& facts);

bool all_passed(const std::vector<GateResult>& results);

}  // namespace sh::verify
