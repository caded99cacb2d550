// The HTML report of a real chaos run: `run` writes report.html next to report.json, its charts
// carry exactly the JSON's timeline numbers and fault events, and `streamharness report`
// re-renders the same page from the JSON alone.
#include <gtest/gtest.h>

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
    std::map<std::string, std::string> expected{
        {"throughput/produced", "/produced_per_s"},
        {"cpu/redis", "/redis_cpu"},
        {"cpu/harness", "/harness_cpu"},
        {"memory/supervisor", "/supervisor_rss_mib"},
        {"memory/workers (private, sum)", "/workers_private_mib"}};
    for (const std::string group : {"score", "push"}) {
        expected["throughput/" + group] = "/groups/" + group + "/applied_per_s";
        expected["backlog/" + group + " pending"] = "/groups/" + group + "/pending";
        expected["backlog/" + group + " lag"] = "/groups/" + group + "/lag";
        expected["latency-per-second/" + group + " p50"] = "/groups/" + group + "/p50_ms";
        expected["latency-per-second/" + group + " p99"] = "/groups/" + group + "/p99_ms";
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
                  as_doubles(timeline_column(report_, column->second)))
            << names[i];
        ++checked;
    }
    EXPECT_EQ(checked, expected.size());
}

TEST_F(HtmlReportOfAChaosRun, EveryFaultThatHappenedIsMarkedAtItsTime) {
    std::multiset<double> expected;
    for (const auto& event : report_["events"]) {
        if (!event.contains("skipped")) expected.insert(event["at_s"].get<double>());
    }
    ASSERT_GE(expected.size(), 3u) << report_["events"].dump();
    std::multiset<double> marked;
    auto kinds = attribute_values(html_, "marker");
    auto times = attribute_values(html_, "x");
    ASSERT_EQ(kinds.size(), times.size());
    for (std::size_t i = 0; i < kinds.size(); ++i) {
        if (kinds[i].rfind("throughput/", 0) == 0) marked.insert(std::stod(times[i]));
    }
    EXPECT_EQ(marked, expected);
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
}
