#include "reports/aggregate.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>

#include "harness/measure/histogram.hpp"

namespace {

using nlohmann::json;
using sh::measure::Histogram;

json histogram_of(std::initializer_list<std::uint64_t> values_us) {
    auto histogram = std::make_unique<Histogram>();
    for (auto value : values_us) histogram->record(value);
    return histogram->to_json();
}

json run_report(const std::string& id, double ok_per_s, double p99_ms, std::uint64_t lost,
                std::initializer_list<std::uint64_t> latencies_us, double recovery_ms) {
    bool passed = lost == 0;
    return {
        {"schema_version", 1},
        {"tool", {{"name", "streamharness"}}},
        {"run_id", id},
        {"started_at", "t"},
        {"workload", {{"name", "orders"}}},
        {"environment", json::object()},
        {"summary",
         {{"produced", {{"ok", 1000}, {"failed", 0}, {"ok_per_s", ok_per_s}, {"producing_s", 2.0}}},
          {"bottleneck", {{"redis_cpu_busy", ok_per_s / 10000}}},
          {"groups",
           {{"score",
             {{"applied_per_s", ok_per_s},
              {"latency", {{"end_to_end", {{"p50_ms", 0.5}, {"p99_ms", p99_ms}}}}}}}}}}},
        {"verification",
         {{"score",
           {{"group", "score"},
            {"applied", 1000 - lost},
            {"lost", lost},
            {"lost_sample", json::array({lost})},
            {"points", {{"checked", true}, {"expected", 10}, {"consistent", passed}}}}}}},
        {"gates",
         {{{"gate", "max_lost"},
           {"group", "score"},
           {"actual", lost},
           {"limit", 0},
           {"passed", passed}},
          {{"gate", "drained"}, {"actual", 1}, {"limit", 1}, {"passed", true}}}},
        {"events", {{{"kind", "kill"}, {"recovery_ms", recovery_ms}}}},
        {"chaos",
         {{"summary", {{"faults", {{"kill", 1}}}, {"kills_with_pending", 1}, {"unrecovered", 1}}}}},
        {"histograms",
         {{"xadd", histogram_of({100})},
          {"groups",
           {{"score",
             {{"first_delivery", histogram_of(latencies_us)}, {"recovered", histogram_of({})}}}}}}},
        {"verdict", passed ? "pass" : "fail"}};
}

class AggregateTest : public ::testing::Test {
  protected:
    json aggregate =
        sh::reports::aggregate_reports({run_report("r-1", 1000, 2.0, 0, {100, 200}, 40),
                                        run_report("r-2", 3000, 9.0, 4, {300}, 60),
                                        run_report("r-3", 2000, 5.0, 0, {400, 500, 600}, 50)},
                                       {"a/report.json", "b/report.json", "c/report.json"}, "r-x3");
};

TEST_F(AggregateTest, ThroughputIsTheMeanAndCountsAddUp) {
    EXPECT_EQ(aggregate["run_id"], "r-x3");
    EXPECT_EQ(aggregate["kind"], "aggregate");
    EXPECT_DOUBLE_EQ(aggregate["summary"]["produced"]["ok_per_s"].get<double>(), 2000);
    EXPECT_EQ(aggregate["summary"]["produced"]["ok"], 3000);
    EXPECT_DOUBLE_EQ(aggregate["summary"]["groups"]["score"]["applied_per_s"].get<double>(), 2000);
    EXPECT_DOUBLE_EQ(aggregate["summary"]["bottleneck"]["redis_cpu_busy"].get<double>(), 0.2);
    EXPECT_EQ(aggregate["verification"]["score"]["lost"], 4);
    EXPECT_EQ(aggregate["verification"]["score"]["applied"], 2996);
    EXPECT_EQ(aggregate["verification"]["score"]["points"]["expected"], 30);
    EXPECT_FALSE(aggregate["verification"]["score"]["points"]["consistent"]);
}

TEST_F(AggregateTest, LatencyComesFromTheMergedHistograms) {
    auto merged = std::make_unique<Histogram>();
    merged->merge_json(aggregate["histograms"]["groups"]["score"]["first_delivery"]);
    EXPECT_EQ(merged->count(), 6u);
    EXPECT_EQ(merged->max(), 600u);
    EXPECT_EQ(aggregate["summary"]["groups"]["score"]["latency"]["end_to_end"]["count"], 6);
    auto xadd = std::make_unique<Histogram>();
    xadd->merge_json(aggregate["histograms"]["xadd"]);
    EXPECT_EQ(xadd->count(), 3u);
}

TEST_F(AggregateTest, EachGateIsTakenFromItsWorstRunAndOneFailureFailsTheAggregate) {
    EXPECT_EQ(aggregate["verdict"], "fail");
    ASSERT_EQ(aggregate["gates"].size(), 2u);
    EXPECT_EQ(aggregate["gates"][0]["gate"], "max_lost");
    EXPECT_EQ(aggregate["gates"][0]["actual"], 4);
    EXPECT_FALSE(aggregate["gates"][0]["passed"]);
}

TEST_F(AggregateTest, ListsEveryRunAndTheBestAndWorstPerMetric) {
    const auto& repeat = aggregate["repeat"];
    EXPECT_EQ(repeat["count"], 3);
    ASSERT_EQ(repeat["runs"].size(), 3u);
    EXPECT_EQ(repeat["runs"][1]["report"], "b/report.json");
    EXPECT_EQ(repeat["runs"][1]["verdict"], "fail");
    const auto& throughput = repeat["extremes"]["ok_per_s"];
    EXPECT_EQ(throughput["best"], 3000.0);
    EXPECT_EQ(throughput["best_run"], "r-2");
    EXPECT_EQ(throughput["worst_run"], "r-1");
    const auto& p99 = repeat["extremes"]["groups"]["score"]["p99_ms"];
    EXPECT_EQ(p99["best"], 2.0);
    EXPECT_EQ(p99["worst"], 9.0);
    EXPECT_EQ(p99["worst_run"], "r-2");
}

TEST_F(AggregateTest, RecoveryTimesArePooledOverRuns) {
    const auto& chaos = aggregate["chaos"]["summary"];
    EXPECT_EQ(chaos["faults"]["kill"], 3);
    EXPECT_EQ(chaos["recovered"], 3);
    EXPECT_EQ(chaos["recovery_ms"]["p50"], 50.0);
    EXPECT_EQ(chaos["recovery_ms"]["max"], 60.0);
}

TEST_F(AggregateTest, UnrecoveredFaultsAddUp) {
    EXPECT_EQ(aggregate["chaos"]["summary"]["unrecovered"], 3);
}

TEST_F(AggregateTest, WithoutMaxRateRunsThereIsNoMaxRate) {
    EXPECT_TRUE(aggregate["summary"]["max_rate"].is_null());
    EXPECT_FALSE(aggregate["repeat"]["runs"][0].contains("sustained_orders_per_s"));
    EXPECT_TRUE(aggregate["repeat"]["extremes"]["sustained_orders_per_s"].is_null());
}

TEST(Aggregate, MapsOfCountsAddUpKeyByKeyAndSamplesComeFromTheFirstRunWithOne) {
    auto one = run_report("r-1", 1000, 2.0, 0, {100}, 40);
    auto two = run_report("r-2", 1000, 2.0, 1, {100}, 40);
    auto& first = one["verification"]["score"];
    auto& second = two["verification"]["score"];
    first["dead_letter_reasons"] = {{"poison", 1}};
    second["dead_letter_reasons"] = {{"poison", 2}, {"transient", 3}};
    first["shares"] = {{"score-1", 600}, {"score-2", 400}};
    second["shares"] = {{"score-1", 500}, {"score-3", 499}};
    first["lost_sample"] = json::array();
    second["lost_sample"] = {"7-0"};
    first["lost_by_restart"] = json::array();
    second["lost_by_restart"] = {1};
    auto aggregate = sh::reports::aggregate_reports({one, two}, {"a", "b"}, "r-x2");
    const auto& verdict = aggregate["verification"]["score"];
    EXPECT_EQ(verdict["dead_letter_reasons"], json({{"poison", 3}, {"transient", 3}}));
    EXPECT_EQ(verdict["shares"], json({{"score-1", 1100}, {"score-2", 400}, {"score-3", 499}}));
    EXPECT_EQ(verdict["lost_sample"], json({"7-0"}));
    EXPECT_EQ(verdict["lost_by_restart"], json({1}));
    EXPECT_EQ(verdict["group"], "score");
}

TEST(Aggregate, SignedCountsStayIntegersAndOnlyFloatsAddUpAsDoubles) {
    auto one = run_report("r-1", 1000, 2.0, 0, {100}, 40);
    auto two = run_report("r-2", 1000, 2.0, 0, {100}, 40);
    for (auto* report : {&one, &two}) {
        (*report)["verification"]["score"]["pending_left"] = std::int64_t{0};
        (*report)["verification"]["score"]["ratio"] = 0.25;
    }
    one["verification"]["score"]["lag_left"] = std::int64_t{-2};
    two["verification"]["score"]["lag_left"] = std::uint64_t{5};
    auto aggregate = sh::reports::aggregate_reports({one, two}, {"a", "b"}, "r-x2");
    const auto& verdict = aggregate["verification"]["score"];
    EXPECT_TRUE(verdict["pending_left"].is_number_integer());
    EXPECT_EQ(verdict["pending_left"].dump(), "0");
    EXPECT_TRUE(verdict["lag_left"].is_number_integer());
    EXPECT_EQ(verdict["lag_left"].get<std::int64_t>(), 3);
    EXPECT_TRUE(verdict["lost"].is_number_unsigned());
    EXPECT_TRUE(verdict["ratio"].is_number_float());
    EXPECT_DOUBLE_EQ(verdict["ratio"].get<double>(), 0.5);
}

TEST(Aggregate, MaxRateRunsKeepTheMeanSustainedRateAndItsExtremes) {
    auto one = run_report("r-1", 1000, 2.0, 0, {100}, 40);
    auto two = run_report("r-2", 3000, 2.0, 0, {100}, 40);
    one["summary"]["max_rate"] = {{"sustained_orders_per_s", 4000.0}, {"final_rate", 4100.0}};
    two["summary"]["max_rate"] = {{"sustained_orders_per_s", 6000.0}, {"final_rate", 6100.0}};
    auto aggregate = sh::reports::aggregate_reports({one, two}, {"a", "b"}, "r-x2");
    const auto& max_rate = aggregate["summary"]["max_rate"];
    ASSERT_TRUE(max_rate.is_object());
    EXPECT_DOUBLE_EQ(max_rate["sustained_orders_per_s"].get<double>(), 5000);
    EXPECT_DOUBLE_EQ(max_rate["final_rate"].get<double>(), 5100);
    EXPECT_EQ(aggregate["repeat"]["runs"][0]["sustained_orders_per_s"], 4000.0);
    EXPECT_EQ(aggregate["repeat"]["runs"][1]["sustained_orders_per_s"], 6000.0);
    const auto& extremes = aggregate["repeat"]["extremes"]["sustained_orders_per_s"];
    EXPECT_EQ(extremes["best"], 6000.0);
    EXPECT_EQ(extremes["best_run"], "r-2");
    EXPECT_EQ(extremes["worst_run"], "r-1");
}

TEST(Aggregate, WhatNoRunMeasuredIsNullAndMeansAreOverTheRunsThatDid) {
    auto one = run_report("r-1", 1000, 2.0, 0, {100}, 40);
    auto two = run_report("r-2", 3000, 2.0, 0, {100}, 40);
    for (auto* report : {&one, &two}) (*report)["summary"]["bottleneck"] = {{"steady_rows", 0}};
    auto unmeasured = sh::reports::aggregate_reports({one, two}, {"a", "b"}, "r-x2");
    EXPECT_TRUE(unmeasured["summary"]["bottleneck"]["redis_cpu_busy"].is_null());
    EXPECT_TRUE(unmeasured["summary"]["bottleneck"]["harness_cpu_cores"].is_null());
    two["summary"]["bottleneck"] = {{"redis_cpu_busy", 0.4}, {"harness_cpu_cores", 1.5}};
    auto measured_once = sh::reports::aggregate_reports({one, two}, {"a", "b"}, "r-x2");
    const auto& bottleneck = measured_once["summary"]["bottleneck"];
    EXPECT_DOUBLE_EQ(bottleneck["redis_cpu_busy"].get<double>(), 0.4);
    EXPECT_DOUBLE_EQ(bottleneck["harness_cpu_cores"].get<double>(), 1.5);
}

TEST(Aggregate, RejectsNoReports) {
    EXPECT_THROW(sh::reports::aggregate_reports({}, {}, "x"), std::invalid_argument);
}

}  // namespace
