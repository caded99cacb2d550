#include "harness/run/timeline.hpp"

#include <algorithm>

namespace sh::run {

namespace {

constexpr double steady_skip_s = 2;
constexpr double saturated = 0.85;
constexpr double bytes_per_mib = 1024.0 * 1024.0;

// The load rows from warm_up_s on.
std::vector<const TimelineRow*> load_rows(const std::vector<TimelineRow>& timeline,
                                          double warm_up_s) {
    std::vector<const TimelineRow*> rows;
    for (const auto& row : timeline) {
        if (row.load && row.t_s >= warm_up_s) rows.push_back(&row);
    }
    return rows;
}

}  // namespace

Bottleneck bottleneck_of(const std::vector<TimelineRow>& timeline, unsigned host_cores) {
    auto steady = load_rows(timeline, steady_skip_s);
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

MemorySummary memory_of(const std::vector<TimelineRow>& timeline) {
    double load_end_s = 0;
    for (const auto& row : timeline) {
        if (row.load) load_end_s = row.t_s;
    }
    // Warm-up (allocator arenas, connection buffers, histogram pages touched for the first
    // time) is over after a tenth of the load phase, and no earlier than the steady phase.
    auto rows = load_rows(timeline, std::max(steady_skip_s, 0.1 * load_end_s));
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

TimelineRow row_between(const SampleTotals& last, const SampleTotals& now, std::int64_t start_ns,
                        bool load) {
    TimelineRow row;
    row.span_s = std::max(1e-3, static_cast<double>(now.at_ns - last.at_ns) / 1e9);
    row.t_s = static_cast<double>(now.at_ns - start_ns) / 1e9;
    row.load = load;
    row.produced = now.produced - last.produced;
    for (std::size_t g = 0; g < now.applied.size(); ++g) {
        TimelineGroupRow group;
        group.applied = now.applied[g] - (g < last.applied.size() ? last.applied[g] : 0);
        row.groups.push_back(group);
    }
    row.redis_cpu = (now.redis_cpu_s - last.redis_cpu_s) / row.span_s;
    row.harness_cpu = (now.harness_cpu_s - last.harness_cpu_s) / row.span_s;
    row.external_cpu = (now.external_cpu_s - last.external_cpu_s) / row.span_s;
    row.supervisor_rss_mib = static_cast<double>(now.supervisor_rss_bytes) / bytes_per_mib;
    row.workers_private_mib = static_cast<double>(now.workers_private_bytes) / bytes_per_mib;
    return row;
}

}  // namespace sh::run
