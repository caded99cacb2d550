// Everything a run produced, handed from the supervisor to the report writers.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "harness/measure/consumer_stats.hpp"
#include "harness/measure/histogram.hpp"
#include "harness/verify/gates.hpp"
#include "harness/verify/verifier.hpp"

namespace sh::run {

struct ConsumerResult {
    std::string group;
    std::string name;
    nlohmann::json counters;
};

struct GroupResult {
    std::string name;
    verify::GroupVerdict verdict;
    nlohmann::json counters;  // summed over the group's consumers
    std::unique_ptr<measure::Histogram> latency_first = std::make_unique<measure::Histogram>();
    std::unique_ptr<measure::Histogram> latency_recovered = std::make_unique<measure::Histogram>();
    std::unique_ptr<measure::Histogram> latency_all = std::make_unique<measure::Histogram>();
    double applied_per_s = 0;
};

struct TimelineEvent {
    double at_s = 0;
    std::string kind;    // "worker-exit", "kill", "pause", ...
    std::string target;  // consumer name
    std::string detail;
    nlohmann::json data = nlohmann::json::object();  // what the target held, recovery time...
};

// The fleet's stop at the end of the run: how long workers had to finish the batch in hand,
// and which had to be killed (their unfinished work is then the harness's doing).
struct FinalStop {
    double grace_s = 0;
    std::vector<std::string> killed;
};

struct RunResult {
    std::string run_id;
    std::string started_at;   // ISO 8601 UTC
    nlohmann::json workload;  // effective
    nlohmann::json environment;
    std::uint64_t orders_allocated = 0;
    std::uint64_t produced_ok = 0;
    std::uint64_t produced_failed = 0;
    std::uint64_t produced_indeterminate = 0;
    std::uint64_t producer_reconnects = 0;
    verify::IndeterminateResolution indeterminate;  // what became of lost XADD replies
    std::int64_t evicted_keys = 0;                  // INFO evicted_keys grew by this much
    double producing_s = 0;
    double drain_s = 0;
    bool drained = false;
    std::int64_t retention_trimmed = 0;  // stream entries deleted by the retention setting
    nlohmann::json timeline = nlohmann::json::array();  // one row per second
    nlohmann::json bottleneck = nlohmann::json::object();
    nlohmann::json memory = nlohmann::json::object();  // resident memory over the steady phase
    nlohmann::json max_rate;                           // null unless producers.rate = 0
    nlohmann::json xadd_latency_per_producer = nlohmann::json::array();
    std::unique_ptr<measure::Histogram> xadd_latency = std::make_unique<measure::Histogram>();
    std::vector<GroupResult> groups;
    std::vector<ConsumerResult> consumers;
    std::vector<TimelineEvent> events;
    // Per Redis restart: how many order numbers had been handed out while no server ran. Every
    // order the old server acknowledged is numbered below it, every one sent to the new server
    // at or above it.
    std::vector<std::uint64_t> restart_watermarks;
    nlohmann::json chaos = nlohmann::json::object();  // schedule and fault summary
    std::vector<verify::FaultTally> faults;           // per scheduled kind, for the gates
    FinalStop final_stop;
    // What the cleanup of an external Redis could not remove, and why.
    std::vector<std::string> cleanup_notes;
    std::vector<verify::GateResult> gates;
    bool passed = false;
};

}  // namespace sh::run
