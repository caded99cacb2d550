// What the sampler computes from its readings, without Redis: a row's counts and rates between
// two readings, the bottleneck verdict over the steady phase, and the harness's memory.
#include "harness/run/timeline.hpp"

#include <gtest/gtest.h>

#include <vector>

using sh::run::SampleTotals;
using sh::run::TimelineRow;

namespace {

constexpr std::int64_t second_ns = 1'000'000'000;
constexpr double mib = 1024.0 * 1024.0;

// A load row at t_s with Redis and the harness busy as given.
TimelineRow load_row(double t_s, double redis_cpu, double harness_cpu, double rss_mib = 10,
                     std::uint64_t produced = 1000) {
    TimelineRow row;
    row.t_s = t_s;
    row.span_s = 1;
    row.load = true;
    row.produced = produced;
    row.redis_cpu = redis_cpu;
    row.harness_cpu = harness_cpu;
    row.supervisor_rss_mib = rss_mib;
    row.workers_private_mib = rss_mib / 10;
    return row;
}

}  // namespace

TEST(TimelineRow, CountsAndRatesAreTheDifferenceBetweenTwoReadings) {
    SampleTotals last{10 * second_ns, 5000, {4000, 3000}, 2.0, 3.0, 1.0, 0, 0};
    SampleTotals now{12 * second_ns,
                     9000,
                     {7000, 3500},
                     3.5,
                     3.5,
                     2.0,
                     static_cast<std::int64_t>(20 * mib),
                     static_cast<std::int64_t>(4 * mib)};
    auto row = sh::run::row_between(last, now, 5 * second_ns, true);
    EXPECT_DOUBLE_EQ(row.span_s, 2.0);
    EXPECT_DOUBLE_EQ(row.t_s, 7.0);  // since the run's start
    EXPECT_TRUE(row.load);
    EXPECT_EQ(row.produced, 4000u);
    ASSERT_EQ(row.groups.size(), 2u);
    EXPECT_EQ(row.groups[0].applied, 3000u);
    EXPECT_EQ(row.groups[1].applied, 500u);
    EXPECT_DOUBLE_EQ(row.redis_cpu, 0.75);  // 1.5 CPU seconds over 2 s
    EXPECT_DOUBLE_EQ(row.harness_cpu, 0.25);
    EXPECT_DOUBLE_EQ(row.external_cpu, 0.5);  // counted apart from the harness's
    EXPECT_DOUBLE_EQ(row.supervisor_rss_mib, 20.0);
    EXPECT_DOUBLE_EQ(row.workers_private_mib, 4.0);
}

TEST(TimelineRow, ASpanOfNoTimeStillHasOneThatDividesSafely) {
    SampleTotals reading{second_ns, 10, {1}, 1, 1, 0, 0, 0};
    auto row = sh::run::row_between(reading, reading, 0, false);
    EXPECT_GT(row.span_s, 0);
    EXPECT_EQ(row.produced, 0u);
    EXPECT_DOUBLE_EQ(row.redis_cpu, 0);
    EXPECT_FALSE(row.load);
}

TEST(Bottleneck, RedisBusyAtOrAboveEightyFivePercentIsTheLimit) {
    // Rows ending before 2 s are start-up: they are left out.
    std::vector<TimelineRow> rows{load_row(1, 0.1, 0.1), load_row(1.9, 0.1, 0.1),
                                  load_row(3, 0.9, 0.4), load_row(4, 0.8, 0.4)};
    auto bottleneck = sh::run::bottleneck_of(rows, 2);
    EXPECT_EQ(bottleneck.steady_rows, 2u);
    ASSERT_TRUE(bottleneck.redis_cpu_busy.has_value());
    EXPECT_DOUBLE_EQ(*bottleneck.redis_cpu_busy, 0.85);
    EXPECT_DOUBLE_EQ(*bottleneck.harness_cpu_cores, 0.4);
    EXPECT_EQ(bottleneck.saturated, "redis");
}

