// What report.html and capacity.html show beyond the raw series (issue 16): lasting faults as
// spans and instant ones as markers, no rate drawn from the drain's partial last row, an x axis
// ending with the run, Redis memory and stream length, the per-group headline, gates as
// PASS/FAIL words, nested values as tables, and capacity steps linked to their own pages.
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "reports/html_report.hpp"
#include "tests/unit/html_page_probe.hpp"

using nlohmann::json;
using sh::reports::render_capacity_html;
using sh::reports::render_html;
using namespace sh::testing::html_probe;

namespace {

json row(double t_s, double span_s, const char* phase, double produced, double applied) {
    json groups = {{"score",
                    {{"applied_per_s", applied},
                     {"pending", 2},
                     {"lag", 1},
                     {"p50_ms", applied > 0 ? 0.75 : 0.0},
                     {"p99_ms", applied > 0 ? 9.5 : 0.0}}}};
    return {{"t_s", t_s},
            {"span_s", span_s},
            {"phase", phase},
            {"produced_per_s", produced},
            {"groups", groups},
            {"redis_cpu", 0.25},
            {"harness_cpu", 0.5},
            {"redis_memory_bytes", 3 * 1048576},
            {"stream_length", static_cast<int>(t_s * 1000)}};
}

// Three load seconds, a drain second with nothing left to apply, and the drain's 50 ms tail.
json chaos_report() {
    json report = {{"run_id", "r-fixes"}, {"verdict", "fail"}};
    report["workload"] = {{"name", "fixes"},
                          {"groups", {{{"name", "score"}, {"claim", {{"enabled", true}}}}}}};
    report["timeline"] = {row(1.0, 1.0, "load", 1000, 990), row(2.0, 1.0, "load", 1000, 1010),
                          row(3.0, 1.0, "load", 1000, 1000), row(4.0, 1.0, "drain", 0, 0),
                          row(4.05, 0.05, "drain", 0, 0)};
    report["events"] = {
        {{"at_s", 1.5}, {"kind", "kill"}, {"target", "score-1-1"}},
        {{"at_s", 2.0}, {"kind", "pause"}, {"target", "score-2-1"}, {"duration_ms", 1500}},
        {{"at_s", 3.5}, {"kind", "slow"}, {"target", "score-1-2"}, {"duration_ms", 3000}}};
    report["gates"] = {{{"gate", "max_lost"},
                        {"group", "score"},
                        {"actual", 3.0},
                        {"limit", 0.0},
                        {"passed", false}},
                       {{"gate", "drained"}, {"actual", 1.0}, {"limit", 1.0}, {"passed", true}}};
    report["verification"]["score"] = {{"lost", 3}, {"points", {{"checked", true}, {"sum", 12}}}};
    report["summary"] = {
        {"produced", {{"ok", 3000}, {"producing_s", 3.0}}},
        {"drain", {{"seconds", 1.05}}},
        {"groups",
         {{"score",
           {{"applied_per_s", 998.25},
            {"latency", {{"end_to_end", {{"p50_ms", 0.625}, {"p99_ms", 17.75}}}}}}}}}};
    return report;
}

std::size_t position(const std::string& html, const std::string& text) {
    return html.find(text);
}

}  // namespace

TEST(HtmlReportFaults, ALastingFaultIsASpanOfItsDurationAndAnInstantOneAMarker) {
    auto html = render_html(chaos_report());
    EXPECT_EQ(markers_of(html)["throughput/kill"], std::vector<double>{1.5});
    EXPECT_FALSE(markers_of(html).contains("throughput/pause"));
    using Spans = std::vector<std::pair<double, double>>;
    EXPECT_EQ(spans_of(html)["throughput/pause"], (Spans{{2.0, 3.5}}));
    // The slowdown outlasts the run: it is cut at the axis's end, which stays the run's end.
    EXPECT_EQ(spans_of(html)["throughput/slow"], (Spans{{3.5, 6.5}}));
    // The plot is 864 px wide from x = 72 and the axis runs 0 to 4.05 s: the pause starts at
    // 72 + 864 * 2 / 4.05 = 498.7 and lasts 864 * 1.5 / 4.05 = 320.0 px.
    EXPECT_NE(position(html,
                       "data-span=\"throughput/pause\" data-from=\"2.0\" data-to=\"3.5\" "
                       "x=\"498.7\" y=\"40.0\" width=\"320.0\""),
              std::string::npos);
    // One legend entry per kind, in its Okabe-Ito colour.
    EXPECT_NE(position(html, "fill=\"#56B4E9\" opacity=\"0.5\"></rect><text class=\"legend\""),
              std::string::npos);
}

