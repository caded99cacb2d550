// What `compare` says besides its rows, on reports built here: the environment check, the
// refusal of one run under two names, and the Markdown and HTML renderings of one comparison.
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "harness/errors.hpp"
#include "reports/compare.hpp"
#include "reports/compare_environment.hpp"
#include "reports/compare_format.hpp"
#include "reports/compare_html.hpp"
#include "tests/unit/compare_reports.hpp"

using nlohmann::json;
using sh::WorkloadError;
using sh::reports::compare_reports;
using sh::reports::comparison_cells;
using sh::reports::render_comparison;
using sh::reports::render_comparison_html;
using sh::reports::render_comparison_markdown;
using sh::reports::require_distinct_runs;
using sh::testing::mentions;
using sh::testing::report;
using sh::testing::set_latency;

namespace {

// The provenance block every report gets, as the schema fixes it.
json with_provenance(json report, const std::string& commit) {
    report["started_at"] = "2026-12-01T06:00:00Z";
    report["provenance"] = {{"command_line", {"streamharness", "run", "workloads/smoke.json"}},
                            {"overrides", json::array()},
                            {"tags", {{"branch", commit == "a" ? "main" : "feature"}}},
                            {"build",
                             {{"commit", commit},
                              {"commit_dirty", false},
                              {"build_type", "Release"},
                              {"compiler", "GNU 12.2.0"}}},
                            {"host",
                             {{"hostname", "ci-1"},
                              {"cpu_model", "EPYC 7B13"},
                              {"cores", 2},
                              {"kernel", "Linux 6.1.0 x86_64"}}},
                            {"redis",
                             {{"version", "7.0.15"},
                              {"mode", "standalone"},
                              {"persistence", "none"},
                              {"appendfsync", "everysec"},
                              {"maxmemory_bytes", 0},
                              {"maxmemory_policy", "noeviction"},
                              {"io_threads", 1}}}};
    return report;
}

std::string refusal(const json& base, const json& candidate) {
    try {
        require_distinct_runs(base, candidate, "a/report.json", "b/report.json");
    } catch (const WorkloadError& error) {
        return error.what();
    }
    return "";
}

// The cells of the Markdown table's body, one vector per row.
std::vector<std::vector<std::string>> markdown_rows(const std::string& markdown) {
    std::vector<std::vector<std::string>> rows;
    std::istringstream lines(markdown);
    std::string line;
    bool in_table = false;
    while (std::getline(lines, line)) {
        if (line.rfind("| metric |", 0) == 0) {
            in_table = true;
            std::getline(lines, line);  // the alignment row
            continue;
        }
        if (!in_table || line.rfind("|", 0) != 0) continue;
        std::vector<std::string> cells;
        std::istringstream row(line.substr(1));
        std::string cell;
        while (std::getline(row, cell, '|')) cells.push_back(cell.substr(1, cell.size() - 2));
        rows.push_back(cells);
    }
    return rows;
}

}  // namespace

TEST(CompareEnvironment, SameEnvironmentGivesNoWarningWhateverTheCommitsAndTags) {
    auto comparison =
        compare_reports(with_provenance(report("r1"), "a"), with_provenance(report("r2"), "b"), {});
    EXPECT_EQ(comparison["environment"], json::array());
    EXPECT_EQ(comparison["warnings"], json::array());
    EXPECT_FALSE(mentions(render_comparison(comparison), "WARNING"));
}

TEST(CompareEnvironment, DifferingIoThreadsAndCpuAreListedWithBothValuesAndChangeNoVerdict) {
    auto candidate = with_provenance(report("r2"), "b");
    candidate["provenance"]["redis"]["io_threads"] = 4;
    candidate["provenance"]["host"]["cpu_model"] = "Xeon 8375C";
    auto comparison = compare_reports(with_provenance(report("r1"), "a"), candidate, {});
    EXPECT_EQ(comparison["environment"],
              json::parse(R"([{"field": "provenance.host.cpu_model", "base": "EPYC 7B13",
                               "candidate": "Xeon 8375C"},
                              {"field": "provenance.redis.io_threads", "base": 1,
                               "candidate": 4}])"));
    EXPECT_FALSE(comparison["regressed"].get<bool>());
    auto text = render_comparison(comparison);
    EXPECT_TRUE(mentions(
        text, "WARNING: environment differs: provenance.redis.io_threads: base 1, new 4\n"))
        << text;
    EXPECT_TRUE(mentions(text, "no regression")) << text;
}

