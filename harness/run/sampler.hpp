// The timeline (one row per second) and the bottleneck verdict: what was produced and applied,
// pending and lag per group, that second's latency percentiles, Redis's CPU and memory, the
// harness's own CPU, the stream length, and faults.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <vector>

#include "harness/measure/histogram.hpp"
#include "harness/produce/producer.hpp"
#include "harness/run/run_observer.hpp"

namespace sh::run {

class Sampler {
  public:
    explicit Sampler(std::size_t groups);

    // Takes a row when a second has passed since the last one; producing marks the row as part
    // of the load phase (the bottleneck verdict looks at those only).
    void tick(RunControl& control, const produce::ProducerTotals& totals, bool producing);

    // A last, partial row up to now (after the drain), so the rows' counts add up to the
    // run's totals.
    void finish(RunControl& control, const produce::ProducerTotals& totals);

    nlohmann::json timeline() const { return rows_; }
    // The last row taken, or null before the first second has passed.
    nlohmann::json latest_row() const { return rows_.empty() ? nlohmann::json() : rows_.back(); }
    // Over the steady phase (load rows without the first two seconds): Redis's busy fraction,
    // the harness's CPU, and which side saturated.
    nlohmann::json bottleneck(unsigned host_cores) const;

  private:
    struct Totals {
        std::int64_t at_ns = 0;
        std::uint64_t produced = 0;
        std::vector<std::uint64_t> applied;
        double redis_cpu_s = 0;
        double harness_cpu_s = 0;
    };
    Totals read_totals(RunControl& control, const produce::ProducerTotals& totals);
    void take_row(RunControl& control, Totals now, bool producing);

    std::map<pid_t, double> worker_cpu_s_;  // every worker process seen: CPU seconds used
    std::int64_t next_ns_ = 0;
    Totals last_;
    std::vector<std::unique_ptr<measure::Histogram>> last_latency_;
    nlohmann::json rows_ = nlohmann::json::array();
};

}  // namespace sh::run
