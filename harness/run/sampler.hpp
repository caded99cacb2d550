// The timeline (one row per second) and the bottleneck verdict: what was produced and applied,
// pending and lag per group, that second's latency percentiles, Redis's CPU and memory, the
// harness's own CPU and resident memory, the stream length, and faults.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "harness/measure/histogram.hpp"
#include "harness/produce/producer.hpp"
#include "harness/run/live_metrics.hpp"
#include "harness/run/run_observer.hpp"
#include "harness/run/timeline.hpp"

namespace sh::run {

class Sampler {
  public:
    // live: where each row's figures also go (--metrics-listen), or null.
    Sampler(std::vector<std::string> group_names, LiveMetrics* live);

    // Takes a row when a second has passed since the last one; producing marks the row as part
    // of the load phase (the bottleneck verdict looks at those only).
    void tick(RunControl& control, const produce::ProducerTotals& totals, bool producing);

    // A last, partial row up to now (after the drain), so the rows' counts add up to the
    // run's totals.
    void finish(RunControl& control, const produce::ProducerTotals& totals);

    const std::vector<TimelineRow>& rows() const { return rows_; }
    // The last row taken, or none before the first second has passed.
    const TimelineRow* latest_row() const { return rows_.empty() ? nullptr : &rows_.back(); }
    // Over the steady phase (load rows without the first two seconds): Redis's busy fraction,
    // the harness's CPU, and which side saturated.
    Bottleneck bottleneck(unsigned host_cores) const;
    // Over the same steady phase: the supervisor's and the workers' resident memory after
    // warm-up and at the end, and the supervisor's growth per order produced in between.
    MemorySummary memory() const;

  private:
    SampleTotals read_totals(RunControl& control, const produce::ProducerTotals& totals);
    void take_row(RunControl& control, SampleTotals now, const produce::ProducerTotals& totals,
                  bool producing);

    std::map<pid_t, double> worker_cpu_s_;    // every worker process seen: CPU seconds used
    std::map<pid_t, double> external_cpu_s_;  // the same for external consumers
    std::int64_t next_ns_ = 0;
    SampleTotals last_;
    std::vector<std::unique_ptr<measure::Histogram>> last_latency_;
    std::vector<std::string> group_names_;
    LiveFeed live_;
    // About 250 bytes a row (as JSON it would be 3 KB, and a day-long soak keeps 86,400 of
    // them): turned into JSON only for the report.
    std::vector<TimelineRow> rows_;
};

}  // namespace sh::run
