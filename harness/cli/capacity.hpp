// Capacity search: the highest producer rate at which a workload still meets its SLO (p99
// end-to-end latency, bounded lag, nothing lost, every gate passed), each step a real run.
// Bisect doubles the rate until a step fails, then halves the interval between the last
// passing and the first failing rate; step walks up by a fixed increment. Either way the
// answer is run once more on its own and only a rate that passes again is reported.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

namespace sh::cli {

struct CapacityOptions {
    // bisect/step vary the producer rate; consumers varies the consumers per group at a fixed
    // rate and looks for the fewest that meet the SLO.
    enum class Search { bisect, step, consumers };
    Search search = Search::bisect;
    double min_rate = 500;      // orders/s of the first step
    double max_rate = 200'000;  // never offered beyond this
    double step_rate = 500;     // increment of the step search
    double resolution = 0.05;   // bisect stops when first failing / last passing - 1 <= this
    int max_steps = 40;         // bound on runs, confirmations included
    double consumers_rate = 0;  // consumers search: the fixed producer rate
    int min_consumers = 1;      // consumers search: per group, the first step
    int max_consumers = 64;     // consumers search: never more than this per group
    // The SLO.
    double max_p99_ms = 10;
    std::int64_t max_lag = 1000;  // entries not yet delivered, in any load-phase second
    std::uint64_t max_lost = 0;
    double min_achieved = 0.9;  // produced/s over offered: below it the rate was not offered
};

// One step's run report (as reports::to_json returns it) judged against the SLO: the rate,
// whether it passed and why not, what was achieved, the worst and per-group end-to-end p99,
// the worst lag, the lost orders and the run's verdict (field names: reports/report_keys.hpp).
nlohmann::json judge_step(const nlohmann::json& report, double rate,
                          const CapacityOptions& options);

// Runs the workload at `rate` (step_index counts from 0) and returns its report with the path
// it was written to under "report_path" (or throws: the search stops with the error).
using StepRunner = std::function<nlohmann::json(double rate, std::size_t step_index)>;
// Told about every judged step as soon as it is known (progress lines).
using StepListener = std::function<void(const nlohmann::json& step)>;

// {"kind": "capacity", "search", "range", "slo", "steps": [...],
//  "answer": {"rate", "confirmed", "at_ceiling"}, "knee": {"last_passing_rate",
//  "first_failing_rate"}, "stopped"}; answer.rate is null when even min_rate misses the SLO or
// when max_steps ran out first ("stopped" says so); at_ceiling: nothing failed up to max_rate.
nlohmann::json search_capacity(const CapacityOptions& options, const StepRunner& run_at,
                               const StepListener& on_step);

// Runs the workload with `consumers` per group at options.consumers_rate.
using ConsumerStepRunner = std::function<nlohmann::json(int consumers, std::size_t step_index)>;
// The fewest consumers per group meeting the SLO at a fixed rate: doubles from min_consumers
// until a step passes, bisects down to the smallest passing count, and runs that again.
// {"kind": "capacity", "search": "consumers", "rate", "range", "slo", "steps": [...],
//  "answer": {"consumers", "confirmed"}, "knee": {"last_failing_consumers",
//  "first_passing_consumers"}, "stopped"}; answer.consumers is null when max_consumers misses.
nlohmann::json search_consumers(const CapacityOptions& options, const ConsumerStepRunner& run_with,
                                const StepListener& on_step);

}  // namespace sh::cli
