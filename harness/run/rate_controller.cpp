#include "harness/run/rate_controller.hpp"

#include <algorithm>

#include "harness/measure/clock.hpp"
#include "harness/redis/streams.hpp"

namespace sh::run {

namespace {
constexpr double initial_rate = 2000;
constexpr double min_rate = 100;
constexpr double raise_factor = 1.20;
constexpr double cut_factor = 0.80;
constexpr std::int64_t interval_ns = 250'000'000;
constexpr std::int64_t max_behind_ns = 50'000'000;
constexpr double max_backlog_s = 0.05;
}  // namespace

RateController::RateController(const workload::Workload& workload) {
    // A backlog of a few batches per consumer is normal pipelining; more means falling behind.
    std::int64_t in_flight = 0;
    for (const auto& group : workload.groups) {
        // Every shard a consumer reads has a loop of its own (fewer consumers than shards).
        in_flight += std::max<std::int64_t>(group.consumers, workload.stream.shards) * group.batch;
        groups_.push_back(group.name);
    }
    backlog_bound_ = std::max<std::int64_t>(100, 4 * in_flight);
}

void RateController::start(ProducerPool& producers) {
    producers.set_total_rate(initial_rate);
    next_ns_ = measure::monotonic_ns() + interval_ns;
}

void RateController::tick(redis::Connection& connection,
                          const std::vector<std::string>& stream_keys, ProducerPool& producers,
                          std::int64_t now_ns, double at_s) {
    if (now_ns < next_ns_) return;
    next_ns_ = now_ns + interval_ns;
    std::int64_t backlog = 0;
    for (const auto& stream_key : stream_keys) {
        for (const auto& info : redis::xinfo_groups(connection, stream_key)) {
            if (std::find(groups_.begin(), groups_.end(), info.name) == groups_.end()) continue;
            backlog += info.pending + info.lag.value_or(0);
        }
    }
    auto behind = producers.max_behind_ns();
    auto rate = step(producers.total_rate(), backlog, behind, at_s);
    producers.set_total_rate(rate);
}

double RateController::step(double rate, std::int64_t backlog, std::int64_t behind_ns,
                            double at_s) {
    // A backlog worth up to 50 ms of orders is the pipeline at work, not falling behind.
    auto bound = std::max(backlog_bound_, static_cast<std::int64_t>(rate * max_backlog_s));
    if (backlog > bound || behind_ns > max_behind_ns) {
        rate = std::max(min_rate, rate * cut_factor);
        ++cuts_;
    } else if (backlog < bound / 2) {
        rate *= raise_factor;
        ++raises_;
    }
    last_rate_ = rate;
    steps_.push_back({at_s, rate, backlog, static_cast<double>(behind_ns) / 1e6});
    return rate;
}

MaxRateSummary RateController::summary(const std::vector<TimelineRow>& timeline) const {
    std::vector<double> produced;
    for (const auto& row : timeline) {
        if (row.load) produced.push_back(static_cast<double>(row.produced) / row.span_s);
    }
    double sustained = 0;
    std::size_t half = produced.size() / 2;
    for (std::size_t i = half; i < produced.size(); ++i) sustained += produced[i];
    if (produced.size() > half) sustained /= static_cast<double>(produced.size() - half);
    return {sustained, last_rate_, raises_, cuts_, backlog_bound_, steps_};
}

}  // namespace sh::run
