// The chart axes on their own: linear ticks are even, round steps (1, 2 or 5 times a power of
// ten) from zero or below to just past the data, labelled with as many decimals as the step
// needs; log axes span whole decades (2x and 5x ticks over few of them); the HDR percentile axis
// ticks at nines; fraction() puts the axis ends at 0 and 1, is monotonic and clamps the rest.
#include "reports/chart_axis.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

using sh::reports::html::Axis;
using sh::reports::html::end_axis_at;
using sh::reports::html::fit_axis;
using sh::reports::html::Scale;
using sh::reports::html::transform;

namespace {

std::vector<std::string> labels_of(const Axis& axis) {
    std::vector<std::string> labels;
    for (const auto& tick : axis.ticks) labels.push_back(tick.label);
    return labels;
}

std::vector<double> ats_of(const Axis& axis) {
    std::vector<double> ats;
    for (const auto& tick : axis.ticks) ats.push_back(tick.at);
    return ats;
}

// 1, 2 or 5 times a power of ten.
bool is_round(double step) {
    double magnitude = std::pow(10.0, std::floor(std::log10(step) + 1e-9));
    double multiple = step / magnitude;
    for (double round : {1.0, 2.0, 5.0}) {
        if (std::fabs(multiple - round) < 1e-6) return true;
    }
    return false;
}

void expect_log_ticks(const Axis& axis, const std::vector<double>& values,
                      const std::vector<std::string>& labels) {
    ASSERT_EQ(axis.ticks.size(), values.size());
    for (std::size_t i = 0; i < values.size(); ++i) {
        EXPECT_NEAR(axis.ticks[i].at, std::log10(values[i]), 1e-12) << labels[i];
    }
    EXPECT_EQ(labels_of(axis), labels);
}

}  // namespace

TEST(ChartAxis, LinearTicksAreEvenRoundStepsCoveringTheValuesFromZero) {
    const std::vector<std::vector<double>> cases = {
        {3, 7},          {0.37},   {12.5, 999.75}, {1001.75, 998.5, 12.5},
        {0.015},         {0.3},    {1.1},          {7},
        {-3, 7},         {-0.045}, {-250, -40},    {3.2e12},
        {-7.5e9, 1e8},   {4e-6},   {99.999},       {0.51, 12.25},
        {60170, 3002.8}, {1e300},
    };
    for (int tick_count : {5, 10}) {
        for (const auto& values : cases) {
            SCOPED_TRACE(::testing::Message() << "tick_count " << tick_count << ", values "
                                              << ::testing::PrintToString(values));
            auto axis = fit_axis(Scale::linear, values, tick_count);
            EXPECT_EQ(axis.scale, Scale::linear);
            ASSERT_GE(axis.ticks.size(), 2u);
            double step = axis.ticks[1].at - axis.ticks[0].at;
            EXPECT_TRUE(is_round(step)) << step;
            EXPECT_DOUBLE_EQ(axis.ticks.front().at, axis.low);
            EXPECT_DOUBLE_EQ(axis.ticks.back().at, axis.high);
            for (std::size_t i = 1; i < axis.ticks.size(); ++i) {
                EXPECT_NEAR(axis.ticks[i].at - axis.ticks[i - 1].at, step, step * 1e-9);
            }
            // Zero is always on the axis, the data is inside it, and no whole step is wasted.
            double low = std::min(0.0, *std::min_element(values.begin(), values.end()));
            double high = std::max(0.0, *std::max_element(values.begin(), values.end()));
            EXPECT_LE(axis.low, low + step * 1e-9);
            EXPECT_GE(axis.high, high - step * 1e-9);
            EXPECT_GT(axis.low + step, low);
            EXPECT_LT(axis.high - step, high);
            // tick_count is a target: a round step lands within 2.5x of the exact division.
            auto intervals = static_cast<double>(axis.ticks.size() - 1);
            EXPECT_GE(intervals * 2.5, tick_count);
            EXPECT_LE(intervals, tick_count + 1);
        }
    }
}