TEST(HtmlReportFaults, TheDrainsPartialRowIsNoRateAndTheAxisEndsWithTheRun) {
    auto html = render_html(chaos_report());
    auto series = series_of(html);
    // A 50 ms tail is no rate: no point at 4.05 s for throughput, CPU or latency.
    EXPECT_EQ(series["throughput/score"],
              (Points{{1.0, 990}, {2.0, 1010}, {3.0, 1000}, {4.0, 0}, {4.05, std::nullopt}}));
    EXPECT_FALSE(series["cpu/redis"].back().second.has_value());
    // Producers stopped: no produced line in the drain rather than a fall to zero.
    EXPECT_EQ(
        series["throughput/produced"],
        (Points{{1.0, 1000}, {2.0, 1000}, {3.0, 1000}, {4.0, std::nullopt}, {4.05, std::nullopt}}));
    // A second with nothing applied has no latency (not 0 ms).
    EXPECT_FALSE(series["latency-per-second/score p99"][3].second.has_value());
    EXPECT_EQ(series["latency-per-second/score p99"][2].second, 9.5);
    // Gauges are readings at the row's end: drawn in the partial row too.
    EXPECT_EQ(series["backlog/score pending"].back(), (std::pair{4.05, std::optional(2.0)}));
    for (const auto* chart : {"throughput", "latency-per-second", "backlog", "cpu", "memory",
                              "redis-memory", "stream-length"}) {
        EXPECT_EQ(x_axis_end(html, chart), 4.05) << chart;
    }
}

TEST(HtmlReportFaults, RedisMemoryAndStreamLengthAreCharted) {
    auto series = series_of(render_html(chaos_report()));
    const auto& memory = series["redis-memory/redis used_memory"];
    ASSERT_EQ(memory.size(), 5u);
    for (const auto& point : memory) EXPECT_EQ(point.second, 3.0) << point.first;  // MiB
    EXPECT_EQ(series["stream-length/stream length"],
              (Points{{1.0, 1000}, {2.0, 2000}, {3.0, 3000}, {4.0, 4000}, {4.05, 4050}}));
}

TEST(HtmlReportHeader, ShowsEachGroupsThroughputAndLatencyAndGatesAsWords) {
    auto html = render_html(chaos_report());
    EXPECT_NE(position(html,
                       "<th>group</th><th>applied/s</th><th>p50 (ms)</th><th>p99 "
                       "(ms)</th></tr></thead><tbody><tr><td>score</td><td>998.2</td>"
                       "<td>0.625</td><td>17.75</td></tr>"),
              std::string::npos);
    EXPECT_LT(position(html, "<td>17.75</td>"), position(html, "id=\"gates\""));
    EXPECT_NE(position(html,
                       "<tr class=\"fail\"><td>max_lost</td><td>score</td><td><span "
                       "class=\"result fail\">FAIL</span></td><td>3</td><td>0</td></tr>"),
              std::string::npos);
    EXPECT_NE(position(html,
                       "<td>drained</td><td><span class=\"muted\">–</span></td><td><span "
                       "class=\"result pass\">PASS</span></td><td>yes</td><td>must be "
                       "yes</td>"),
              std::string::npos);
}

TEST(HtmlReportTables, NestedValuesAreTablesNotJsonText) {
    auto html = render_html(chaos_report());
    EXPECT_EQ(html.find("<code>"), std::string::npos);
    EXPECT_EQ(html.find("{&quot;"), std::string::npos);
    // verification.score.points, and the workload's group list, as tables.
    EXPECT_NE(position(html,
                       "<td>points</td><td><table><tbody><tr><td>checked</td><td>true</td>"
                       "</tr><tr><td>sum</td><td>12</td></tr></tbody></table>"),
              std::string::npos);
    EXPECT_NE(position(html,
                       "<td>groups</td><td><table><thead><tr><th>claim</th><th>name</th>"
                       "</tr></thead><tbody><tr><td><table><tbody><tr><td>enabled</td>"),
              std::string::npos);
}

TEST(CapacityHtml, LinksEachStepToItsOwnReportAndChartsRedisCpuByRate) {
    json capacity = {{"kind", "capacity"}, {"workload", {{"name", "orders"}}}};
    capacity["steps"] = {{{"rate", 2000},
                          {"passed", false},
                          {"redis_cpu_busy", 0.5},
                          {"report", "/tmp/cap/steps/2-rate-2000/report.json"}},
                         {{"rate", 1000},
                          {"passed", true},
                          {"redis_cpu_busy", 0.25},
                          {"report", "cap/steps/1-rate-1000/report.json"}},
                         {{"rate", 1500}, {"passed", true}, {"report", "elsewhere/report.json"}}};
    auto html = render_capacity_html(capacity);
    EXPECT_NE(html.find("<a href=\"steps/2-rate-2000/report.html\">"), std::string::npos);
    EXPECT_NE(html.find("<a href=\"steps/1-rate-1000/report.html\">"), std::string::npos);
    // A step recorded outside a steps/ directory keeps its path as text, unlinked.
    EXPECT_EQ(html.find("href=\"elsewhere"), std::string::npos);
    EXPECT_NE(html.find("<td>elsewhere/report.json</td>"), std::string::npos);
    EXPECT_EQ(series_of(html)["capacity-redis-cpu/redis_cpu_busy"],
              (Points{{1000, 0.25}, {1500, std::nullopt}, {2000, 0.5}}));
}
