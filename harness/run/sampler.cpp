#include "harness/run/sampler.hpp"

#include <unistd.h>

#include <algorithm>

#include "harness/errors.hpp"
#include "harness/measure/clock.hpp"
#include "harness/measure/cpu.hpp"
#include "harness/measure/memory.hpp"
#include "harness/redis/info.hpp"
#include "harness/redis/streams.hpp"

namespace sh::run {

namespace {

constexpr std::int64_t second_ns = 1'000'000'000;
constexpr double steady_skip_s = 2;
constexpr double saturated = 0.85;
constexpr double bytes_per_mib = 1024.0 * 1024.0;

// Cumulative end-to-end latency of a group over all its consumers' slots.
std::unique_ptr<measure::Histogram> group_latency(RunControl& control, std::size_t group) {
    auto merged = std::make_unique<measure::Histogram>();
    for (const auto& worker : control.fleet.workers()) {
        if (worker.group_index != group) continue;
        const auto& slot = control.fleet.slot_of(worker);
        merged->merge(slot.latency_first);
        merged->merge(slot.latency_recovered);
    }
    return merged;
}

double ms(std::uint64_t us) {
    return static_cast<double>(us) / 1000.0;
}

std::int64_t memory_bytes(redis::Connection& connection) {
    auto text = redis::info_field(connection, "memory", "used_memory");
    return text.empty() ? 0 : std::stoll(text);
}

}  // namespace

Sampler::Sampler(std::vector<std::string> group_names) : group_names_(std::move(group_names)) {
    for (std::size_t g = 0; g < group_names_.size(); ++g) {
        last_latency_.push_back(std::make_unique<measure::Histogram>());
    }
}

Sampler::Totals Sampler::read_totals(RunControl& control, const produce::ProducerTotals& totals) {
    Totals now;
    now.at_ns = measure::monotonic_ns();
    now.produced = totals.ok.load();
    now.applied.assign(control.workload.groups.size(), 0);
    for (const auto& worker : control.fleet.workers()) {
        now.applied[worker.group_index] += control.fleet.slot_of(worker).counters.applied.load();
        if (worker.process.running()) {
            // CPU time only grows; a process that exits mid-read must not count less.
            auto& seen = worker_cpu_s_[worker.process.pid()];
            seen = std::max(seen, measure::process_cpu_s(worker.process.pid()));
            now.workers_private_bytes +=
                measure::proc_status_bytes(worker.process.pid(), "RssAnon");
        }
    }
    // A killed or restarted worker keeps counting with the CPU it had used when last seen:
    // dropping it would make the next second's harness CPU negative.
    now.harness_cpu_s = measure::process_cpu_s(getpid());
    now.supervisor_rss_bytes = measure::process_rss_bytes(getpid());
    for (const auto& [pid, cpu_s] : worker_cpu_s_) now.harness_cpu_s += cpu_s;
    now.redis_cpu_s = measure::redis_cpu_s(control.redis);
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
    TimelineRow row;
    row.span_s = std::max(1e-3, static_cast<double>(now.at_ns - last_.at_ns) / 1e9);
    row.t_s = static_cast<double>(now.at_ns - control.start_ns) / 1e9;
    row.load = producing;
    auto infos = redis::xinfo_groups(control.redis, control.keys.stream());
    for (std::size_t g = 0; g < group_names_.size(); ++g) {
        auto cumulative = group_latency(control, g);
        auto second = std::make_unique<measure::Histogram>();
        second->merge(*cumulative);
        second->subtract(*last_latency_[g]);
        last_latency_[g] = std::move(cumulative);
        TimelineGroupRow group;
        group.applied = now.applied[g] - last_.applied[g];
        group.p50_ms = ms(second->percentile(50));
        group.p99_ms = ms(second->percentile(99));
        for (const auto& info : infos) {
            if (info.name != group_names_[g]) continue;
            group.pending = info.pending;
            group.lag = info.lag;
        }
        row.groups.push_back(group);
    }
    for (const auto& event : control.result.events) {
        if (event.at_s >= row.t_s - row.span_s && event.at_s < row.t_s) ++row.faults;
    }
    row.produced = now.produced - last_.produced;
    row.redis_cpu = (now.redis_cpu_s - last_.redis_cpu_s) / row.span_s;
    row.harness_cpu = (now.harness_cpu_s - last_.harness_cpu_s) / row.span_s;
    row.supervisor_rss_mib = static_cast<double>(now.supervisor_rss_bytes) / bytes_per_mib;
    row.workers_private_mib = static_cast<double>(now.workers_private_bytes) / bytes_per_mib;
    row.redis_memory_bytes = memory_bytes(control.redis);
    row.stream_length = redis::xlen(control.redis, control.keys.stream());
    rows_.push_back(std::move(row));
    last_ = std::move(now);
}

std::vector<const TimelineRow*> Sampler::load_rows(double warm_up_s) const {
    std::vector<const TimelineRow*> rows;
    for (const auto& row : rows_) {
        if (row.load && row.t_s >= warm_up_s) rows.push_back(&row);
    }
    return rows;
}

Bottleneck Sampler::bottleneck(unsigned host_cores) const {
    auto steady = load_rows(steady_skip_s);
    if (steady.empty()) return {0, "unknown (run too short)", {}, {}, {}, {}};
    double redis = 0;
    double harness = 0;
    for (const auto* row : steady) {
        redis += row->redis_cpu;
        harness += row->harness_cpu;
    }
    redis /= static_cast<double>(steady.size());
    harness /= static_cast<double>(steady.size());
    // Redis runs its commands on one thread: busy near 1.0 means it is the limit. The harness
    // is saturated when it uses most of the cores Redis leaves it.
    double harness_share = harness / std::max(0.1, static_cast<double>(host_cores) - redis);
    std::string verdict = redis >= saturated ? "redis"
                          : harness_share >= saturated
                              ? "harness"
                              : "neither (the offered load is below capacity)";
    return {steady.size(), verdict, redis, harness, harness_share, host_cores};
}

namespace {

// Resident memory at the first and last of `rows`, and its peak over them.
template <typename Rows, typename Field>
ResidentSpan rss_span(const Rows& rows, Field field) {
    double peak = 0;
    for (const auto* row : rows) peak = std::max(peak, row->*field);
    return {rows.front()->*field, rows.back()->*field, peak};
}

}  // namespace

MemorySummary Sampler::memory() const {
    double load_end_s = 0;
    for (const auto& row : rows_) {
        if (row.load) load_end_s = row.t_s;
    }
    // Warm-up (allocator arenas, connection buffers, histogram pages touched for the first
    // time) is over after a tenth of the load phase, and no earlier than the steady phase.
    auto rows = load_rows(std::max(steady_skip_s, 0.1 * load_end_s));
    MemorySummary memory;
    memory.steady_rows = rows.size();
    if (rows.size() < 2) return memory;
    std::uint64_t orders = 0;
    for (std::size_t i = 1; i < rows.size(); ++i) orders += rows[i]->produced;
    double growth_mib = rows.back()->supervisor_rss_mib - rows.front()->supervisor_rss_mib;
    double seconds = rows.back()->t_s - rows.front()->t_s;
    memory.too_short = false;
    memory.warm_up_s = rows.front()->t_s;
    memory.supervisor_rss_mib = rss_span(rows, &TimelineRow::supervisor_rss_mib);
    memory.workers_private_mib = rss_span(rows, &TimelineRow::workers_private_mib);
    memory.supervisor_growth_mib = growth_mib;
    memory.orders_after_warm_up = orders;
    if (orders > 0) {
        memory.supervisor_growth_bytes_per_order =
            growth_mib * bytes_per_mib / static_cast<double>(orders);
    }
    memory.supervisor_growth_kib_per_s = growth_mib * 1024.0 / seconds;
    return memory;
}

}  // namespace sh::run