TEST(ChartAxis, LinearLabelsCarryTheDecimalsTheStepNeeds) {
    EXPECT_EQ(labels_of(fit_axis(Scale::linear, {0.37}, 5)),
              (std::vector<std::string>{"0.0", "0.1", "0.2", "0.3", "0.4"}));
    EXPECT_EQ(labels_of(fit_axis(Scale::linear, {0.037}, 5)),
              (std::vector<std::string>{"0.00", "0.01", "0.02", "0.03", "0.04"}));
    EXPECT_EQ(labels_of(fit_axis(Scale::linear, {0.9}, 5)),
              (std::vector<std::string>{"0.0", "0.2", "0.4", "0.6", "0.8", "1.0"}));
    EXPECT_EQ(labels_of(fit_axis(Scale::linear, {2.2}, 5)),
              (std::vector<std::string>{"0.0", "0.5", "1.0", "1.5", "2.0", "2.5"}));
    EXPECT_EQ(labels_of(fit_axis(Scale::linear, {3700}, 5)),
              (std::vector<std::string>{"0", "1000", "2000", "3000", "4000"}));
    EXPECT_EQ(
        labels_of(fit_axis(Scale::linear, {4e-6}, 5)),
        (std::vector<std::string>{"0.000000", "0.000001", "0.000002", "0.000003", "0.000004"}));
}

TEST(ChartAxis, HugeRangesKeepWholeNumberLabels) {
    auto axis = fit_axis(Scale::linear, {3.2e12}, 5);
    EXPECT_EQ(labels_of(axis), (std::vector<std::string>{"0", "1000000000000", "2000000000000",
                                                         "3000000000000", "4000000000000"}));
    EXPECT_DOUBLE_EQ(axis.high, 4e12);
}

TEST(ChartAxis, NegativeValuesExtendTheAxisBelowZeroWhichStaysATickLabelledZero) {
    auto axis = fit_axis(Scale::linear, {-3, 7}, 5);
    EXPECT_DOUBLE_EQ(axis.low, -4);
    EXPECT_DOUBLE_EQ(axis.high, 8);
    EXPECT_EQ(labels_of(axis), (std::vector<std::string>{"-4", "-2", "0", "2", "4", "6", "8"}));
    EXPECT_EQ(axis.ticks[2].at, 0.0);

    auto below = fit_axis(Scale::linear, {-250, -40}, 5);
    EXPECT_DOUBLE_EQ(below.low, -250);
    EXPECT_DOUBLE_EQ(below.high, 0);
    EXPECT_EQ(labels_of(below),
              (std::vector<std::string>{"-250", "-200", "-150", "-100", "-50", "0"}));

    // The zero tick between negative and positive ones reads "0.0", never "-0.0".
    auto tenths = fit_axis(Scale::linear, {-0.3, 0.2}, 5);
    auto labels = labels_of(tenths);
    EXPECT_NE(std::find(labels.begin(), labels.end(), "0.0"), labels.end());
    EXPECT_EQ(std::find(labels.begin(), labels.end(), "-0.0"), labels.end());
}

TEST(ChartAxis, NoValuesOrOnlyZerosGiveTheUnitAxis) {
    for (const auto& values : {std::vector<double>{}, std::vector<double>{0, 0}}) {
        auto axis = fit_axis(Scale::linear, values, 5);
        EXPECT_EQ(axis.low, 0);
        EXPECT_EQ(axis.high, 1);
        EXPECT_EQ(labels_of(axis),
                  (std::vector<std::string>{"0.0", "0.2", "0.4", "0.6", "0.8", "1.0"}));
    }
    // One value is a range from zero, not a degenerate one.
    auto single = fit_axis(Scale::linear, {5}, 5);
    EXPECT_EQ(labels_of(single), (std::vector<std::string>{"0", "1", "2", "3", "4", "5"}));
}

