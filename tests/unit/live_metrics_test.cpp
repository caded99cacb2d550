// The live metrics' exposition text: valid for a Prometheus scraper, counters that only grow
// (across counters restarting from zero and across the runs of one command), gauges of the
// current run only, and a renderer that can read while the sampler writes.
#include "harness/run/live_metrics.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <thread>

#include "harness/run/prometheus_text.hpp"
#include "tests/support/scrape.hpp"

using sh::run::LiveFeed;
using sh::run::LiveGroupReading;
using sh::run::LiveMetrics;
using sh::run::LiveReading;
using sh::testing::parse_exposition;

namespace {

LiveReading reading(std::uint64_t produced, std::uint64_t applied, std::int64_t lag) {
    LiveReading r;
    r.phase = "load";
    r.elapsed_s = 1;
    r.produced_added = produced;
    r.redis_cpu_s_added = 0.25;
    r.faults_added["kill"] = 1;
    LiveGroupReading group;
    group.name = "score";
    group.applied_added = applied;
    group.lag = lag;
    group.pending = 3;
    group.second_p50_s = 0.002;
    group.second_p99_s = 0.010;
    group.run_latency.count = applied;
    group.run_latency.p50_us = 1500;
    group.run_latency.p99_us = 9000;
    group.run_latency.max_us = 20000;
    r.groups.push_back(group);
    r.stream_length = 42;
    return r;
}

sh::testing::Exposition valid(const LiveMetrics& live) {
    auto exposition = parse_exposition(live.render());
    EXPECT_TRUE(exposition.problems.empty()) << exposition.problems.front() << "\n"
                                             << live.render();
    return exposition;
}

}  // namespace

TEST(ExpositionText, WritesFamiliesSamplesEscapedLabelsAndEveryKindOfValue) {
    sh::run::ExpositionText out;
    out.family("a_total", "counter", "Help with a \\ and a\nnewline");
    out.sample("a_total", {{"k", "quote \" back \\ line\n"}, {"j", "x"}}, 3);
    out.family("b", "gauge", "B.");
    out.sample("b", {}, 0.25);
    out.sample("b", {{"v", "nan"}}, std::nan(""));
    out.sample("b", {{"v", "inf"}}, HUGE_VAL);
    EXPECT_EQ(out.text(),
              "# HELP a_total Help with a \\\\ and a\\nnewline\n"
              "# TYPE a_total counter\n"
              "a_total{k=\"quote \\\" back \\\\ line\\n\",j=\"x\"} 3\n"
              "# HELP b B.\n"
              "# TYPE b gauge\n"
              "b 0.25\n"
              "b{v=\"nan\"} NaN\n"
              "b{v=\"inf\"} +Inf\n");
    EXPECT_TRUE(parse_exposition(out.text()).problems.empty());
    EXPECT_EQ(sh::run::format_metric_value(12345678901.0), "12345678901");
    EXPECT_EQ(sh::run::format_metric_value(-HUGE_VAL), "-Inf");
}

TEST(LiveMetrics, BeforeAnyRowItShowsTheRunAndZeroCounters) {
    LiveMetrics live;
    live.begin_run("r1");
    auto exposition = valid(live);
    EXPECT_EQ(exposition.samples.at("streamharness_run_info{run_id=\"r1\",phase=\"set-up\"}"), 1);
    EXPECT_EQ(exposition.samples.at("streamharness_produced_orders_total"), 0);
    EXPECT_EQ(exposition.types.at("streamharness_produced_orders_total"), "counter");
    EXPECT_EQ(exposition.types.at("streamharness_group_lag_entries"), "gauge");
    EXPECT_EQ(exposition.samples.count("streamharness_run_elapsed_seconds"), 0u);
}

TEST(LiveMetrics, RowsAddUpAndGaugesShowTheLatestRow) {
    LiveMetrics live;
    live.begin_run("r1");
    live.record(reading(100, 90, 10));
    live.record(reading(50, 60, 4));
    auto samples = valid(live).samples;
    EXPECT_EQ(samples.at("streamharness_run_info{run_id=\"r1\",phase=\"load\"}"), 1);
    EXPECT_EQ(samples.at("streamharness_produced_orders_total"), 150);
    EXPECT_EQ(samples.at("streamharness_applied_orders_total{group=\"score\"}"), 150);
    EXPECT_EQ(samples.at("streamharness_group_lag_entries{group=\"score\"}"), 4);
    EXPECT_EQ(samples.at("streamharness_group_pending_entries{group=\"score\"}"), 3);
    EXPECT_EQ(samples.at("streamharness_faults_injected_total{kind=\"kill\"}"), 2);
    EXPECT_DOUBLE_EQ(samples.at("streamharness_redis_cpu_seconds_total"), 0.5);
    EXPECT_EQ(samples.at("streamharness_stream_length_entries"), 42);
    EXPECT_DOUBLE_EQ(samples.at("streamharness_end_to_end_latency_seconds{group=\"score\","
                                "window=\"second\",quantile=\"0.99\"}"),
                     0.010);
    EXPECT_DOUBLE_EQ(samples.at("streamharness_end_to_end_latency_seconds{group=\"score\","
                                "window=\"run\",quantile=\"0.5\"}"),
                     0.0015);
    EXPECT_DOUBLE_EQ(samples.at("streamharness_end_to_end_latency_seconds{group=\"score\","
                                "window=\"run\",quantile=\"1\"}"),
                     0.020);
}

