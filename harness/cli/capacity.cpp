#include "harness/cli/capacity.hpp"

#include <algorithm>
#include <cmath>
#include <optional>
#include <set>
#include <sstream>

#include "harness/errors.hpp"
#include "reports/report_keys.hpp"

namespace sh::cli {

namespace key = reports::key;

using nlohmann::json;

namespace {

std::int64_t worst_load_lag(const json& timeline) {
    std::int64_t worst = 0;
    for (const auto& row : timeline) {
        if (row.value(key::phase, "") != reports::value::load) continue;
        for (const auto& [group, numbers] : row[key::groups].items()) {
            if (numbers.contains(key::lag) && numbers[key::lag].is_number()) {
                worst = std::max(worst, numbers[key::lag].get<std::int64_t>());
            }
        }
    }
    return worst;
}

std::string failed_gates(const json& report) {
    std::ostringstream text;
    for (const auto& gate : report[key::gates]) {
        if (gate[key::passed].get<bool>()) continue;
        text << (text.tellp() > 0 ? ", " : "") << gate[key::gate].get<std::string>();
        if (gate.contains(key::group)) text << " [" << gate[key::group].get<std::string>() << "]";
        text << " " << gate[key::actual].get<double>();
    }
    return text.str();
}

json slo_json(const CapacityOptions& options) {
    return {{key::max_p99_ms, options.max_p99_ms},
            {key::max_lag, options.max_lag},
            {key::max_lost, options.max_lost},
            {key::min_achieved, options.min_achieved}};
}

struct OutOfSteps {};

// Runs and judges one step, keeping it; throws OutOfSteps when max_steps are used up.
class StepLog {
  public:
    StepLog(const CapacityOptions& options, const StepListener& on_step)
        : options_(options), on_step_(on_step) {}

    bool record(const json& report, double rate, const char* varied, double value) {
        auto step = judge_step(report, rate, options_);
        step[varied] = value;
        step[key::report] = report.value("report_path", "");
        steps_.push_back(step);
        on_step_(step);
        return step[key::passed].get<bool>();
    }
    void check_budget() const {
        if (steps_.size() >= static_cast<std::size_t>(options_.max_steps)) throw OutOfSteps{};
    }
    std::size_t size() const { return steps_.size(); }
    const json& steps() const { return steps_; }
    std::string out_of_steps() const {
        return "no confirmed answer within " + std::to_string(options_.max_steps) +
               " steps (raise --max-steps or --resolution)";
    }

  private:
    const CapacityOptions& options_;
    const StepListener& on_step_;
    json steps_ = json::array();
};

// Rates are whole orders per second: nobody plans capacity in fractions of an order.
double whole(double rate) {
    return std::max(1.0, std::round(rate));
}

class Search {
  public:
    Search(const CapacityOptions& options, const StepRunner& run_at, const StepListener& on_step)
        : options_(options),
          min_rate_(whole(options.min_rate)),
          max_rate_(whole(options.max_rate)),
          run_at_(run_at),
          log_(options, on_step) {}

    json run() {
        std::optional<double> answer;
        std::string stopped;
        try {
            answer = options_.search == CapacityOptions::Search::bisect ? bisect() : walk();
            answer = confirm(answer);
        } catch (const OutOfSteps&) {
            answer.reset();
            stopped = log_.out_of_steps();
        }
        auto first_failing = first_failure_above(answer.value_or(0));
        json knee = {{key::last_passing_rate, answer ? json(*answer) : json()},
                     {key::first_failing_rate, first_failing}};
        // Nothing failed up to the ceiling: the capacity is at least this, the knee is beyond.
        bool at_ceiling = answer && *answer >= max_rate_ && first_failing.is_null();
        return {
            {key::kind, reports::value::capacity},
            {key::search, options_.search == CapacityOptions::Search::bisect ? "bisect" : "step"},
            {key::range,
             {{key::min_rate, min_rate_},
              {key::max_rate, max_rate_},
              {key::resolution, options_.resolution},
              {key::step_rate, options_.step_rate}}},
            {key::stopped, stopped.empty() ? json() : json(stopped)},
            {key::slo, slo_json(options_)},
            {key::steps, log_.steps()},
            {key::answer,
             {{key::rate, answer ? json(*answer) : json()},
              {key::confirmed, answer.has_value()},
              {key::at_ceiling, at_ceiling}}},
            {key::knee, knee}};
    }

  private:
    bool passes(double rate) {
        log_.check_budget();
        bool passed = log_.record(run_at_(rate, log_.size()), rate, key::rate, rate);
        (passed ? passed_ : failed_).insert(rate);
        return passed;
    }

