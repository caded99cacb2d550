// Regression comparison of two reports built here: which rows regress, the latency noise floor,
// comparability, missing data, tolerance parsing and the rendered table.
#include "reports/compare.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "harness/errors.hpp"
#include "tests/unit/compare_reports.hpp"

using nlohmann::json;
using sh::WorkloadError;
using sh::reports::compare_reports;
using sh::reports::CompareTolerances;
using sh::reports::load_tolerances;
using sh::reports::parse_tolerance;
using sh::reports::render_comparison;
using sh::testing::histogram_of;
using sh::testing::mentions;
using sh::testing::report;
using sh::testing::row_of;
using sh::testing::set_latency;

namespace {

std::vector<std::string> problems_of(const std::function<void()>& action) {
    try {
        action();
    } catch (const WorkloadError& error) {
        return error.problems();
    }
    return {};
}

std::string temp_file(const std::string& name, const std::string& content) {
    auto path = std::filesystem::temp_directory_path() /
                ("streamharness-compare-" + std::to_string(getpid()) + "-" + name);
    std::ofstream(path) << content;
    return path.string();
}

}  // namespace

TEST(CompareReports, ReportComparedWithItselfPassesWithEveryChangeZero) {
    auto base = report("r1");
    auto comparison = compare_reports(base, base, {});
    EXPECT_FALSE(comparison["regressed"].get<bool>());
    EXPECT_TRUE(comparison["regressions"].empty());
    EXPECT_TRUE(comparison["workload_differences"].empty());
    for (const auto& row : comparison["rows"]) {
        if (row["metric"] != "verdict") {
            EXPECT_EQ(row["change"], 0.0) << row.dump();
        }
        EXPECT_TRUE(row["status"] == "ok" || row["status"] == "info") << row.dump();
    }
    EXPECT_EQ(row_of(comparison, "p99_ms", "score")["base"], 0.52);
    EXPECT_EQ(comparison["base"]["run_id"], "r1");
    EXPECT_TRUE(mentions(render_comparison(comparison), "no regression"));
}

TEST(CompareReports, P99RiseBeyondToleranceRegressesNamingMetricAndGroup) {
    auto candidate = report("r2");
    set_latency(candidate, "score", 3100);
    auto comparison = compare_reports(report("r1"), candidate, {});
    EXPECT_TRUE(comparison["regressed"].get<bool>());
    const auto& p99 = row_of(comparison, "p99_ms", "score");
    EXPECT_EQ(p99["status"], "regressed");
    EXPECT_NEAR(p99["change"].get<double>(), 3.10 / 0.52 - 1, 1e-9);
    EXPECT_EQ(p99["limit"], 0.10);
    EXPECT_EQ(row_of(comparison, "p50_ms", "score")["status"], "info") << "p50 is not gated";
    EXPECT_EQ(row_of(comparison, "p99_ms", "push")["status"], "ok");
    ASSERT_EQ(comparison["regressions"].size(), 1u) << comparison["regressions"].dump();
    EXPECT_EQ(comparison["regressions"][0], "p99_ms [score]: 0.52 → 3.10 ms (+496 %, limit +10 %)");
}

TEST(CompareReports, ThroughputDropBeyondToleranceRegressesAndASmallOneDoesNot) {
    auto candidate = report("r2");
    candidate["summary"]["produced"]["ok_per_s"] = 900.0;
    candidate["summary"]["groups"]["score"]["applied_per_s"] = 970.0;
    auto comparison = compare_reports(report("r1"), candidate, {});
    const auto& produced = row_of(comparison, "produced_per_s", nullptr);
    EXPECT_EQ(produced["status"], "regressed");
    EXPECT_EQ(produced["limit"], -0.05);
    EXPECT_EQ(row_of(comparison, "applied_per_s", "score")["status"], "ok") << "-3 % is within 5 %";
    EXPECT_EQ(comparison["regressions"][0],
              "produced_per_s: 1000.0 → 900.0 /s (-10 %, limit -5 %)");
}