TEST(LiveMetrics, ASecondWithoutDeliveriesHasNoSecondQuantiles) {
    LiveMetrics live;
    auto idle = reading(0, 0, 0);
    idle.groups[0].second_p50_s.reset();
    idle.groups[0].second_p99_s.reset();
    idle.groups[0].run_latency.count = 5;
    live.record(idle);
    auto samples = valid(live).samples;
    EXPECT_TRUE(std::isnan(
        samples.at("streamharness_end_to_end_latency_seconds{group=\"score\",window=\"second\","
                   "quantile=\"0.5\"}")));
}

TEST(LiveMetrics, CountersCarryOverToTheNextRunAndGaugesStartAfresh) {
    LiveMetrics live;
    live.begin_run("search-s1");
    live.record(reading(100, 100, 7));
    live.begin_run("search-s2");
    auto between = valid(live).samples;
    EXPECT_EQ(between.at("streamharness_produced_orders_total"), 100);
    EXPECT_EQ(between.at("streamharness_applied_orders_total{group=\"score\"}"), 100);
    EXPECT_EQ(between.count("streamharness_group_lag_entries{group=\"score\"}"), 0u);
    EXPECT_EQ(between.count("streamharness_stream_length_entries"), 0u);
    live.record(reading(30, 20, 1));
    auto after = valid(live).samples;
    EXPECT_EQ(after.at("streamharness_run_info{run_id=\"search-s2\",phase=\"load\"}"), 1);
    EXPECT_EQ(after.at("streamharness_produced_orders_total"), 130);
    EXPECT_EQ(after.at("streamharness_applied_orders_total{group=\"score\"}"), 120);
    EXPECT_EQ(after.at("streamharness_group_lag_entries{group=\"score\"}"), 1);
}

TEST(LiveMetrics, ARunScopeEndsFinishedOrInError) {
    LiveMetrics live;
    { sh::run::LiveRunScope scope(&live, "ok-run"); }
    EXPECT_EQ(
        valid(live).samples.count("streamharness_run_info{run_id=\"ok-run\",phase=\"finished\"}"),
        1u);
    try {
        sh::run::LiveRunScope scope(&live, "bad-run");
        throw std::runtime_error("Redis went away");
    } catch (const std::runtime_error&) {
    }
    EXPECT_EQ(
        valid(live).samples.count("streamharness_run_info{run_id=\"bad-run\",phase=\"error\"}"),
        1u);
    sh::run::LiveRunScope without(nullptr, "nothing to feed");  // no live metrics: no-op
}

TEST(LiveFeed, AReadingBelowTheLastIsACounterThatStartedAgain) {
    LiveMetrics live;
    LiveFeed feed(&live, {"score"});
    std::vector<std::unique_ptr<sh::measure::Histogram>> latency;
    latency.push_back(std::make_unique<sh::measure::Histogram>());
    latency[0]->record(1000);
    sh::produce::ProducerTotals producers;
    sh::run::RunResult result;
    result.phase = "load";
    sh::run::TimelineRow row;
    row.groups.resize(1);
    sh::run::SampleTotals last, now;
    last.applied = {0};
    now.produced = 100;
    now.applied = {80};
    now.redis_cpu_s = 2;  // a server that had run before: its first reading is the baseline
    last.redis_cpu_s = 1.5;
    producers.failed = 2;
    result.events.push_back({0.5, "kill", "score-1", "", {}});
    result.events.push_back({0.6, "worker-exit", "score-1", "", {}});
    result.events.push_back({0.7, "pause", "score-2", "", {}});
    result.events.back().facts.skipped = "no target";
    feed.record(row, last, now, latency, producers, result);
    // The next second: an external ledger recreated (80 -> 30), Redis restarted (2 s -> 0.1 s).
    last = std::move(now);
    now = {};
    now.produced = 160;
    now.applied = {30};
    now.redis_cpu_s = 0.1;
    producers.failed = 5;
    feed.record(row, last, now, latency, producers, result);
    auto samples = valid(live).samples;
    EXPECT_EQ(samples.at("streamharness_produced_orders_total"), 160);
    EXPECT_EQ(samples.at("streamharness_applied_orders_total{group=\"score\"}"), 110);
    EXPECT_DOUBLE_EQ(samples.at("streamharness_redis_cpu_seconds_total"), 0.6);
    EXPECT_EQ(samples.at("streamharness_produce_failed_orders_total"), 5);
    EXPECT_EQ(samples.at("streamharness_faults_injected_total{kind=\"kill\"}"), 1);
    EXPECT_EQ(samples.count("streamharness_faults_injected_total{kind=\"pause\"}"), 0u);
}

TEST(LiveMetrics, RendersWhileRowsAreRecorded) {
    LiveMetrics live;
    live.begin_run("r1");
    std::thread writer([&] {
        for (int i = 0; i < 2000; ++i) live.record(reading(1, 1, i));
    });
    double last_produced = 0;
    for (int i = 0; i < 200; ++i) {
        auto produced = valid(live).samples.at("streamharness_produced_orders_total");
        EXPECT_GE(produced, last_produced);
        last_produced = produced;
    }
    writer.join();
    EXPECT_EQ(valid(live).samples.at("streamharness_produced_orders_total"), 2000);
}