TEST(CompareEnvironment, ReportWithoutProvenanceIsNamedOnceAndItsEnvironmentCompared) {
    auto base = report("r1");
    base["environment"] = {{"redis_version", "7.0.15"}, {"host_cores", 2}};
    auto candidate = with_provenance(report("r2"), "b");
    candidate["environment"] = {{"redis_version", "7.2.4"}, {"host_cores", 2}};
    auto comparison = compare_reports(base, candidate, {});
    ASSERT_EQ(comparison["warnings"].size(), 2u) << comparison["warnings"].dump(2);
    EXPECT_TRUE(mentions(comparison["warnings"][0].get<std::string>(),
                         "the base report has no provenance (written by an older streamharness)"));
    EXPECT_EQ(comparison["environment"],
              json::parse(R"([{"field": "environment.redis_version", "base": "7.0.15",
                               "candidate": "7.2.4"}])"));
}

TEST(RequireDistinctRuns, ACopyIsRefusedNamingBothPathsAndTheRunId) {
    auto base = with_provenance(report("r1"), "a");
    auto message = refusal(base, base);
    EXPECT_TRUE(mentions(message,
                         "a/report.json and b/report.json are the same run (run id r1, "
                         "started at 2026-12-01T06:00:00Z)"))
        << message;
}

TEST(RequireDistinctRuns, AnotherStartOrOtherRunsOfAnAggregateAreTwoRuns) {
    auto base = with_provenance(report("r1"), "a");
    auto restarted = base;
    restarted["started_at"] = "2026-12-01T06:05:00Z";
    EXPECT_EQ(refusal(base, restarted), "");

    auto aggregate = base;
    aggregate["repeat"] = {{"count", 2}, {"runs", {{{"run_id", "r1-1"}}, {{"run_id", "r1-2"}}}}};
    auto other_runs = aggregate;
    other_runs["repeat"]["runs"][1]["run_id"] = "r1-3";
    EXPECT_EQ(refusal(aggregate, other_runs), "");
    EXPECT_TRUE(mentions(refusal(aggregate, aggregate), "the same 2 runs"))
        << refusal(aggregate, aggregate);
}

// A --run-id fixed by CI, given to the base and the new build started in the same second.
TEST(RequireDistinctRuns, OneRunIdStartedInOneSecondByTwoBuildsOrHostsIsTwoRuns) {
    auto base = with_provenance(report("ci-42"), "a");
    base["finished_at"] = "2026-12-01T06:01:00Z";
    EXPECT_NE(refusal(base, base), "");
    auto other_build = with_provenance(report("ci-42"), "b");
    other_build["finished_at"] = "2026-12-01T06:01:00Z";
    EXPECT_EQ(refusal(base, other_build), "");
    auto other_host = base;
    other_host["provenance"]["host"]["hostname"] = "ci-2";
    EXPECT_EQ(refusal(base, other_host), "");
    auto later = base;
    later["finished_at"] = "2026-12-01T06:01:01Z";
    EXPECT_EQ(refusal(base, later), "");
}

