// The HTML report of a real chaos run: `run` writes report.html next to report.json, its charts
// carry exactly the JSON's timeline numbers and fault events, and `streamharness report`
// re-renders the same page from the JSON alone.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "harness/measure/histogram.hpp"
#include "tests/support/harness_process.hpp"

using nlohmann::json;
using sh::testing::HarnessRun;
using sh::testing::read_text_file;
using sh::testing::run_harness;
using sh::testing::workload_path;

namespace {

// Every "data-<name>" attribute value with the given name, in page order.
std::vector<std::string> attribute_values(const std::string& html, const std::string& name) {
    std::regex attribute(" data-" + name + "=\"([^\"]*)\"");
    std::vector<std::string> values;
    for (std::sregex_iterator it(html.begin(), html.end(), attribute), end; it != end; ++it) {
        values.push_back((*it)[1]);
    }
    return values;
}

// "x,y x,y ..." as JSON [[x, y], ...] with null gaps, to compare with report-data.
json parse_values(const std::string& values) {
    json points = json::array();
    std::istringstream pairs(values);
    std::string pair;
    while (pairs >> pair) {
        auto comma = pair.find(',');
        auto y = pair.substr(comma + 1);
        points.push_back(
            {std::stod(pair.substr(0, comma)), y == "null" ? json(nullptr) : json(std::stod(y))});
    }
    return points;
}

json report_data(const std::string& html) {
    const std::string open = "<script type=\"application/json\" id=\"report-data\">";
    auto begin = html.find(open) + open.size();
    return json::parse(html.substr(begin, html.find("</script>", begin) - begin));
}

// The timeline column at `pointer` as [[t_s, value or null], ...].
json timeline_column(const json& report, const std::string& pointer) {
    json points = json::array();
    for (const auto& row : report["timeline"]) {
        json::json_pointer at(pointer);
        points.push_back({row["t_s"], row.contains(at) ? row[at] : json(nullptr)});
    }
    return points;
}

// What a chart draws of a timeline column (DESIGN §9): a rate is not drawn from the drain's
// partial last row (shorter than half the median row, a second);
// produced per second not once the producers stopped; a latency not in a second with nothing
// applied. Gauges (pending, lag, memory) are drawn in every row.
enum class Drawn { gauge, rate, production, latency };

json drawn_column(const json& report, const std::string& pointer, Drawn drawn) {
    auto points = timeline_column(report, pointer);
    const auto& rows = report["timeline"];
    std::vector<double> spans;
    for (const auto& row : rows) spans.push_back(row["span_s"].get<double>());
    std::sort(spans.begin(), spans.end());
    double median = spans[spans.size() / 2];
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const auto& row = rows[i];
        bool partial = row["span_s"].get<double>() < median / 2;
        bool hidden =
            drawn != Drawn::gauge &&
            (partial ||
             (drawn == Drawn::production && row["phase"] == "drain" &&
              row["produced_per_s"].get<double>() == 0) ||
             (drawn == Drawn::latency &&
              row[json::json_pointer(pointer).parent_pointer() / "applied_per_s"].get<double>() ==
                  0));
        if (hidden) points[i][1] = nullptr;
    }
    return points;
}

// Numbers as doubles, so 3 (from the JSON) and 3.0 (through a chart) compare equal.
json as_doubles(const json& points) {
    json converted = json::array();
    for (const auto& point : points) {
        converted.push_back({point[0].get<double>(),
                             point[1].is_null() ? json(nullptr) : json(point[1].get<double>())});
    }
    return converted;
}

}  // namespace

class HtmlReportOfAChaosRun : public ::testing::Test {
  protected:
    // One short chaos run shared by the suite: a few seconds of kills, pauses and disconnects.
    static void SetUpTestSuite() {
        run_ = std::make_unique<HarnessRun>(
            // The slowdown starts at 5 s in chaos.json: within this run it comes at 4.5 s.
            run_harness({"run", workload_path("chaos.json"), "--set", "duration_s=5", "--set",
                         "chaos.events.0.every_s=1", "--set", "chaos.events.5.start_s=4.5"}));
    }
    static void TearDownTestSuite() { run_.reset(); }

    void SetUp() override {
        ASSERT_EQ(run_->exit_code, 0) << run_->out << run_->err;
        report_ = run_->report();
        html_ = read_text_file(run_->out_dir / "report.html");
        ASSERT_FALSE(html_.empty()) << "no report.html in " << run_->out_dir;
    }