    // Doubles from min_rate until a step fails, then bisects [last pass, first fail].
    std::optional<double> bisect() {
        double low = min_rate_;
        if (!passes(low)) return std::nullopt;
        return narrow(low);
    }

    std::optional<double> narrow(double low) {
        std::optional<double> high;
        if (auto known = failed_.upper_bound(low); known != failed_.end()) high = *known;
        while (!high && low < max_rate_) {
            double next = std::min(whole(low * 2), max_rate_);
            if (passes(next)) {
                low = next;
            } else {
                high = next;
            }
        }
        while (high && *high / low - 1 > options_.resolution) {
            double middle = whole((low + *high) / 2);
            if (middle <= low || middle >= *high) break;
            if (passes(middle)) {
                low = middle;
            } else {
                high = middle;
            }
        }
        return low;
    }

    // min_rate, min_rate + step, ... up to max_rate itself, until a step fails.
    std::optional<double> walk() {
        std::optional<double> last_pass;
        for (double rate = min_rate_;;
             rate = std::min(whole(rate + options_.step_rate), max_rate_)) {
            if (!passes(rate)) break;
            last_pass = rate;
            if (rate >= max_rate_) break;
        }
        return last_pass;
    }

    // A rate that passed once on a noisy machine is a candidate, not an answer: run it again.
    // When the re-run fails, that rate counts as failing and the search goes on below it.
    std::optional<double> confirm(std::optional<double> candidate) {
        while (candidate) {
            if (passes(*candidate)) return candidate;
            passed_.erase(*candidate);
            auto below = passed_.lower_bound(*candidate);
            if (below == passed_.begin()) return std::nullopt;
            double low = *std::prev(below);
            candidate = options_.search == CapacityOptions::Search::bisect ? narrow(low) : low;
        }
        return std::nullopt;
    }

    json first_failure_above(double rate) const {
        auto above = failed_.upper_bound(rate);
        return above == failed_.end() ? json() : json(*above);
    }

    const CapacityOptions& options_;
    double min_rate_;
    double max_rate_;
    const StepRunner& run_at_;
    StepLog log_;
    std::set<double> passed_;
    std::set<double> failed_;
};

// Fewest consumers meeting the SLO: passing is monotone in the count (more consumers, less
// latency), so the search brackets the smallest passing count from below.
class ConsumerSearch {
  public:
    ConsumerSearch(const CapacityOptions& options, const ConsumerStepRunner& run_with,
                   const StepListener& on_step)
        : options_(options), run_with_(run_with), log_(options, on_step) {}

    json run() {
        std::optional<int> answer;
        std::string stopped;
        try {
            answer = search();
        } catch (const OutOfSteps&) {
            answer.reset();
            stopped = log_.out_of_steps();
        }
        auto first_pass = passed_.empty() ? json() : json(*passed_.begin());
        auto below = answer ? failed_.lower_bound(*answer) : failed_.end();
        auto last_fail =
            below == failed_.begin() || failed_.empty() ? json() : json(*std::prev(below));
        return {{key::kind, reports::value::capacity},
                {key::search, key::consumers},
                {key::rate, options_.consumers_rate},
                {key::range,
                 {{key::min_consumers, options_.min_consumers},
                  {key::max_consumers, options_.max_consumers}}},
                {key::stopped, stopped.empty() ? json() : json(stopped)},
                {key::slo, slo_json(options_)},
                {key::steps, log_.steps()},
                {key::answer,
                 {{key::consumers, answer ? json(*answer) : json()},
                  {key::rate, options_.consumers_rate},
                  {key::confirmed, answer.has_value()}}},
                {key::knee,
                 {{key::last_failing_consumers, last_fail},
                  {key::first_passing_consumers, answer ? json(*answer) : first_pass}}}};
    }

  private:
    bool passes(int consumers) {
        log_.check_budget();
        bool passed = log_.record(run_with_(consumers, log_.size()), options_.consumers_rate,
                                  key::consumers, consumers);
        if (passed) {
            passed_.insert(consumers);
        } else {
            failed_.insert(consumers);
            passed_.erase(consumers);
        }
        return passed;
    }