TEST(RenderComparisonMarkdown, TableHasTheTextRowsCellsAndTheVerdictAndWarnings) {
    auto candidate = with_provenance(report("r2"), "b");
    candidate["provenance"]["redis"]["io_threads"] = 4;
    set_latency(candidate, "score", 3100);
    auto comparison = compare_reports(with_provenance(report("r1"), "a"), candidate, {});
    auto markdown = render_comparison_markdown(comparison);
    EXPECT_EQ(markdown.rfind("### streamharness compare: REGRESSED (1)\n", 0), 0u) << markdown;
    EXPECT_TRUE(mentions(markdown,
                         "> [!WARNING]\n> - environment differs: "
                         "provenance.redis.io\\_threads: base 1, new 4\n"))
        << markdown;
    auto rows = markdown_rows(markdown);
    ASSERT_EQ(rows.size(), comparison["rows"].size()) << markdown;
    for (std::size_t i = 0; i < rows.size(); ++i) {
        auto cells = comparison_cells(comparison["rows"][i]);
        if (cells[6] == "regressed") cells[6] = "**regressed**";
        EXPECT_EQ(rows[i], std::vector<std::string>(cells.begin(), cells.end())) << markdown;
    }
    EXPECT_TRUE(
        mentions(markdown, "| p99_ms | score | 0.52 | 3.10 | +496 % | +10 % | **regressed** |"))
        << markdown;
}

TEST(RenderComparisonMarkdown, GroupNamesCannotBreakTheTable) {
    auto base = report("r1");
    auto histograms = base["histograms"]["groups"]["score"];
    base["histograms"]["groups"]["a|b"] = histograms;
    auto markdown = render_comparison_markdown(compare_reports(base, report("r2"), {}));
    EXPECT_TRUE(mentions(markdown, "| p99_ms | a\\|b | 0.52 | missing |")) << markdown;

    // A line break would end the row: its status cell would fall out of the table.
    base["histograms"]["groups"]["c\nd"] = histograms;
    markdown = render_comparison_markdown(compare_reports(base, report("r2"), {}));
    EXPECT_TRUE(mentions(markdown, "| p99_ms | c d | 0.52 | missing |")) << markdown;
}

TEST(RenderComparisonHtml, OneCurveAndTimelinePerSideWithBothLegendsAndNothingFetched) {
    auto base = report("r1");
    auto candidate = report("r2");
    set_latency(candidate, "score", 3100);
    auto second = [](double t_s, double span_s, int applied) {
        return json{{"t_s", t_s},
                    {"span_s", span_s},
                    {"groups",
                     {{"score",
                       {{"applied", applied},
                        {"applied_per_s", applied / span_s},
                        {"p99_ms", applied > 0 ? 1.5 : 0.0}}}}}};
    };
    for (auto* side : {&base, &candidate}) {
        for (int t = 1; t <= 3; ++t) (*side)["timeline"].push_back(second(t, 1, 900 + t));
        // The drain's last row, a millisecond long: no point, no fall to zero.
        (*side)["timeline"].push_back(second(3.001, 0.001, 0));
    }
    candidate["timeline"][1] = second(2, 1, 0);  // nothing applied: no p99 (a gap), not 0 ms
    auto comparison = compare_reports(base, candidate, {});
    auto page = render_comparison_html(comparison, base, candidate);
    // 100 equal samples: percentiles 0 to 99 have a sample above them, 99.5 does not.
    std::regex curve(R"re(data-series="latency-0/(base|new)" data-values="([^"]*)")re");
    int curves = 0;
    for (std::sregex_iterator it(page.begin(), page.end(), curve), end; it != end; ++it) {
        auto values = (*it)[2].str();
        EXPECT_EQ(std::count(values.begin(), values.end(), ' ') + 1, 14) << values;
        ++curves;
    }
    EXPECT_EQ(curves, 2);
    EXPECT_TRUE(mentions(page, R"(data-series="latency-0/new" data-values="0.0,3.1 10.0,3.1 )"))
        << page;
    EXPECT_TRUE(mentions(
        page, R"(data-series="throughput-0/base" data-values="1.0,901.0 2.0,902.0 3.0,903.0")"));
    EXPECT_TRUE(
        mentions(page, R"(data-series="p99-0/new" data-values="1.0,1.5 2.0,null 3.0,1.5")"));
    EXPECT_TRUE(mentions(
        page, R"(data-series="throughput-0/new" data-values="1.0,901.0 2.0,0.0 3.0,903.0")"));
    EXPECT_TRUE(mentions(page, ">REGRESSED<"));
    EXPECT_TRUE(mentions(page, ">base</text>") && mentions(page, ">new</text>"));
    EXPECT_FALSE(std::regex_search(page, std::regex(R"((src|href)\s*=\s*"https?:)")));
}
