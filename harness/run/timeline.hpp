// The run's per-second record and what is read off it: timeline rows, the bottleneck verdict,
// the harness's own memory, the max-rate controller's steps. Plain numbers, kept as such until
// the report is written (reports/report_json.cpp owns their names in report.json).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sh::run {

struct TimelineGroupRow {
    std::uint64_t applied = 0;  // in this row's span
    double p50_ms = 0;          // of the deliveries completed in this row's span
    double p99_ms = 0;
    std::optional<std::int64_t> pending;  // absent when XINFO GROUPS did not list the group
    std::optional<std::int64_t> lag;      // also absent when Redis cannot tell
};

struct TimelineRow {
    double t_s = 0;     // end of the row, since the run's start
    double span_s = 0;  // a second, or less for the partial last row
    bool load = false;  // producers were running (else: the drain)
    std::uint64_t produced = 0;
    std::vector<TimelineGroupRow> groups;  // in workload order
    double redis_cpu = 0;                  // cores
    double harness_cpu = 0;                // cores: supervisor and built-in workers
    double external_cpu = 0;               // cores: external consumer processes
    double supervisor_rss_mib = 0;
    double workers_private_mib = 0;
    std::int64_t redis_memory_bytes = 0;
    std::int64_t stream_length = 0;
    int faults = 0;
};

// Over the steady phase: which side of the run was the limit.
struct Bottleneck {
    std::size_t steady_rows = 0;
    std::string saturated;  // "redis", "harness", "neither (...)", "unknown (run too short)"
    // Absent when no row was steady.
    std::optional<double> redis_cpu_busy;
    std::optional<double> harness_cpu_cores;
    std::optional<double> harness_share_of_remaining_cores;
    std::optional<unsigned> host_cores;
};

struct ResidentSpan {
    double after_warm_up = 0;
    double end = 0;
    double max = 0;
};

// The harness's resident memory after warm-up; absent figures when the run was too short.
struct MemorySummary {
    std::size_t steady_rows = 0;
    bool too_short = true;
    double warm_up_s = 0;
    ResidentSpan supervisor_rss_mib;
    ResidentSpan workers_private_mib;
    double supervisor_growth_mib = 0;
    std::uint64_t orders_after_warm_up = 0;
    std::optional<double> supervisor_growth_bytes_per_order;
    double supervisor_growth_kib_per_s = 0;
    std::size_t outcome_record_bytes = 0;
};

struct RateStep {
    double t_s = 0;
    double rate = 0;
    std::int64_t backlog = 0;
    double producer_behind_ms = 0;
};

// Max-rate mode: what the controller did and the rate the fleet sustained.
struct MaxRateSummary {
    double sustained_orders_per_s = 0;
    double final_rate = 0;
    int raises = 0;
    int cuts = 0;
    std::int64_t backlog_bound = 0;
    std::vector<RateStep> steps;
};

// What the sampler reads every second: running totals, and resource readings at that moment.
struct SampleTotals {
    std::int64_t at_ns = 0;
    std::uint64_t produced = 0;
    std::vector<std::uint64_t> applied;  // per group, in workload order
    double redis_cpu_s = 0;
    double harness_cpu_s = 0;
    double external_cpu_s = 0;  // the user's consumer processes
    std::int64_t supervisor_rss_bytes = 0;
    // The live workers' private (anonymous) resident memory, summed: their shared code,
    // libraries and stats region would otherwise count once per worker.
    std::int64_t workers_private_bytes = 0;
};

// The counts and rates of the span between two readings (latency, pending and lag, faults and
// Redis's memory are the sampler's to fill in).
TimelineRow row_between(const SampleTotals& last, const SampleTotals& now, std::int64_t start_ns,
                        bool load);
// Over the steady phase (load rows without the first two seconds): Redis's busy fraction, the
// harness's CPU, and which side saturated.
Bottleneck bottleneck_of(const std::vector<TimelineRow>& timeline, unsigned host_cores);
// Over the load rows after warm-up (a tenth of the load phase, at least the steady phase's
// start): resident memory then and at the end, and the supervisor's growth per order.
MemorySummary memory_of(const std::vector<TimelineRow>& timeline);

}  // namespace sh::run