TEST(Bottleneck, AHarnessUsingMostOfTheCoresRedisLeavesIsTheLimit) {
    std::vector<TimelineRow> rows{load_row(3, 0.5, 1.3), load_row(4, 0.5, 1.3)};
    auto bottleneck = sh::run::bottleneck_of(rows, 2);
    EXPECT_DOUBLE_EQ(*bottleneck.harness_share_of_remaining_cores, 1.3 / 1.5);
    EXPECT_EQ(bottleneck.saturated, "harness");
    EXPECT_EQ(*bottleneck.host_cores, 2u);
}

TEST(Bottleneck, NeitherWhenTheOfferedLoadIsBelowCapacity) {
    std::vector<TimelineRow> rows{load_row(3, 0.3, 0.3)};
    EXPECT_EQ(sh::run::bottleneck_of(rows, 2).saturated,
              "neither (the offered load is below capacity)");
}

TEST(Bottleneck, DrainRowsAndARunTooShortHaveNoVerdict) {
    auto drain = load_row(5, 1.0, 1.0);
    drain.load = false;
    std::vector<TimelineRow> rows{load_row(1, 0.9, 0.1), drain};
    auto bottleneck = sh::run::bottleneck_of(rows, 2);
    EXPECT_EQ(bottleneck.steady_rows, 0u);
    EXPECT_FALSE(bottleneck.redis_cpu_busy.has_value());
    EXPECT_EQ(bottleneck.saturated, "unknown (run too short)");
}

TEST(HarnessMemory, GrowthIsMeasuredFromTheEndOfWarmUpPerOrderAndPerSecond) {
    // 40 s of load: warm-up ends at a tenth of it (4 s), later than the steady phase's 2 s.
    std::vector<TimelineRow> rows;
    for (int t = 1; t <= 40; ++t) rows.push_back(load_row(t, 0.5, 0.5, 10 + (t >= 4 ? t - 4 : 0)));
    auto memory = sh::run::memory_of(rows);
    ASSERT_FALSE(memory.too_short);
    EXPECT_EQ(memory.steady_rows, 37u);  // rows at 4 s .. 40 s
    EXPECT_DOUBLE_EQ(memory.warm_up_s, 4);
    EXPECT_DOUBLE_EQ(memory.supervisor_rss_mib.after_warm_up, 10);
    EXPECT_DOUBLE_EQ(memory.supervisor_rss_mib.end, 46);
    EXPECT_DOUBLE_EQ(memory.supervisor_rss_mib.max, 46);
    EXPECT_DOUBLE_EQ(memory.supervisor_growth_mib, 36);
    // Orders produced after the first warm row: 36 rows of 1000.
    EXPECT_EQ(memory.orders_after_warm_up, 36000u);
    ASSERT_TRUE(memory.supervisor_growth_bytes_per_order.has_value());
    EXPECT_DOUBLE_EQ(*memory.supervisor_growth_bytes_per_order, 36 * mib / 36000);
    EXPECT_DOUBLE_EQ(memory.supervisor_growth_kib_per_s, 36 * 1024.0 / 36);
}

TEST(HarnessMemory, FewerThanTwoWarmRowsIsTooShort) {
    std::vector<TimelineRow> rows{load_row(1, 0.5, 0.5), load_row(2, 0.5, 0.5)};
    auto memory = sh::run::memory_of(rows);
    EXPECT_TRUE(memory.too_short);
    EXPECT_EQ(memory.steady_rows, 1u);
}

TEST(HarnessMemory, NoOrdersAfterWarmUpHasNoGrowthPerOrder) {
    std::vector<TimelineRow> rows{load_row(3, 0.5, 0.5, 10, 0), load_row(4, 0.5, 0.5, 11, 0)};
    auto memory = sh::run::memory_of(rows);
    ASSERT_FALSE(memory.too_short);
    EXPECT_FALSE(memory.supervisor_growth_bytes_per_order.has_value());
}