TEST(ChartAxis, LogAxisOverFewDecadesTicksAtOneTwoAndFiveTimesEachDecade) {
    auto axis = fit_axis(Scale::log, {0.5, 3}, 5);
    EXPECT_EQ(axis.scale, Scale::log);
    EXPECT_EQ(axis.low, -1);
    EXPECT_EQ(axis.high, 1);
    expect_log_ticks(axis, {0.1, 0.2, 0.5, 1, 2, 5, 10},
                     {"0.1", "0.2", "0.5", "1", "2", "5", "10"});
}

TEST(ChartAxis, LogAxisOverManyDecadesTicksOnlyAtDecades) {
    auto axis = fit_axis(Scale::log, {0.02, 4000}, 5);
    EXPECT_EQ(axis.low, -2);
    EXPECT_EQ(axis.high, 4);
    expect_log_ticks(axis, {0.01, 0.1, 1, 10, 100, 1000, 10000},
                     {"0.01", "0.1", "1", "10", "100", "1000", "10000"});
}

TEST(ChartAxis, LogAxisIgnoresZeroAndNegativeValuesAndDrawsThemOnItsLowEdge) {
    auto axis = fit_axis(Scale::log, {0, -5, 20, 300}, 5);
    EXPECT_EQ(axis.low, 1);
    EXPECT_EQ(axis.high, 3);
    expect_log_ticks(axis, {10, 20, 50, 100, 200, 500, 1000},
                     {"10", "20", "50", "100", "200", "500", "1000"});
    EXPECT_EQ(axis.fraction(0), 0.0);
    EXPECT_EQ(axis.fraction(-5), 0.0);
}

TEST(ChartAxis, LogAxisOfOnePowerOfTenOrOfNothingSpansOneDecade) {
    auto hundred = fit_axis(Scale::log, {100}, 5);
    EXPECT_EQ(hundred.low, 2);
    EXPECT_EQ(hundred.high, 3);
    EXPECT_EQ(labels_of(hundred), (std::vector<std::string>{"100", "200", "500", "1000"}));
    for (const auto& values : {std::vector<double>{}, std::vector<double>{0}}) {
        auto empty = fit_axis(Scale::log, values, 5);
        EXPECT_EQ(empty.low, 0);
        EXPECT_EQ(empty.high, 1);
        EXPECT_EQ(labels_of(empty), (std::vector<std::string>{"1", "2", "5", "10"}));
    }
    auto decade = fit_axis(Scale::log, {1, 10}, 5);
    EXPECT_EQ(decade.low, 0);
    EXPECT_EQ(decade.high, 1);
}

TEST(ChartAxis, PercentileTransformPutsEachNineOneUnitFurther) {
    EXPECT_EQ(transform(Scale::hdr_percentile, 0), 0.0);
    EXPECT_NEAR(transform(Scale::hdr_percentile, 90), 1, 1e-9);
    EXPECT_NEAR(transform(Scale::hdr_percentile, 99), 2, 1e-9);
    EXPECT_NEAR(transform(Scale::hdr_percentile, 99.9), 3, 1e-9);
    EXPECT_NEAR(transform(Scale::hdr_percentile, 99.999), 5, 1e-9);
    // 100 % has no finite place on the scale: it is pinned far beyond every tick.
    EXPECT_TRUE(std::isfinite(transform(Scale::hdr_percentile, 100)));
    EXPECT_GT(transform(Scale::hdr_percentile, 100), 7);
    EXPECT_NEAR(transform(Scale::log, 1000), 3, 1e-12);
    EXPECT_TRUE(std::isfinite(transform(Scale::log, 0)));
    EXPECT_EQ(transform(Scale::linear, -2.5), -2.5);
}

