#include "harness/run/sampler.hpp"

#include <unistd.h>

#include <algorithm>

#include "harness/errors.hpp"
#include "harness/measure/clock.hpp"
#include "harness/measure/cpu.hpp"
#include "harness/redis/streams.hpp"

namespace sh::run {

namespace {

constexpr std::int64_t second_ns = 1'000'000'000;
constexpr double steady_skip_s = 2;
constexpr double saturated = 0.85;

// Cumulative end-to-end latency of a group over all its consumers' slots.
std::unique_ptr<measure::Histogram> group_latency(RunControl& control, std::size_t group) {
    auto merged = std::make_unique<measure::Histogram>();
    for (const auto& worker : control.fleet.workers()) {
        if (worker.group_index != group) continue;
        const auto& slot = control.stats.slots()[worker.slot];
        merged->merge(slot.latency_first);
        merged->merge(slot.latency_recovered);
    }
    return merged;
}

double ms(std::uint64_t us) {
    return static_cast<double>(us) / 1000.0;
}

std::int64_t memory_bytes(redis::Connection& connection) {
    auto text = measure::info_field(connection, "memory", "used_memory");
    return text.empty() ? 0 : std::stoll(text);
}

}  // namespace

Sampler::Sampler(std::size_t groups) {
    for (std::size_t g = 0; g < groups; ++g) {
        last_latency_.push_back(std::make_unique<measure::Histogram>());
    }
}

Sampler::Totals Sampler::read_totals(RunControl& control, const produce::ProducerTotals& totals) {
    Totals now;
    now.at_ns = measure::monotonic_ns();
    now.produced = totals.ok.load();
    now.applied.assign(control.workload.groups.size(), 0);
    for (const auto& worker : control.fleet.workers()) {
        now.applied[worker.group_index] +=
            control.stats.slots()[worker.slot].counters.applied.load();
        if (worker.process.running()) {
            // CPU time only grows; a process that exits mid-read must not count less.
            auto& seen = worker_cpu_s_[worker.process.pid()];
            seen = std::max(seen, measure::process_cpu_s(worker.process.pid()));
        }
    }
    // A killed or restarted worker keeps counting with the CPU it had used when last seen:
    // dropping it would make the next second's harness CPU negative.
    now.harness_cpu_s = measure::process_cpu_s(getpid());
    for (const auto& [pid, cpu_s] : worker_cpu_s_) now.harness_cpu_s += cpu_s;
    now.redis_cpu_s = measure::redis_cpu_s(control.control);
    return now;
}

void Sampler::tick(RunControl& control, const produce::ProducerTotals& totals, bool producing) {
    auto now_ns = measure::monotonic_ns();
    if (now_ns < next_ns_) return;
    try {
        auto now = read_totals(control, totals);
        if (next_ns_ == 0) {
            // Counts start from zero so the rows add up to the run's totals; CPU counters
            // start from what the processes had already used.
            last_ = std::move(now);
            last_.produced = 0;
            std::fill(last_.applied.begin(), last_.applied.end(), 0);
            next_ns_ = now_ns + second_ns;
            return;
        }
        next_ns_ += second_ns;
        take_row(control, std::move(now), producing);
    } catch (const RedisError&) {
        next_ns_ = now_ns + second_ns;  // Redis restarting: skip this second
    }
}

void Sampler::finish(RunControl& control, const produce::ProducerTotals& totals) {
    if (next_ns_ == 0) return;  // never started
    try {
        take_row(control, read_totals(control, totals), false);
    } catch (const RedisError&) {
        // Redis gone at the very end: the last partial second stays out of the timeline.
    }
}

void Sampler::take_row(RunControl& control, Totals now, bool producing) {
    double span_s = std::max(1e-3, static_cast<double>(now.at_ns - last_.at_ns) / 1e9);
    double at_s = static_cast<double>(now.at_ns - control.start_ns) / 1e9;
    nlohmann::json groups = nlohmann::json::object();
    auto infos = redis::xinfo_groups(control.control, control.keys.stream());
    for (std::size_t g = 0; g < control.workload.groups.size(); ++g) {
        const auto& name = control.workload.groups[g].name;
        auto cumulative = group_latency(control, g);
        auto second = std::make_unique<measure::Histogram>();
        second->merge(*cumulative);
        second->subtract(*last_latency_[g]);
        last_latency_[g] = std::move(cumulative);
        auto applied = now.applied[g] - last_.applied[g];
        nlohmann::json row = {{"applied", applied},
                              {"applied_per_s", static_cast<double>(applied) / span_s},
                              {"p50_ms", ms(second->percentile(50))},
                              {"p99_ms", ms(second->percentile(99))}};
        for (const auto& info : infos) {
            if (info.name != name) continue;
            row["pending"] = info.pending;
            row["lag"] = info.lag ? nlohmann::json(*info.lag) : nlohmann::json(nullptr);
        }
        groups[name] = std::move(row);
    }
    int faults = 0;
    for (const auto& event : control.result.events) {
        if (event.at_s >= at_s - span_s && event.at_s < at_s) ++faults;
    }
    auto produced = now.produced - last_.produced;
    rows_.push_back({
        {"t_s", at_s},
        {"span_s", span_s},
        {"phase", producing ? "load" : "drain"},
        {"produced", produced},
        {"produced_per_s", static_cast<double>(produced) / span_s},
        {"groups", groups},
        {"redis_cpu", (now.redis_cpu_s - last_.redis_cpu_s) / span_s},
        {"harness_cpu", (now.harness_cpu_s - last_.harness_cpu_s) / span_s},
        {"redis_memory_bytes", memory_bytes(control.control)},
        {"stream_length", redis::xlen(control.control, control.keys.stream())},
        {"faults", faults},
    });
    last_ = std::move(now);
}

nlohmann::json Sampler::bottleneck(unsigned host_cores) const {
    double redis = 0;
    double harness = 0;
    int rows = 0;
    for (const auto& row : rows_) {
        if (row["phase"] != "load" || row["t_s"].get<double>() < steady_skip_s) continue;
        redis += row["redis_cpu"].get<double>();
        harness += row["harness_cpu"].get<double>();
        ++rows;
    }
    if (rows == 0) return {{"steady_rows", 0}, {"saturated", "unknown (run too short)"}};
    redis /= rows;
    harness /= rows;
    // Redis runs its commands on one thread: busy near 1.0 means it is the limit. The harness
    // is saturated when it uses most of the cores Redis leaves it.
    double harness_share = harness / std::max(0.1, static_cast<double>(host_cores) - redis);
    std::string verdict = redis >= saturated ? "redis"
                          : harness_share >= saturated
                              ? "harness"
                              : "neither (the offered load is below capacity)";
    return {{"steady_rows", rows},          {"redis_cpu_busy", redis},
            {"harness_cpu_cores", harness}, {"harness_share_of_remaining_cores", harness_share},
            {"host_cores", host_cores},     {"saturated", verdict}};
}

}  // namespace sh::run
