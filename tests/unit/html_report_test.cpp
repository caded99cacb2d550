// The HTML report drawn from a synthetic report: self-contained, every chart's series carries
// exactly the report's numbers, user text is escaped, and thin or foreign input is handled.
#include "reports/html_report.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "harness/errors.hpp"
#include "harness/measure/histogram.hpp"
#include "reports/report_json.hpp"
#include "tests/unit/html_page_probe.hpp"

using nlohmann::json;
using sh::measure::Histogram;
using sh::reports::render_capacity_html;
using sh::reports::render_html;
using namespace sh::testing::html_probe;

namespace {

const std::string odd_group = "<b>&\"";

std::unique_ptr<Histogram> latencies_us(std::uint64_t from, std::uint64_t to, std::uint64_t step) {
    auto histogram = std::make_unique<Histogram>();
    for (auto value = from; value <= to; value += step) histogram->record(value);
    return histogram;
}

json timeline_row(double t_s, const char* phase, double produced, std::optional<int> lag) {
    json groups = json::object();
    groups["score"] = {{"applied_per_s", produced - 1.5},
                       {"pending", 3},
                       {"lag", lag ? json(*lag) : json(nullptr)},
                       {"p50_ms", 0.51},
                       {"p99_ms", 12.25}};
    groups[odd_group] = {{"applied_per_s", produced / 3},
                         {"pending", 0},
                         {"lag", 0},
                         {"p50_ms", 0.75},
                         {"p99_ms", 1.125}};
    return {{"t_s", t_s},       {"phase", phase},    {"produced_per_s", produced},
            {"groups", groups}, {"redis_cpu", 0.31}, {"harness_cpu", 1.27}};
}

json synthetic_report() {
    json report = {{"schema_version", 1},
                   {"run_id", "r-html-1"},
                   {"started_at", "2026-01-02T03:04:05Z"},
                   {"tool", {{"name", "streamharness"}, {"version", "0.1.0"}}},
                   {"verdict", "fail"}};
    report["workload"] = {{"name", "synthetic"},
                          {"groups", {{{"name", "score"}}, {{"name", odd_group}}}}};
    report["environment"] = {{"redis_version", "7.0.15"}, {"host_cores", 2}};
    report["timeline"] = {timeline_row(1.0004, "load", 1001.75, 10),
                          timeline_row(2.0011, "load", 998.5, std::nullopt),
                          timeline_row(3.0002, "load", 1000.125, 4),
                          timeline_row(4.0007, "drain", 12.5, 0)};
    report["events"] = {{{"at_s", 1.25},
                         {"kind", "kill"},
                         {"target", "score-0-1"},
                         {"pending", 7},
                         {"in_flight", 2},
                         {"recovery_ms", 1012.5},
                         {"restarted_as", "score-0-2"}},
                        {{"at_s", 2.75},
                         {"kind", "pause"},
                         {"target", "<script>alert(1)</script>"},
                         {"duration_ms", 500}},
                        {{"at_s", 3.5}, {"kind", "disconnect"}, {"target", "score-1-1"}}};
    report["chaos"] = {{"summary", {{"kills_with_pending", 1}, {"unrecovered", 0}}}};
    auto first = latencies_us(200, 90'000, 37);
    report["histograms"]["groups"]["score"] = {
        {"first_delivery", first->to_json()},
        {"recovered", latencies_us(900'000, 1'400'000, 5'000)->to_json()}};
    report["histograms"]["groups"][odd_group] = {
        {"first_delivery", latencies_us(300, 3'000, 7)->to_json()},
        {"recovered", std::make_unique<Histogram>()->to_json()}};
    report["verification"]["score"] = {{"group", "score"},
                                       {"applied", 4000},
                                       {"lost", 0},
                                       {"duplicated", 2},
                                       {"points", {{"consistent", true}}}};
    report["verification"][odd_group] = {
        {"group", odd_group}, {"applied", 4000}, {"lost", 0}, {"duplicated", 0}};
    report["gates"] = {{{"gate", "max_duplicated"},
                        {"group", "score"},
                        {"actual", 2.0},
                        {"limit", 0.0},
                        {"passed", false}},
                       {{"gate", "drained"}, {"actual", 1.0}, {"limit", 1.0}, {"passed", true}}};
    report["summary"] = {
        {"produced",
         {{"ok", 4000},
          {"failed", 0},
          {"indeterminate", 1},
          {"ok_per_s", 999.75},
          {"producing_s", 3.5}}},
        {"drain", {{"drained", true}, {"seconds", 0.25}}},
        {"bottleneck", {{"steady_rows", 0}, {"saturated", "unknown (run too short)"}}},
        {"max_rate", nullptr},
        {"groups",
         {{"score",
           {{"latency", {{"end_to_end", sh::reports::latency_json(first->summary())}}}}}}}};
    return report;
}

json minimal_report() {
    return {{"run_id", "r-min"},
            {"summary", json::object()},
            {"timeline", json::array()},
            {"events", json::array()}};
}

json synthetic_capacity() {
    return {{"kind", "capacity"},
            {"workload", {{"name", "orders"}}},
            {"slo", {{"max_p99_ms", 50}, {"max_lag", 1000}, {"max_lost", 0}}},
            {"steps",
             {{{"rate", 1000},
               {"passed", true},
               {"reason", "ok"},
               {"achieved_per_s", 999.5},
               {"worst_p99_ms", 2.5},
               {"max_lag", 10},
               {"lost", 0},
               {"report", "s1/report.json"}},
              {{"rate", 4000},
               {"passed", false},
               {"reason", "p99 120 ms > 50 ms"},
               {"achieved_per_s", 3100.25},
               {"worst_p99_ms", 120.75},
               {"max_lag", 25000},
               {"lost", 0},
               {"report", "s2/report.json"}},
              {{"rate", 2000},
               {"passed", true},
               {"reason", "ok"},
               {"achieved_per_s", 2000.5},
               {"worst_p99_ms", 4.5},
               {"max_lag", 40},
               {"lost", 0},
               {"report", "s3/report.json"}},
              {{"rate", 3000},
               {"passed", false},
               {"reason", "lag"},
               {"achieved_per_s", 2800},
               {"worst_p99_ms", 60},
               {"max_lag", 9000},
               {"lost", 0},
               {"report", "s4/report.json"}}}},
            {"answer", {{"rate", 2000}, {"confirmed", true}}},
            {"knee", {{"last_passing_rate", 2000}, {"first_failing_rate", 3000}}}};
}

}  // namespace

TEST(HtmlReport, IsOneCompletePageWithNoExternalReferences) {
    auto html = render_html(synthetic_report());
    EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
    EXPECT_NE(html.find("</html>"), std::string::npos);
    for (const auto* external : {"http://", "https://", "<link", "src=", "@import", "url("}) {
        EXPECT_EQ(html.find(external), std::string::npos) << external;
    }
}

TEST(HtmlReport, ThroughputSeriesCarryTheTimelineNumbersExactly) {
    auto report = synthetic_report();
    auto html = render_html(report);
    auto series = series_of(html);
    auto data = report_data(html);
    const auto& rows = report["timeline"];
    auto check = [&](const std::string& name, auto value_of) {
        const auto& points = series["throughput/" + name];
        ASSERT_EQ(points.size(), rows.size()) << name;
        ASSERT_EQ(data["throughput"][name].size(), rows.size()) << name;
        for (std::size_t i = 0; i < rows.size(); ++i) {
            EXPECT_EQ(points[i].first, rows[i]["t_s"].get<double>()) << name;
            EXPECT_EQ(points[i].second, value_of(rows[i])) << name;
            EXPECT_EQ(data["throughput"][name][i][0].get<double>(), rows[i]["t_s"].get<double>());
            EXPECT_EQ(data["throughput"][name][i][1].get<double>(), value_of(rows[i]));
        }
    };
    check("produced", [](const json& row) { return row["produced_per_s"].get<double>(); });
    for (const auto& group : {std::string("score"), odd_group}) {
        check(group,
              [&](const json& row) { return row["groups"][group]["applied_per_s"].get<double>(); });
    }
}

TEST(HtmlReport, NullLagIsAGapNotAZero) {
    auto html = render_html(synthetic_report());
    auto series = series_of(html);
    const auto& lag = series["backlog/score lag"];
    ASSERT_EQ(lag.size(), 4u);
    EXPECT_EQ(lag[0].second, 10.0);
    EXPECT_FALSE(lag[1].second.has_value());
    EXPECT_TRUE(report_data(html)["backlog"]["score lag"][1][1].is_null());
}

TEST(HtmlReport, EveryFaultEventIsAMarkerOrASpanAtItsTimeAndTheDrainIsShaded) {
    auto report = synthetic_report();
    auto html = render_html(report);
    auto markers = markers_of(html);
    auto spans = spans_of(html);
    for (const auto& event : report["events"]) {
        auto kind = "throughput/" + event["kind"].get<std::string>();
        const auto& at = markers[kind];
        auto at_s = event["at_s"].get<double>();
        if (event.contains("duration_ms")) {  // the pause lasts: a span, not a marker
            EXPECT_TRUE(at.empty()) << event.dump();
            auto to_s = at_s + event["duration_ms"].get<double>() / 1000;
            EXPECT_EQ(spans[kind], (std::vector<std::pair<double, double>>{{at_s, to_s}}));
        } else {
            EXPECT_EQ(std::count(at.begin(), at.end(), at_s), 1) << event.dump();
        }
    }
    EXPECT_NE(
        html.find("data-band=\"throughput/drain phase\" data-from=\"3.5\" data-to=\"4.0007\""),
        std::string::npos);
}

TEST(HtmlReport, PercentileCurveIsTheHistogramsPercentilesInMilliseconds) {
    auto report = synthetic_report();
    auto series = series_of(render_html(report));
    auto histogram = std::make_unique<Histogram>();
    histogram->merge_json(report["histograms"]["groups"]["score"]["first_delivery"]);
    const auto& curve = series["latency-percentiles/score first delivery"];
    ASSERT_GE(curve.size(), 30u);
    EXPECT_EQ(curve.front().first, 0.0);
    EXPECT_GT(curve.back().first, 99.9);
    for (const auto& [percent, latency_ms] : curve) {
        EXPECT_EQ(latency_ms, static_cast<double>(histogram->percentile(percent)) / 1000.0)
            << percent;
    }
    EXPECT_TRUE(series.contains("latency-percentiles/score recovered"));
}

TEST(HtmlReport, AnEmptyHistogramIsSkippedWithANote) {
    auto html = render_html(synthetic_report());
    EXPECT_FALSE(series_of(html).contains("latency-percentiles/" + odd_group + " recovered"));
    EXPECT_NE(html.find("&lt;b&gt;&amp;&quot; recovered: no deliveries recorded"),
              std::string::npos);
}

TEST(HtmlReport, EscapesGroupNamesAndTargets) {
    auto html = render_html(synthetic_report());
    EXPECT_EQ(html.find(odd_group), std::string::npos);
    EXPECT_EQ(html.find("<script>alert"), std::string::npos);
    EXPECT_NE(html.find("&lt;b&gt;&amp;&quot;"), std::string::npos);
    EXPECT_NE(html.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
    // The embedded JSON keeps the name exactly, and cannot close its <script> early.
    EXPECT_TRUE(report_data(html)["throughput"].contains(odd_group));
}

TEST(HtmlReport, ShowsTheVerdictAndHighlightsFailingGatesAndCounts) {
    auto html = render_html(synthetic_report());
    EXPECT_NE(html.find("<div class=\"verdict fail\">FAIL</div>"), std::string::npos);
    EXPECT_NE(html.find("<tr class=\"fail\"><td>max_duplicated</td><td>score</td>"),
              std::string::npos);
    // The verification table flags the count the gate failed on.
    EXPECT_NE(html.find("<td>duplicated</td><td><span class=\"bad\">2</span></td>"),
              std::string::npos);
}

TEST(HtmlReport, AReportWithNoTimelineEventsOrChaosRenders) {
    std::string html;
    ASSERT_NO_THROW(html = render_html(minimal_report()));
    EXPECT_NE(html.find("</html>"), std::string::npos);
    EXPECT_NE(html.find("no data"), std::string::npos);
    EXPECT_NE(html.find("No fault events"), std::string::npos);
    EXPECT_TRUE(series_of(html).contains("throughput/produced"));
    EXPECT_TRUE(series_of(html)["throughput/produced"].empty());
}

TEST(HtmlReport, AnAggregateLinksEachRunsOwnPageInsteadOfDrawingEmptyTimelineCharts) {
    auto report = synthetic_report();
    report["kind"] = "aggregate";
    report["timeline"] = json::array();
    report["events"] = json::array();
    auto runs_in = [](const std::string& first, const std::string& second) {
        return json{{"count", 2},
                    {"runs",
                     {{{"run_id", "r-1"}, {"report", first + "/report.json"}},
                      {{"run_id", "r-2"}, {"report", second + "/report.json"}}}}};
    };
    report["repeat"] = runs_in("/out/agg/run-1", "/out/agg/run-2");
    auto html = render_html(report);
    EXPECT_EQ(html.find("The timeline is empty"), std::string::npos);
    EXPECT_NE(html.find("in each run"), std::string::npos);
    EXPECT_NE(html.find("href=\"run-1/report.html\""), std::string::npos);
    EXPECT_NE(html.find("href=\"run-2/report.html\""), std::string::npos);
    for (const auto* chart : {"throughput", "latency-per-second", "backlog", "cpu"}) {
        EXPECT_EQ(html.find(std::string("id=\"chart-") + chart + "\""), std::string::npos) << chart;
    }
    EXPECT_NE(html.find("id=\"chart-latency-percentiles\""), std::string::npos);
    EXPECT_FALSE(report_data(html).contains("throughput"));

    report["repeat"] = runs_in("/a/run-1", "/b/run-2");
    html = render_html(report);
    EXPECT_NE(html.find("href=\"/a/run-1/report.html\""), std::string::npos);
    EXPECT_NE(html.find("href=\"/b/run-2/report.html\""), std::string::npos);
}

TEST(HtmlReport, RejectsInputThatIsNotARunReport) {
    for (const auto& input :
         {json::array(), json{{"kind", "capacity"}}, json{{"run_id", "r"}}, json("report")}) {
        EXPECT_THROW(render_html(input), sh::WorkloadError) << input.dump();
    }
}

// Found while fuzzing the report readers: `streamharness report` of a file nested 100,000 levels
// deep overflowed the stack (SIGSEGV) instead of refusing it.
TEST(HtmlReport, RefusesADocumentNestedDeeperThanAnyReport) {
    // Moved, never copied: nlohmann copies recursively, and a copy this deep overflows the
    // stack (under ASan's larger frames) before the code under test is reached.
    auto nested = [] { return json::parse(std::string(100000, '[') + std::string(100000, ']')); };
    auto report = minimal_report();
    report["workload"] = nested();
    EXPECT_THROW(render_html(report), sh::WorkloadError);
    auto capacity = synthetic_capacity();
    capacity["workload"] = nested();
    EXPECT_THROW(render_capacity_html(capacity), sh::WorkloadError);
}

TEST(CapacityHtml, DrawsStepsByRateSplitIntoPassingAndFailing) {
    auto series = series_of(render_capacity_html(synthetic_capacity()));
    Points by_rate{{1000, 2.5}, {2000, 4.5}, {3000, 60}, {4000, 120.75}};
    EXPECT_EQ(series["capacity-p99/worst_p99_ms"], by_rate);
    EXPECT_EQ(series["capacity-p99/passed"], (Points{{1000, 2.5}, {2000, 4.5}}));
    EXPECT_EQ(series["capacity-p99/failed"], (Points{{3000, 60}, {4000, 120.75}}));
    EXPECT_EQ(series["capacity-lag/failed"], (Points{{3000, 9000}, {4000, 25000}}));
}

TEST(CapacityHtml, MarksTheAnswerTheKneeAndTheSlo) {
    auto html = render_capacity_html(synthetic_capacity());
    EXPECT_NE(html.find("Sustainable rate: 2000 orders/s"), std::string::npos);
    EXPECT_NE(html.find("<tr class=\"answer\"><td>3</td><td>&#9733; answer</td><td>2000</td>"),
              std::string::npos);
    EXPECT_EQ(markers_of(html)["capacity-p99/answer"], std::vector<double>{2000});
    EXPECT_NE(html.find("data-band=\"capacity-p99/knee\" data-from=\"2000.0\" data-to=\"3000.0\""),
              std::string::npos);
    EXPECT_NE(html.find("data-guide=\"capacity-p99/SLO max_p99_ms 50\" data-y=\"50.0\""),
              std::string::npos);
}

TEST(CapacityHtml, WithoutAnAnswerSaysSoAndRejectsARunReport) {
    auto capacity = synthetic_capacity();
    capacity["answer"]["rate"] = nullptr;
    capacity.erase("knee");
    EXPECT_NE(render_capacity_html(capacity).find("No rate met the SLO"), std::string::npos);
    EXPECT_THROW(render_capacity_html(minimal_report()), sh::WorkloadError);
}

TEST(WriteTextFile, CreatesTheDirectoryAndFailsWithAnEnvironmentError) {
    auto dir =
        std::filesystem::temp_directory_path() / ("html-report-test-" + std::to_string(getpid()));
    auto path = sh::reports::write_text_file("<html></html>", dir / "nested", "page.html");
    std::ifstream file(path);
    std::stringstream content;
    content << file.rdbuf();
    EXPECT_EQ(content.str(), "<html></html>");
    EXPECT_THROW(sh::reports::write_text_file("x", path / "below-a-file", "page.html"),
                 sh::EnvironmentError);
    std::filesystem::remove_all(dir);
}
