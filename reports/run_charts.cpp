// The run report's charts: see run_charts.hpp.
#include "reports/run_charts.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <string_view>
#include <tuple>
#include <utility>

#include "harness/measure/histogram.hpp"
#include "reports/html_page.hpp"
#include "reports/report_keys.hpp"

namespace sh::reports::html {

using nlohmann::json;

namespace {

// The Okabe-Ito palette, which stays distinguishable under the common colour-vision
// deficiencies. The worker faults, which a chaos run mixes, each have their own colour (kills in
// vermillion: the fault a reader looks for first); the server faults of one deployment
// (standalone, Sentinel or cluster) share colours with their like in the others, since one run
// never has both.
std::string fault_colour(std::string_view kind) {
    static constexpr std::pair<std::string_view, const char*> colours[] = {
        {"kill", "#D55E00"},          {"pause", "#56B4E9"},
        {"disconnect", "#0072B2"},    {"stop", "#CC79A7"},
        {"slow", "#E69F00"},          {"redis-restart", "#000000"},
        {"failover", "#009E73"},      {"cluster-failover", "#009E73"},
        {"primary-kill", "#000000"},  {"node-kill", "#000000"},
        {"replica-stall", "#F0E442"}, {"slot-migration", "#F0E442"}};
    for (const auto& [known, colour] : colours) {
        if (kind == known) return colour;
    }
    return "#999999";
}

// The per-second rows that have a time, and what every timeline chart marks on its time axis.
struct Timeline {
    std::vector<const json*> rows;
    std::vector<double> t_s;
    std::vector<bool> partial;  // a row too short to stand for a rate (see partial_rows)
    std::vector<Marker> faults;
    std::vector<Span> lasting_faults;
    std::vector<Band> drain;
};

// How long a fault held its target down, in ms, when it is one that lasts: the set length of a
// pause, slowdown, replica stall or slot migration, else the measured outage of a restart or
// node kill (restart_ms) or a failover (until the clients reached the new primary). A kill,
// disconnect or stop acts at one instant (what follows is recovery, shown in the charts).
std::optional<double> lasting_ms(const json& event) {
    for (const auto* field :
         {key::duration_ms, key::migration_ms, key::restart_ms, key::to_new_primary_ms}) {
        if (auto ms = number_of(member(event, field)); ms && *ms > 0) return ms;
    }
    return std::nullopt;
}

void add_fault_events(Timeline& timeline, const json& events) {
    if (!events.is_array()) return;
    for (const auto& event : events) {
        auto at_s = number_of(member(event, key::at_s));
        // A skipped fault did not happen: it is in the events table, not on the time axis.
        if (!at_s || event.contains(key::skipped)) continue;
        auto kind = text_of(member(event, key::kind), "event");
        auto label = kind + " " + text_of(member(event, key::target)) + " at " +
                     readable_number(*at_s) + " s";
        if (auto ms = lasting_ms(event)) {
            timeline.lasting_faults.push_back({*at_s, *at_s + *ms / 1000, kind,
                                               label + " for " + readable_number(*ms) + " ms",
                                               fault_colour(kind)});
        } else {
            timeline.faults.push_back({*at_s, kind, label, fault_colour(kind)});
        }
    }
}

// The last row ends at the run's end, however soon after the previous one: a few milliseconds
// of counts is no rate (one order in 5 ms reads as 200/s, none as a fall to zero). A row shorter
// than half the typical span (the median, a second) is drawn for its gauges (pending, lag,
// memory, stream length: readings at its end) but not as a rate.
std::vector<bool> partial_rows(const std::vector<const json*>& rows) {
    std::vector<double> spans;
    for (const auto* row : rows) {
        if (auto span = number_of(member(*row, key::span_s))) spans.push_back(*span);
    }
    std::vector<bool> partial(rows.size(), false);
    if (spans.empty()) return partial;  // written before rows had a span: all whole
    std::nth_element(spans.begin(), spans.begin() + spans.size() / 2, spans.end());
    double typical = spans[spans.size() / 2];
    for (std::size_t i = 0; i < rows.size(); ++i) {
        auto span = number_of(member(*rows[i], key::span_s));
        partial[i] = span && *span < typical / 2;
    }
    return partial;
}

// Producers stop at producing_s (on the timeline's clock); the drain lasts until the last
// drain row or its measured end. Rows alone only tell in which second it started.
std::vector<Band> drain_bands(const Timeline& timeline, const json& summary) {
    std::optional<double> first_row;
    std::optional<double> last_row;
    for (std::size_t i = 0; i < timeline.rows.size(); ++i) {
        if (member(*timeline.rows[i], key::phase) != value::drain) continue;
        if (!first_row) first_row = timeline.t_s[i];
        last_row = timeline.t_s[i];
    }
    auto producing_s = number_of(member_path(summary, {key::produced, key::producing_s}));
    if (timeline.rows.empty() || (!producing_s && !first_row)) return {};
    double from = producing_s.value_or(*first_row - 1);
    auto drain_s = number_of(member_path(summary, {key::drain, key::seconds}));
    double to = std::max(from + drain_s.value_or(0), last_row.value_or(from));
    return {{from, to, "drain phase"}};
}

Timeline read_timeline(const json& report) {
    Timeline timeline;
    const auto& rows = member(report, key::timeline);
    for (const auto& row : rows) {  // null when absent: no rows
        auto t_s = number_of(member(row, key::t_s));
        if (!t_s) continue;
        timeline.rows.push_back(&row);
        timeline.t_s.push_back(*t_s);
    }
    timeline.partial = partial_rows(timeline.rows);
    add_fault_events(timeline, member(report, key::events));
    timeline.drain = drain_bands(timeline, member(report, key::summary));
    return timeline;
}

// What a timeline column is, which decides the rows it has a value in.
enum class Reading {
    gauge,       // a reading at the row's end: every row
    rate,        // a count over the row's span: not in a partial row
    production,  // produced per second: not once the producers stopped (0 in the drain)
    latency      // of the row's deliveries: none in a row with none applied (0 is no latency)
};

bool shown_in(const Timeline& timeline, std::size_t i, Reading reading,
              const std::optional<double>& applied) {
    if (reading == Reading::gauge) return true;
    if (timeline.partial[i]) return false;
    const auto& row = *timeline.rows[i];
    if (reading == Reading::production)
        return member(row, key::phase) != value::drain ||
               number_of(member(row, key::produced_per_s)).value_or(0) > 0;
    return reading != Reading::latency || applied.value_or(1) > 0;
}

Series timeline_series(const Timeline& timeline, std::string name,
                       std::initializer_list<std::string_view> path, std::string colour,
                       Reading reading, Style style = Style::line) {
    Series series{std::move(name), {}, std::move(colour), style};
    for (std::size_t i = 0; i < timeline.rows.size(); ++i) {
        const auto& row = *timeline.rows[i];
        std::optional<double> applied;
        if (reading == Reading::latency) {  // path is {groups, group, field}
            auto group = *(path.begin() + 1);
            applied = number_of(member_path(row, {key::groups, group, key::applied_per_s}));
        }
        auto y = shown_in(timeline, i, reading, applied) ? number_of(member_path(row, path))
                                                         : std::nullopt;
        series.points.push_back({timeline.t_s[i], y});
    }
    return series;
}

Chart timeline_chart(const Timeline& timeline, std::string id, std::string title,
                     std::string y_label, Scale y_scale = Scale::linear) {
    auto chart = make_chart(std::move(id), std::move(title), "time since start (s)",
                            std::move(y_label), Scale::linear, y_scale);
    chart.markers = timeline.faults;
    chart.spans = timeline.lasting_faults;
    chart.bands = timeline.drain;
    if (!timeline.t_s.empty()) chart.x_end = timeline.t_s.back();
    if (timeline.rows.empty()) chart.notes.push_back("The timeline is empty (run too short).");
    return chart;
}

Chart throughput_chart(const Timeline& timeline, const std::vector<std::string>& groups) {
    auto chart =
        timeline_chart(timeline, "throughput",
                       "Throughput per second (applied per group, produced dashed)", "orders/s");
    for (std::size_t g = 0; g < groups.size(); ++g) {
        chart.series.push_back(timeline_series(timeline, groups[g],
                                               {key::groups, groups[g], key::applied_per_s},
                                               palette(g), Reading::rate));
    }
    // Drawn last and dashed: consumers that keep up hide it otherwise.
    chart.series.push_back(timeline_series(timeline, "produced", {key::produced_per_s}, "#111827",
                                           Reading::production, Style::dashed));
    return chart;
}

// Two series per group from the timeline's groups[g]: `solid` drawn solid, `dashed` dashed.
Chart per_group_chart(Chart chart, const Timeline& timeline, const std::vector<std::string>& groups,
                      Reading reading, std::pair<const char*, const char*> solid,
                      std::pair<const char*, const char*> dashed) {
    for (std::size_t g = 0; g < groups.size(); ++g) {
        for (auto [field, suffix, style] :
             {std::tuple{solid.first, solid.second, Style::line},
              std::tuple{dashed.first, dashed.second, Style::dashed}}) {
            chart.series.push_back(timeline_series(timeline, groups[g] + " " + suffix,
                                                   {key::groups, groups[g], field}, palette(g),
                                                   reading, style));
        }
    }
    return chart;
}

Chart cpu_chart(const Timeline& timeline) {
    auto chart = timeline_chart(timeline, "cpu", "CPU (Redis runs commands on one core)", "cores");
    chart.series.push_back(
        timeline_series(timeline, "redis", {key::redis_cpu}, "#c62828", Reading::rate));
    chart.series.push_back(
        timeline_series(timeline, "harness", {key::harness_cpu}, "#4e79a7", Reading::rate));
    return chart;
}

// Flat after warm-up when the harness keeps nothing per order but its two-bit outcome record.
Chart memory_chart(const Timeline& timeline) {
    auto chart = timeline_chart(timeline, "memory", "Harness resident memory", "MiB");
    chart.series.push_back(timeline_series(timeline, "supervisor", {key::supervisor_rss_mib},
                                           "#4e79a7", Reading::gauge));
    chart.series.push_back(timeline_series(timeline, "workers (private, sum)",
                                           {key::workers_private_mib}, "#59a14f", Reading::gauge,
                                           Style::dashed));
    return chart;
}

// Redis's used_memory, in MiB: the stream's entries, the groups' pending lists and Redis's own.
Chart redis_memory_chart(const Timeline& timeline) {
    auto chart = timeline_chart(timeline, "redis-memory", "Redis memory (used_memory)", "MiB");
    auto series = timeline_series(timeline, "redis used_memory", {key::redis_memory_bytes},
                                  "#c62828", Reading::gauge);
    for (auto& point : series.points) {
        if (point.y) *point.y /= 1024.0 * 1024.0;
    }
    chart.series.push_back(std::move(series));
    return chart;
}

Chart stream_length_chart(const Timeline& timeline) {
    auto chart = timeline_chart(timeline, "stream-length", "Stream length (XLEN)", "entries");
    chart.series.push_back(timeline_series(timeline, "stream length", {key::stream_length},
                                           "#4e79a7", Reading::gauge));
    return chart;
}

// Percentiles from 0 to as many nines as the sample count supports, 10 points per nine.
std::vector<double> curve_percentiles(std::uint64_t count) {
    auto decades = std::ceil(std::log10(static_cast<double>(std::max<std::uint64_t>(count, 10))));
    auto steps = static_cast<int>(std::clamp(decades, 1.0, 5.0) * 10);
    std::vector<double> percentiles;
    for (int step = 0; step <= steps; ++step) {
        percentiles.push_back(100.0 * (1.0 - std::pow(10.0, -step / 10.0)));
    }
    return percentiles;
}

// The curve of one serialised histogram, or a note on why there is none.
std::optional<Series> percentile_series(const json& serialised, Series series,
                                        std::vector<std::string>& notes) {
    if (serialised.is_null()) {
        notes.push_back(series.name + ": no histogram in the report");
        return std::nullopt;
    }
    auto histogram = std::make_unique<measure::Histogram>();  // ~180 KB: not on the stack
    try {
        histogram->merge_json(serialised);
    } catch (const std::exception& error) {  // a layout mismatch or a malformed document
        notes.push_back(series.name + ": unreadable histogram (" + error.what() + ")");
        return std::nullopt;
    }
    if (histogram->count() == 0) {
        notes.push_back(series.name + ": no deliveries recorded");
        return std::nullopt;
    }
    for (double percent : curve_percentiles(histogram->count())) {
        auto latency_ms = static_cast<double>(histogram->percentile(percent)) / 1000.0;
        series.points.push_back({percent, latency_ms});
    }
    return series;
}

Chart percentile_chart(const json& report, const std::vector<std::string>& groups) {
    auto chart =
        make_chart("latency-percentiles",
                   "End-to-end latency by percentile (first delivery solid, recovered dashed)",
                   "percentile", "latency (ms, log scale)", Scale::hdr_percentile, Scale::log);
    for (std::size_t g = 0; g < groups.size(); ++g) {
        const auto& histograms = member_path(report, {key::histograms, key::groups, groups[g]});
        for (auto [kind, label, style] :
             {std::tuple{key::first_delivery, " first delivery", Style::line},
              std::tuple{key::recovered, " recovered", Style::dashed}}) {
            Series empty{groups[g] + label, {}, palette(g), style};
            auto series = percentile_series(member(histograms, kind), empty, chart.notes);
            if (series) chart.series.push_back(std::move(*series));
        }
    }
    return chart;
}

}  // namespace

RunCharts run_charts(const json& report, const std::vector<std::string>& groups) {
    auto timeline = read_timeline(report);
    auto per_second = timeline_chart(timeline, "latency-per-second",
                                     "End-to-end latency per second (p50 solid, p99 dashed)",
                                     "latency (ms, log scale)", Scale::log);
    auto backlog = timeline_chart(timeline, "backlog", "Pending (solid) and lag (dashed) per group",
                                  "entries");
    return {throughput_chart(timeline, groups),
            percentile_chart(report, groups),
            per_group_chart(per_second, timeline, groups, Reading::latency, {key::p50_ms, "p50"},
                            {key::p99_ms, "p99"}),
            per_group_chart(backlog, timeline, groups, Reading::gauge, {key::pending, "pending"},
                            {key::lag, "lag"}),
            cpu_chart(timeline),
            memory_chart(timeline),
            redis_memory_chart(timeline),
            stream_length_chart(timeline)};
}

}  // namespace sh::reports::html