    static std::unique_ptr<HarnessRun> run_;
    json report_;
    std::string html_;
};

std::unique_ptr<HarnessRun> HtmlReportOfAChaosRun::run_;

TEST_F(HtmlReportOfAChaosRun, ChartSeriesAreTheTimelineNumbersOfTheJsonReport) {
    ASSERT_GE(report_["timeline"].size(), 4u);
    std::map<std::string, std::pair<std::string, Drawn>> expected{
        {"throughput/produced", {"/produced_per_s", Drawn::production}},
        {"cpu/redis", {"/redis_cpu", Drawn::rate}},
        {"cpu/harness", {"/harness_cpu", Drawn::rate}},
        {"memory/supervisor", {"/supervisor_rss_mib", Drawn::gauge}},
        {"memory/workers (private, sum)", {"/workers_private_mib", Drawn::gauge}},
        {"stream-length/stream length", {"/stream_length", Drawn::gauge}}};
    for (const std::string group : {"score", "push"}) {
        auto column = "/groups/" + group + "/";
        expected["throughput/" + group] = {column + "applied_per_s", Drawn::rate};
        expected["backlog/" + group + " pending"] = {column + "pending", Drawn::gauge};
        expected["backlog/" + group + " lag"] = {column + "lag", Drawn::gauge};
        expected["latency-per-second/" + group + " p50"] = {column + "p50_ms", Drawn::latency};
        expected["latency-per-second/" + group + " p99"] = {column + "p99_ms", Drawn::latency};
    }
    auto names = attribute_values(html_, "series");
    auto values = attribute_values(html_, "values");
    ASSERT_EQ(names.size(), values.size());
    auto data = report_data(html_);
    std::size_t checked = 0;
    for (std::size_t i = 0; i < names.size(); ++i) {
        auto slash = names[i].find('/');
        auto chart = names[i].substr(0, slash);
        auto series = names[i].substr(slash + 1);
        // The attribute and the embedded JSON say the same, for every series of the page.
        EXPECT_EQ(as_doubles(parse_values(values[i])), as_doubles(data[chart][series])) << names[i];
        auto column = expected.find(names[i]);
        if (column == expected.end()) continue;
        EXPECT_EQ(as_doubles(parse_values(values[i])),
                  as_doubles(drawn_column(report_, column->second.first, column->second.second)))
            << names[i];
        ++checked;
    }
    EXPECT_EQ(checked, expected.size());
}