    std::optional<int> search() {
        int low_fail = options_.min_consumers - 1;  // the largest count known to fail
        std::optional<int> high_pass;
        for (int n = options_.min_consumers;; n = std::min(n * 2, options_.max_consumers)) {
            if (passes(n)) {
                high_pass = n;
                break;
            }
            low_fail = n;
            if (n >= options_.max_consumers) return std::nullopt;
        }
        for (;;) {
            while (*high_pass - low_fail > 1) {
                int middle = low_fail + (*high_pass - low_fail) / 2;
                if (passes(middle)) {
                    high_pass = middle;
                } else {
                    low_fail = middle;
                }
            }
            if (passes(*high_pass)) return high_pass;  // the confirmation
            // A noisy pass: that count fails after all, the answer lies above it.
            low_fail = *high_pass;
            auto above = passed_.upper_bound(low_fail);
            if (above != passed_.end()) {
                high_pass = *above;
            } else {
                high_pass.reset();
                for (int n = low_fail + 1; n <= options_.max_consumers && !high_pass; ++n) {
                    if (passes(n)) {
                        high_pass = n;
                    } else {
                        low_fail = n;
                    }
                }
                if (!high_pass) return std::nullopt;
            }
        }
    }

    const CapacityOptions& options_;
    const ConsumerStepRunner& run_with_;
    StepLog log_;
    std::set<int> passed_;
    std::set<int> failed_;
};

}  // namespace

json judge_step(const json& report, double rate, const CapacityOptions& options) {
    json p99 = json::object();
    double worst_p99 = 0;
    for (const auto& [group, summary] : report[key::summary][key::groups].items()) {
        double value = summary[key::latency][key::end_to_end][key::p99_ms].get<double>();
        p99[group] = value;
        worst_p99 = std::max(worst_p99, value);
    }
    std::uint64_t lost = 0;
    for (const auto& [group, verdict] : report[key::verification].items()) {
        lost += verdict[key::lost].get<std::uint64_t>();
    }
    auto lag = worst_load_lag(report[key::timeline]);
    double achieved = report[key::summary][key::produced][key::ok_per_s].get<double>();

    std::vector<std::string> misses;
    auto format = [](double value) {
        std::ostringstream text;
        text.precision(4);
        text << value;
        return text.str();
    };
    if (worst_p99 > options.max_p99_ms)
        misses.push_back("p99 " + format(worst_p99) + " ms > " + format(options.max_p99_ms) +
                         " ms");
    if (lag > options.max_lag)
        misses.push_back("lag " + std::to_string(lag) + " > " + std::to_string(options.max_lag));
    if (lost > options.max_lost)
        misses.push_back("lost " + std::to_string(lost) + " > " + std::to_string(options.max_lost));
    if (achieved < options.min_achieved * rate)
        misses.push_back("produced only " + format(achieved) + "/s of " + format(rate) + "/s");
    if (report[key::verdict] != reports::value::pass)
        misses.push_back("gates failed: " + failed_gates(report));

    std::string reason;
    for (const auto& miss : misses) reason += (reason.empty() ? "" : "; ") + miss;
    return {{key::rate, rate},
            {key::passed, misses.empty()},
            {key::reason, misses.empty() ? "meets the SLO" : reason},
            {key::achieved_per_s, achieved},
            {key::worst_p99_ms, worst_p99},
            {key::p99_ms, p99},
            {key::max_lag, lag},
            {key::lost, lost},
            {key::verdict, report[key::verdict]},
            // For capacity.html's Redis CPU against the rate; absent when no row was steady.
            {key::redis_cpu_busy, report[key::summary]
                                      .value(key::bottleneck, json::object())
                                      .value(key::redis_cpu_busy, json())}};
}

json search_capacity(const CapacityOptions& options, const StepRunner& run_at,
                     const StepListener& on_step) {
    if (options.min_rate < 1 || options.max_rate < options.min_rate) {
        throw input_error({"capacity: need 1 <= --min-rate <= --max-rate"});
    }
    if (options.search == CapacityOptions::Search::step && options.step_rate < 1) {
        throw input_error({"capacity: --step-rate must be at least 1 order/s"});
    }
    if (options.resolution <= 0) throw input_error({"capacity: --resolution must be above 0"});
    return Search(options, run_at, on_step).run();
}

json search_consumers(const CapacityOptions& options, const ConsumerStepRunner& run_with,
                      const StepListener& on_step) {
    if (options.consumers_rate <= 0) {
        throw input_error(
            {"capacity: --search consumers needs a producer rate above 0 (--rate or "
             "producers.rate)"});
    }
    if (options.min_consumers < 1 || options.max_consumers < options.min_consumers) {
        throw input_error({"capacity: need 1 <= --min-consumers <= --max-consumers"});
    }
    return ConsumerSearch(options, run_with, on_step).run();
}

}  // namespace sh::cli