TEST(CompareReports, SubMillisecondLatencyNoiseUnderTheFloorDoesNotRegress) {
    auto noisy = report("r2", 460);  // 0.40 → 0.46 ms: +15 %, but only 0.06 ms
    auto comparison = compare_reports(report("r1", 400), noisy, {});
    EXPECT_EQ(row_of(comparison, "p99_ms", "score")["status"], "ok");
    EXPECT_FALSE(comparison["regressed"].get<bool>());

    CompareTolerances no_floor;
    no_floor.min_latency_delta_ms = 0;
    EXPECT_TRUE(compare_reports(report("r1", 400), noisy, no_floor)["regressed"].get<bool>());

    auto slower = report("r3", 600);  // +50 % and 0.2 ms: beyond both
    EXPECT_EQ(row_of(compare_reports(report("r1", 400), slower, {}), "p99_ms", "score")["status"],
              "regressed");
}

TEST(CompareReports, LatencyFallBeyondToleranceAndFloorIsMarkedImproved) {
    auto comparison = compare_reports(report("r1", 3000), report("r2", 1000), {});
    EXPECT_EQ(row_of(comparison, "p99_ms", "score")["status"], "improved");
    EXPECT_FALSE(comparison["regressed"].get<bool>());
}

TEST(CompareReports, PercentilesComeFromMergedHistogramsNotFromSummaries) {
    auto base = report("r1");
    // 90 first deliveries at 0.5 ms and 10 recovered ones at 50 ms: p99 is 50 ms only when the
    // two histograms are merged; the summary's figure is deliberately wrong.
    base["histograms"]["groups"]["score"] = {{"first_delivery", histogram_of(500, 90)},
                                             {"recovered", histogram_of(50'000, 10)}};
    base["summary"]["groups"]["score"]["latency"] = {{"end_to_end", {{"p99_ms", 1.0}}}};
    auto comparison = compare_reports(base, base, {});
    EXPECT_EQ(row_of(comparison, "p50_ms", "score")["base"], 0.5);
    EXPECT_EQ(row_of(comparison, "p99_ms", "score")["base"], 50.0);
    EXPECT_EQ(row_of(comparison, "recovered_p99_ms", "score")["base"], 50.0);
    EXPECT_EQ(row_of(comparison, "xadd_p99_ms", nullptr)["base"], 0.15);
}

TEST(CompareReports, DifferentWorkloadNamesAreRefusedUnlessAllowed) {
    auto other = report("r2");
    other["workload"]["name"] = "orders";
    auto problems = problems_of([&] { compare_reports(report("r1"), other, {}); });
    ASSERT_EQ(problems.size(), 1u);
    EXPECT_EQ(problems[0],
              "different workloads (smoke vs orders); pass --allow-different-workloads");

    CompareTolerances allowed;
    allowed.allow_different_workloads = true;
    auto comparison = compare_reports(report("r1"), other, allowed);
    EXPECT_EQ(comparison["workload_differences"], json::array({"name"}));
}

TEST(CompareReports, SameWorkloadWithDifferentFieldsListsTheirDottedPaths) {
    auto candidate = report("r2");
    candidate["workload"]["groups"][0]["service_time"]["mean_us"] = 2000;
    candidate["workload"]["duration_s"] = 5;
    auto comparison = compare_reports(report("r1"), candidate, {});
    EXPECT_EQ(comparison["workload_differences"],
              json::array({"duration_s", "groups.0.service_time.mean_us"}));
    EXPECT_TRUE(mentions(render_comparison(comparison),
                         "workload differs at: duration_s, groups.0.service_time.mean_us\n"));
}

TEST(CompareReports, GroupInOnlyOneReportGivesMissingRowsNotACrash) {
    auto candidate = report("r2");
    candidate["workload"]["groups"].erase(1);
    for (auto* section : {&candidate["summary"]["groups"], &candidate["verification"],
                          &candidate["histograms"]["groups"]}) {
        section->erase("push");
    }
    auto comparison = compare_reports(report("r1"), candidate, {});
    for (const auto* metric : {"applied_per_s", "p99_ms", "lost"}) {
        const auto& row = row_of(comparison, metric, "push");
        EXPECT_EQ(row["status"], "n/a") << metric;
        EXPECT_TRUE(row["candidate"].is_null()) << metric;
    }
    EXPECT_FALSE(comparison["regressed"].get<bool>());
    EXPECT_TRUE(mentions(render_comparison(comparison), "missing"));
}

TEST(CompareReports, MissingBottleneckOfAShortRunMakesTheCpuRowNotApplicable) {
    auto candidate = report("r2");
    candidate["summary"]["bottleneck"] = {{"steady_rows", 0},
                                          {"saturated", "unknown (run too short)"}};
    CompareTolerances gated;
    gated.max_redis_cpu_rise = 0.10;
    auto comparison = compare_reports(report("r1"), candidate, gated);
    EXPECT_EQ(row_of(comparison, "redis_cpu_busy", nullptr)["status"], "n/a");
    EXPECT_FALSE(comparison["regressed"].get<bool>());
}

TEST(CompareReports, RedisCpuRiseIsGatedOnlyWhenAskedFor) {
    auto candidate = report("r2");
    candidate["summary"]["bottleneck"]["redis_cpu_busy"] = 0.4;
    EXPECT_EQ(
        row_of(compare_reports(report("r1"), candidate, {}), "redis_cpu_busy", nullptr)["status"],
        "info");
    CompareTolerances gated;
    gated.max_redis_cpu_rise = 0.5;
    EXPECT_EQ(row_of(compare_reports(report("r1"), candidate, gated), "redis_cpu_busy",
                     nullptr)["status"],
              "regressed");
}

TEST(CompareReports, CandidateFailingWhereBasePassedRegressesOnTheVerdictRow) {
    auto candidate = report("r2");
    candidate["verdict"] = "fail";
    candidate["verification"]["score"]["lost"] = 3;
    auto comparison = compare_reports(report("r1"), candidate, {});
    EXPECT_EQ(row_of(comparison, "verdict", nullptr)["status"], "regressed");
    EXPECT_EQ(row_of(comparison, "lost", "score")["candidate"], 3);
    EXPECT_EQ(row_of(comparison, "lost", "score")["status"], "info");
    EXPECT_EQ(comparison["regressions"], json::array({"verdict: pass → fail"}));
    EXPECT_EQ(row_of(compare_reports(candidate, report("r1"), {}), "verdict", nullptr)["status"],
              "improved");
}

TEST(CompareReports, RecoveryRowsAppearWithChaosAndAreGatedWhenBothReportsHaveThem) {
    EXPECT_THROW(
        row_of(compare_reports(report("r1"), report("r2"), {}), "recovery_p50_ms", nullptr),
        std::runtime_error);
    auto base = report("r1");
    base["chaos"]["summary"]["recovery_ms"] = {{"p50", 300.0}, {"max", 600.0}};
    auto candidate = report("r2");
    candidate["chaos"]["summary"]["recovery_ms"] = {{"p50", 310.0}, {"max", 900.0}};
    CompareTolerances gated;
    gated.max_recovery_rise = 0.20;
    auto comparison = compare_reports(base, candidate, gated);
    EXPECT_EQ(row_of(comparison, "recovery_p50_ms", nullptr)["status"], "ok");
    EXPECT_EQ(row_of(comparison, "recovery_max_ms", nullptr)["status"], "regressed");
    EXPECT_EQ(
        row_of(compare_reports(base, report("r2"), gated), "recovery_max_ms", nullptr)["status"],
        "n/a");
}

TEST(CompareReports, AggregateWithARepeatObjectComparesLikeASingleRun) {
    auto aggregate = report("r2");
    aggregate["repeat"] = {{"count", 3}, {"runs", json::array()}};
    set_latency(aggregate, "score", 3100);
    auto comparison = compare_reports(report("r1"), aggregate, {});
    EXPECT_EQ(row_of(comparison, "p99_ms", "score")["status"], "regressed");
    EXPECT_TRUE(comparison["workload_differences"].empty());
    EXPECT_EQ(comparison["candidate"]["runs"], 3);
    EXPECT_TRUE(mentions(render_comparison(comparison),
                         "new:  r2 (smoke, verdict pass, aggregate of 3 runs)\n"));
}

TEST(CompareReports, SomethingElseThanAReportIsRefusedNamingTheField) {
    auto candidate = report("r2");
    candidate.erase("histograms");
    auto problems = problems_of([&] { compare_reports(report("r1"), candidate, {}); });
    EXPECT_EQ(problems, std::vector<std::string>{
                            "candidate report: histograms missing (not a streamharness report)"});
    problems = problems_of([&] { compare_reports(json::array(), report("r1"), {}); });
    EXPECT_EQ(problems, std::vector<std::string>{"base report: not a JSON object"});
}

// Found by tests/fuzz/report_fuzz: a kind, verdict or error message of another type threw
// nlohmann's type_error ("internal error") instead of reading as absent.
TEST(CompareReports, FieldsOfAnotherTypeReadAsAbsent) {
    auto base = report("r1");
    base["kind"] = nullptr;
    base["verdict"] = 5;
    EXPECT_NO_THROW(compare_reports(base, report("r2"), {}));
    auto failed = report("r2");
    failed["verdict"] = "error";
    failed["error"] = {{"message", 3}};
    auto problems = problems_of([&] { compare_reports(report("r1"), failed, {}); });
    ASSERT_EQ(problems.size(), 1u);
    EXPECT_TRUE(mentions(problems[0], "candidate report: the run ended in an error ()"))
        << problems[0];
}

// Found while fuzzing the report readers: `streamharness compare` of reports whose workloads
// nest 100,000 levels deep overflowed the stack (SIGSEGV) listing their differences.
TEST(CompareReports, DocumentNestedDeeperThanAnyReportIsRefused) {
    auto candidate = report("r2");
    candidate["workload"]["groups"] =
        json::parse(std::string(100000, '[') + std::string(100000, ']'));
    auto problems = problems_of([&] { compare_reports(candidate, candidate, {}); });
    ASSERT_EQ(problems.size(), 1u);
    EXPECT_TRUE(mentions(problems[0], "base report: nested more than 32 levels deep"))
        << problems[0];
}

TEST(CompareReports, MalformedHistogramIsRefusedNamingItsPath) {
    auto candidate = report("r2");
    candidate["histograms"]["groups"]["score"]["recovered"]["sub_bucket_bits"] = 7;
    auto problems = problems_of([&] { compare_reports(report("r1"), candidate, {}); });
    ASSERT_EQ(problems.size(), 1u);
    EXPECT_TRUE(mentions(problems[0], "candidate report: histograms.groups.score.recovered: "))
        << problems[0];
}

TEST(RenderComparison, PrintsAnAlignedTableThenOneLinePerRegression) {
    auto candidate = report("r2");
    set_latency(candidate, "score", 3100);
    auto comparison = compare_reports(report("r1"), candidate, {});
    comparison["base"]["path"] = "base/report.json";
    auto text = render_comparison(comparison);
    EXPECT_TRUE(mentions(text, "base: r1 (smoke, verdict pass) base/report.json\n")) << text;
    EXPECT_TRUE(mentions(text, "REGRESSED: p99_ms [score]: 0.52 → 3.10 ms (+496 %, limit +10 %)\n"))
        << text;
    EXPECT_FALSE(mentions(text, "no regression"));

    std::istringstream lines(text);
    std::string line;
    while (std::getline(lines, line) && line.rfind("metric", 0) != 0) {
    }
    auto status_column = line.find("status");
    ASSERT_NE(status_column, std::string::npos) << text;
    EXPECT_TRUE(mentions(line, "group") && mentions(line, "base") && mentions(line, "new") &&
                mentions(line, "change") && mentions(line, "limit"));
    int table_rows = 0;
    while (std::getline(lines, line) && line.rfind("(", 0) != 0) {
        ++table_rows;
        EXPECT_EQ(line.find_first_of("oinr", status_column), status_column) << line;
    }
    EXPECT_EQ(table_rows, static_cast<int>(comparison["rows"].size()));
    EXPECT_EQ(line, "(time changes of 0.10 ms or less are noise: never regressed nor improved)");
    std::getline(lines, line);
    EXPECT_EQ(line.rfind("REGRESSED: ", 0), 0u) << line;
}

TEST(ParseTolerance, AcceptsPercentSpacedPercentAndFraction) {
    EXPECT_DOUBLE_EQ(parse_tolerance("5%", "--max-p99-rise"), 0.05);
    EXPECT_DOUBLE_EQ(parse_tolerance("5 %", "--max-p99-rise"), 0.05);
    EXPECT_DOUBLE_EQ(parse_tolerance("0.05", "--max-p99-rise"), 0.05);
    EXPECT_DOUBLE_EQ(parse_tolerance(" 150% ", "--max-p99-rise"), 1.5);
    EXPECT_DOUBLE_EQ(parse_tolerance("0", "--max-p99-rise"), 0.0);
}

TEST(ParseTolerance, RefusesNegativesGarbageAndBareNumbersAboveOneNamingTheFlag) {
    for (const auto* text : {"-5%", "abc", "5%%", "", "%", "5x", "nan", "inf", "10"}) {
        auto problems = problems_of([&] { parse_tolerance(text, "--max-p99-rise"); });
        ASSERT_EQ(problems.size(), 1u) << text;
        EXPECT_EQ(problems[0].rfind("--max-p99-rise: ", 0), 0u) << problems[0];
    }
    EXPECT_TRUE(mentions(problems_of([] { parse_tolerance("-5%", "--x"); })[0], "negative"));
    EXPECT_TRUE(mentions(problems_of([] { parse_tolerance("10", "--x"); })[0], "write 10%"));
}

TEST(LoadTolerances, FileOverridesDefaultsAndNullTurnsAGateOff) {
    auto path = temp_file("tolerances.json", R"({"max_throughput_drop": "3%", "max_p99_rise": null,
        "max_p50_rise": 0.2, "min_latency_delta_ms": 0.5, "allow_different_workloads": true})");
    CompareTolerances defaults;
    defaults.max_recovery_rise = 0.3;
    auto tolerances = load_tolerances(path, defaults);
    EXPECT_DOUBLE_EQ(tolerances.max_throughput_drop.value(), 0.03);
    EXPECT_FALSE(tolerances.max_p99_rise.has_value());
    EXPECT_DOUBLE_EQ(tolerances.max_p50_rise.value(), 0.2);
    EXPECT_DOUBLE_EQ(tolerances.max_recovery_rise.value(), 0.3) << "absent from the file: kept";
    EXPECT_DOUBLE_EQ(tolerances.min_latency_delta_ms, 0.5);
    EXPECT_TRUE(tolerances.allow_different_workloads);
    std::filesystem::remove(path);
}

TEST(LoadTolerances, ComparisonToleranceOutputLoadsBackUnchanged) {
    CompareTolerances tolerances;
    tolerances.max_p50_rise = 0.25;
    auto comparison = compare_reports(report("r1"), report("r1"), tolerances);
    auto path = temp_file("roundtrip.json", comparison["tolerances"].dump());
    auto loaded = load_tolerances(path, {});
    EXPECT_EQ(loaded.max_p50_rise, tolerances.max_p50_rise);
    EXPECT_EQ(loaded.max_p99_rise, tolerances.max_p99_rise);
    EXPECT_EQ(loaded.max_recovery_rise, tolerances.max_recovery_rise);
    std::filesystem::remove(path);
}

TEST(LoadTolerances, UnknownKeysBadValuesAndUnreadableFilesAreErrorsNamingThem) {
    auto path = temp_file("bad.json", R"({"max_p99_rise": "-3%", "max_p95_rise": "5%"})");
    auto problems = problems_of([&] { load_tolerances(path, {}); });
    ASSERT_EQ(problems.size(), 2u);
    EXPECT_EQ(problems[0], path + ": max_p95_rise: unknown key");
    EXPECT_TRUE(mentions(problems[1], path + ": max_p99_rise: -3% is negative")) << problems[1];
    std::filesystem::remove(path);

    EXPECT_EQ(problems_of([] { load_tolerances("/nonexistent/tolerances.json", {}); }),
              std::vector<std::string>{"/nonexistent/tolerances.json: cannot open"});
    auto broken = temp_file("broken.json", "{");
    EXPECT_EQ(problems_of([&] { load_tolerances(broken, {}); }),
              std::vector<std::string>{broken + ": invalid JSON"});
    std::filesystem::remove(broken);
}