// Instant faults (kill, disconnect, stop) are markers at their time; pauses and slowdowns are
// spans from their time for their duration_ms.
TEST_F(HtmlReportOfAChaosRun, EveryFaultThatHappenedIsMarkedOrSpannedAtItsTime) {
    std::multiset<double> instants;
    std::multiset<std::pair<double, double>> lasting;
    for (const auto& event : report_["events"]) {
        if (event.contains("skipped")) continue;
        auto at_s = event["at_s"].get<double>();
        if (event.contains("duration_ms")) {
            lasting.insert({at_s, at_s + event["duration_ms"].get<double>() / 1000});
        } else {
            instants.insert(at_s);
        }
    }
    ASSERT_GE(instants.size(), 3u) << report_["events"].dump();
    ASSERT_GE(lasting.size(), 1u) << report_["events"].dump();
    std::multiset<double> marked;
    auto kinds = attribute_values(html_, "marker");
    auto times = attribute_values(html_, "x");
    ASSERT_EQ(kinds.size(), times.size());
    for (std::size_t i = 0; i < kinds.size(); ++i) {
        if (kinds[i].rfind("throughput/", 0) == 0) marked.insert(std::stod(times[i]));
    }
    EXPECT_EQ(marked, instants);
    std::multiset<std::pair<double, double>> spanned;
    std::regex span(R"re(data-span="throughput/[^"]*" data-from="([^"]*)" data-to="([^"]*)")re");
    for (std::sregex_iterator it(html_.begin(), html_.end(), span), end; it != end; ++it) {
        spanned.insert({std::stod((*it)[1]), std::stod((*it)[2])});
    }
    EXPECT_EQ(spanned, lasting);
}

TEST_F(HtmlReportOfAChaosRun, TimeAxesEndWithTheRunsLastRow) {
    auto last_t_s = report_["timeline"].back()["t_s"].get<double>();
    std::regex chart(R"re(<figure id="chart-([^"]*)">.*?data-x-max="([^"]*)")re");
    std::set<std::string> checked;
    for (std::sregex_iterator it(html_.begin(), html_.end(), chart), end; it != end; ++it) {
        if ((*it)[1] == "latency-percentiles") continue;  // percentiles, not time
        EXPECT_EQ(std::stod((*it)[2]), last_t_s) << (*it)[1];
        checked.insert((*it)[1]);
    }
    EXPECT_EQ(checked, (std::set<std::string>{"throughput", "latency-per-second", "backlog", "cpu",
                                              "memory", "redis-memory", "stream-length"}));
}

TEST_F(HtmlReportOfAChaosRun, PercentileCurvesAreTheReportsHistograms) {
    auto data = report_data(html_);
    for (const std::string group : {"score", "push"}) {
        auto histogram = std::make_unique<sh::measure::Histogram>();
        histogram->merge_json(report_["histograms"]["groups"][group]["first_delivery"]);
        const auto& curve = data["latency-percentiles"][group + " first delivery"];
        ASSERT_GE(curve.size(), 30u) << group;
        for (const auto& point : curve) {
            auto percent = point[0].get<double>();
            EXPECT_EQ(point[1].get<double>(),
                      static_cast<double>(histogram->percentile(percent)) / 1000.0)
                << group << " at " << percent;
        }
    }
}

TEST_F(HtmlReportOfAChaosRun, ReportCommandReRendersTheSamePageFromTheJson) {
    auto copy_dir = run_->out_dir.parent_path() / "rerendered";
    std::filesystem::create_directories(copy_dir);
    std::filesystem::copy_file(run_->out_dir / "report.json", copy_dir / "report.json",
                               std::filesystem::copy_options::overwrite_existing);
    auto rerun = run_harness({"report", (copy_dir / "report.json").string()});
    ASSERT_EQ(rerun.exit_code, 0) << rerun.out << rerun.err;
    EXPECT_EQ(read_text_file(copy_dir / "report.html"), html_);
    for (const char* file : {"junit.xml", "summary.md", "timeline.csv"}) {
        EXPECT_EQ(read_text_file(copy_dir / file), read_text_file(run_->out_dir / file)) << file;
    }
}

// capacity.html links each step to the report.html the search wrote for it (relative, so the
// directory can be moved), and charts Redis CPU against the offered rate from the steps.
TEST(CapacityHtmlOfASearch, LinksEveryStepsOwnPageAndChartsItsRedisCpu) {
    auto search =
        run_harness({"capacity", workload_path("orders.json"), "--search", "step", "--min-rate",
                     "300", "--step-rate", "300", "--max-rate", "600", "--step-duration-s", "4",
                     "--slo-p99-ms", "1000", "--max-lag", "100000"});
    ASSERT_EQ(search.exit_code, 0) << search.out << search.err;
    auto capacity = json::parse(read_text_file(search.out_dir / "capacity.json"));
    auto html = read_text_file(search.out_dir / "capacity.html");
    std::regex link(R"re(<a href="(steps/[^"]*/report\.html)">)re");
    std::vector<std::string> links;
    for (std::sregex_iterator it(html.begin(), html.end(), link), end; it != end; ++it) {
        links.push_back((*it)[1]);
    }
    ASSERT_EQ(links.size(), capacity["steps"].size()) << html;
    for (std::size_t i = 0; i < links.size(); ++i) {
        EXPECT_TRUE(std::filesystem::exists(search.out_dir / links[i])) << links[i];
        auto report = std::filesystem::path(capacity["steps"][i]["report"].get<std::string>());
        EXPECT_TRUE(std::filesystem::equivalent(search.out_dir / links[i],
                                                report.parent_path() / "report.html"))
            << links[i];
    }
    std::multiset<std::pair<double, double>> expected;
    for (const auto& step : capacity["steps"]) {
        ASSERT_TRUE(step["redis_cpu_busy"].is_number()) << step.dump();
        expected.insert({step["rate"].get<double>(), step["redis_cpu_busy"].get<double>()});
    }
    std::multiset<std::pair<double, double>> charted;
    auto data = report_data(html);
    for (const auto& point : data["capacity-redis-cpu"]["redis_cpu_busy"]) {
        charted.insert({point[0].get<double>(), point[1].get<double>()});
    }
    EXPECT_EQ(charted, expected);
}