TEST(ChartAxis, PercentileAxisTicksAtEveryNineUpToTheHighestValue) {
    auto axis = fit_axis(Scale::hdr_percentile, {0, 50, 99.5}, 5);
    EXPECT_EQ(axis.scale, Scale::hdr_percentile);
    EXPECT_EQ(axis.low, 0);
    EXPECT_EQ(axis.high, 3);
    EXPECT_EQ(ats_of(axis), (std::vector<double>{0, 1, 2, 3}));
    EXPECT_EQ(labels_of(axis), (std::vector<std::string>{"0%", "90%", "99%", "99.9%"}));
    // An exact nine ends the axis, though 1 - 0.99 is not exactly 0.01 in binary.
    EXPECT_EQ(fit_axis(Scale::hdr_percentile, {99}, 5).high, 2);
    EXPECT_EQ(labels_of(fit_axis(Scale::hdr_percentile, {0, 99.99}, 5)).back(), "99.99%");
    EXPECT_EQ(labels_of(fit_axis(Scale::hdr_percentile, {0}, 5)),
              (std::vector<std::string>{"0%", "90%"}));
}

TEST(ChartAxis, PercentileAxisStopsAtSevenNines) {
    auto axis = fit_axis(Scale::hdr_percentile, {0, 100}, 5);
    EXPECT_EQ(axis.high, 7);
    EXPECT_EQ(axis.ticks.size(), 8u);
    EXPECT_EQ(axis.ticks.back().label, "99.99999%");
    EXPECT_EQ(axis.fraction(100), 1.0);
}

TEST(ChartAxis, FractionPutsTheAxisEndsAtZeroAndOneAndIsMonotonic) {
    const std::vector<std::pair<Scale, std::vector<double>>> cases = {
        {Scale::linear, {-3, 0, 0.5, 2, 7}},
        {Scale::log, {0.5, 0.7, 1, 2.5, 3}},
        {Scale::hdr_percentile, {0, 25, 90, 99, 99.5}},
    };
    for (const auto& [scale, values] : cases) {
        SCOPED_TRACE(::testing::PrintToString(values));
        auto axis = fit_axis(scale, values, 5);
        EXPECT_EQ(axis.fraction_at(axis.low), 0.0);
        EXPECT_EQ(axis.fraction_at(axis.high), 1.0);
        double previous = -1;
        for (double value : values) {
            double fraction = axis.fraction(value);
            EXPECT_GE(fraction, 0.0);
            EXPECT_LE(fraction, 1.0);
            EXPECT_GT(fraction, previous) << value;
            previous = fraction;
        }
        // Every tick lies on the axis, in order.
        for (std::size_t i = 0; i < axis.ticks.size(); ++i) {
            double fraction = axis.fraction_at(axis.ticks[i].at);
            EXPECT_GE(fraction, -1e-12);
            EXPECT_LE(fraction, 1 + 1e-12);
            if (i > 0) {
                EXPECT_GT(axis.ticks[i].at, axis.ticks[i - 1].at);
            }
        }
    }
}

TEST(ChartAxis, FractionClampsValuesOutsideTheAxisToItsEdges) {
    auto axis = fit_axis(Scale::linear, {10}, 5);
    EXPECT_EQ(axis.fraction(-100), 0.0);
    EXPECT_EQ(axis.fraction(1e9), 1.0);
    EXPECT_DOUBLE_EQ(axis.fraction(5), 0.5);
}

// A timeline's axis ends with the run (15.05 s), not at the round tick after it (16 s).
TEST(ChartAxis, AnAxisEndedAtAValueStopsThereWithoutTheTicksBeyond) {
    auto axis = end_axis_at(fit_axis(Scale::linear, {0, 15.05}, 10), 15.05);
    EXPECT_EQ(axis.high, 15.05);
    EXPECT_EQ(axis.low, 0);
    ASSERT_FALSE(axis.ticks.empty());
    EXPECT_EQ(axis.ticks.back().label, "14");
    EXPECT_EQ(axis.fraction(15.05), 1.0);
    // An end left of the axis's start cannot be: the fitted axis stays.
    auto fitted = fit_axis(Scale::linear, {2, 8}, 5);
    EXPECT_EQ(end_axis_at(fitted, -1).high, fitted.high);
}
