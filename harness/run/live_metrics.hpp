// Live metrics (--metrics-listen; docs/DESIGN.md §9, "Live metrics"): what a run or a capacity
// search has done so far, as the Prometheus text exposition format. The supervisor's sampler
// feeds it a reading per timeline row; the HTTP listener's thread renders it: a mutex keeps the
// two apart.
//
// Counters only grow, over a run and across the runs of one command (a capacity search's
// steps, --repeat): each row adds what grew since the last one, and a reading below the last is
// a counter that started again from zero (a restarted Redis's CPU, an external consumer's
// ledger recreated), so what it reads now is what it added. Gauges (lag, pending, latency
// quantiles, stream length) describe the current run and are cleared when the next begins.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "harness/measure/histogram.hpp"
#include "harness/produce/producer.hpp"
#include "harness/run/run_result.hpp"
#include "harness/run/timeline.hpp"

namespace sh::run {

struct LiveGroupReading {
    std::string name;
    std::uint64_t applied_added = 0;
    std::optional<std::int64_t> lag;
    std::optional<std::int64_t> pending;
    std::optional<double> second_p50_s;  // of the row's second; none when nothing completed
    std::optional<double> second_p99_s;
    measure::LatencySummary run_latency;  // since the run started; count 0 for external groups
};

// What one timeline row adds to the counters, and the gauges as of that row.
struct LiveReading {
    std::string phase;
    double elapsed_s = 0;
    std::uint64_t produced_added = 0;
    std::uint64_t failed_added = 0;
    std::uint64_t indeterminate_added = 0;
    double redis_cpu_s_added = 0;
    std::map<std::string, std::uint64_t> faults_added;  // by kind
    std::vector<LiveGroupReading> groups;
    std::int64_t stream_length = 0;
    std::int64_t redis_memory_bytes = 0;
};

class LiveMetrics {
  public:
    // A run begins (a capacity step, a --repeat run): its id, phase "set-up", gauges cleared.
    void begin_run(const std::string& run_id);
    void set_phase(const std::string& phase);
    void record(const LiveReading& reading);
    // The exposition text of everything so far.
    std::string render() const;

  private:
    struct Group {
        double applied = 0;
        LiveGroupReading latest;
        bool current = false;  // seen in the current run: its gauges are shown
    };
    mutable std::mutex mutex_;
    std::string run_id_;
    std::string phase_ = "set-up";
    std::optional<double> elapsed_s_;  // none before the current run's first row
    double produced_ = 0;
    double failed_ = 0;
    double indeterminate_ = 0;
    double redis_cpu_s_ = 0;
    std::map<std::string, double> faults_;
    std::vector<Group> groups_;  // in the order first seen
    std::int64_t stream_length_ = 0;
    std::int64_t redis_memory_bytes_ = 0;
};

// A run's side of the live metrics: turns the sampler's running totals, taken at each row,
// into the increments LiveMetrics adds up. Does nothing without a LiveMetrics to feed.
class LiveFeed {
  public:
    LiveFeed(LiveMetrics* sink, std::vector<std::string> group_names)
        : sink_(sink), group_names_(std::move(group_names)) {}

    // run_latency: per group, its cumulative end-to-end latency since the run started.
    void record(const TimelineRow& row, const SampleTotals& last, const SampleTotals& now,
                const std::vector<std::unique_ptr<measure::Histogram>>& run_latency,
                const produce::ProducerTotals& producers, const RunResult& result);

  private:
    LiveMetrics* sink_;
    std::vector<std::string> group_names_;
    std::uint64_t failed_seen_ = 0;
    std::uint64_t indeterminate_seen_ = 0;
    std::map<std::string, std::uint64_t> faults_seen_;
};

// A command's run as the live metrics show it: begins it, and marks it "finished" (or
// "error", when left by an exception) when the scope ends. No-op without live metrics.
class LiveRunScope {
  public:
    LiveRunScope(LiveMetrics* live, const std::string& run_id);
    ~LiveRunScope();
    LiveRunScope(const LiveRunScope&) = delete;
    LiveRunScope& operator=(const LiveRunScope&) = delete;

  private:
    LiveMetrics* live_;
    int exceptions_ = 0;
};

}  // namespace sh::run
