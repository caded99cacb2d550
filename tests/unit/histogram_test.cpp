// The log-linear latency histogram: exactness, 3-digit precision, merging and serialisation.
#include "harness/measure/histogram.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "reports/report_json.hpp"

using sh::measure::Histogram;

namespace {

std::unique_ptr<Histogram> make() {
    return std::make_unique<Histogram>();
}

std::unique_ptr<Histogram> one_to(std::uint64_t last) {
    auto histogram = make();
    for (std::uint64_t v = 1; v <= last; ++v) histogram->record(v);
    return histogram;
}

void expect_same_statistics(const Histogram& a, const Histogram& b) {
    EXPECT_EQ(a.count(), b.count());
    EXPECT_EQ(a.max(), b.max());
    EXPECT_DOUBLE_EQ(a.mean(), b.mean());
    for (double p : {0.0, 1.0, 25.0, 50.0, 90.0, 99.0, 99.9, 99.99, 100.0}) {
        EXPECT_EQ(a.percentile(p), b.percentile(p)) << "p" << p;
    }
}

}  // namespace

TEST(Histogram, EmptyHistogramReportsZero) {
    auto histogram = make();
    EXPECT_EQ(histogram->count(), 0U);
    EXPECT_EQ(histogram->max(), 0U);
    EXPECT_EQ(histogram->mean(), 0.0);
    EXPECT_EQ(histogram->percentile(0), 0U);
    EXPECT_EQ(histogram->percentile(50), 0U);
    EXPECT_EQ(histogram->percentile(100), 0U);
}

TEST(Histogram, ValuesBelow2048AreExact) {
    for (std::uint64_t v : {0ULL, 1ULL, 7ULL, 1000ULL, 1024ULL, 2047ULL}) {
        auto histogram = make();
        histogram->record(v);
        EXPECT_EQ(histogram->percentile(50), v);
        EXPECT_EQ(histogram->percentile(100), v);
        EXPECT_EQ(Histogram::index_of(v), v);
        EXPECT_EQ(Histogram::highest_equivalent(Histogram::index_of(v)), v);
    }
}

TEST(Histogram, PercentilesOfOneToTwoThousandAreExact) {
    auto histogram = one_to(2000);
    EXPECT_EQ(histogram->percentile(50), 1000U);
    EXPECT_EQ(histogram->percentile(90), 1800U);
    EXPECT_EQ(histogram->percentile(99), 1980U);
}

TEST(Histogram, PercentilesWithinOneThousandthOfTheTrueValue) {
    auto histogram = one_to(100000);
    for (double p : {1.0, 10.0, 25.0, 50.0, 75.0, 90.0, 99.0, 99.9, 99.99}) {
        double exact = std::ceil(p / 100.0 * 100000.0);
        auto reported = static_cast<double>(histogram->percentile(p));
        EXPECT_GE(reported, exact) << "p" << p;  // highest equivalent value, as HDR reports
        EXPECT_LE((reported - exact) / exact, 0.001) << "p" << p << " reported " << reported;
    }
}

TEST(Histogram, P0IsTheMinimumAndP100TheMaximum) {
    auto histogram = one_to(100000);
    EXPECT_EQ(histogram->percentile(0), 1U);
    EXPECT_EQ(histogram->percentile(100), 100000U);
    EXPECT_EQ(histogram->max(), 100000U);
}

TEST(Histogram, PercentileNeverExceedsTheRecordedMax) {
    auto histogram = make();
    histogram->record(100001);  // bucket's highest equivalent is above the value
    ASSERT_GT(Histogram::highest_equivalent(Histogram::index_of(100001)), 100001U);
    EXPECT_EQ(histogram->percentile(100), 100001U);
    EXPECT_EQ(histogram->percentile(50), 100001U);
}

TEST(Histogram, CountMaxAndMeanAreExact) {
    auto histogram = make();
    for (std::uint64_t v : {10ULL, 20ULL, 30ULL, 123457ULL}) histogram->record(v);
    EXPECT_EQ(histogram->count(), 4U);
    EXPECT_EQ(histogram->max(), 123457U);
    EXPECT_DOUBLE_EQ(histogram->mean(), (10.0 + 20 + 30 + 123457) / 4);
}

TEST(Histogram, ResetEmptiesIt) {
    auto histogram = one_to(100);
    histogram->reset();
    EXPECT_EQ(histogram->count(), 0U);
    EXPECT_EQ(histogram->max(), 0U);
    EXPECT_EQ(histogram->percentile(99), 0U);
}

TEST(Histogram, ValuesAboveOneHourAreClamped) {
    auto histogram = make();
    histogram->record(Histogram::max_trackable_us * 5);
    histogram->record(UINT64_MAX);
    EXPECT_EQ(histogram->count(), 2U);
    EXPECT_EQ(histogram->max(), Histogram::max_trackable_us);
    EXPECT_EQ(histogram->percentile(100), Histogram::max_trackable_us);
    EXPECT_DOUBLE_EQ(histogram->mean(), static_cast<double>(Histogram::max_trackable_us));
    EXPECT_LT(Histogram::index_of(Histogram::max_trackable_us), Histogram::bucket_count);
}

TEST(Histogram, MergeEqualsRecordingEverythingIntoOne) {
    auto a = make(), b = make(), all = make();
    for (std::uint64_t v = 1; v <= 50000; v += 3) {
        a->record(v * 7);
        all->record(v * 7);
    }
    for (std::uint64_t v = 1; v <= 20000; v += 2) {
        b->record(v * 131);
        all->record(v * 131);
    }
    a->merge(*b);
    expect_same_statistics(*a, *all);
}

TEST(Histogram, JsonRoundTripRebuildsTheSameHistogram) {
    auto original = make();
    for (std::uint64_t v = 0; v <= 300000; v += 17) original->record(v);
    auto serialised = original->to_json();
    EXPECT_EQ(serialised.at("unit"), "us");
    EXPECT_EQ(serialised.at("sub_bucket_bits"), Histogram::sub_bucket_bits);
    EXPECT_EQ(serialised.at("count"), original->count());

    auto rebuilt = make();
    rebuilt->merge_json(nlohmann::json::parse(serialised.dump()));
    expect_same_statistics(*rebuilt, *original);
    EXPECT_EQ(rebuilt->to_json(), serialised);
}

TEST(Histogram, MergeJsonAddsToExistingCounts) {
    auto a = one_to(1000), b = one_to(1000), twice = one_to(1000);
    a->merge_json(b->to_json());
    twice->merge(*b);
    expect_same_statistics(*a, *twice);
    EXPECT_EQ(a->count(), 2000U);
}

TEST(Histogram, MergeJsonRejectsAnotherLayout) {
    auto source = one_to(10);
    auto serialised = source->to_json();
    serialised["sub_bucket_bits"] = Histogram::sub_bucket_bits + 1;
    auto target = make();
    EXPECT_THROW(target->merge_json(serialised), std::invalid_argument);

    auto other_unit = source->to_json();
    other_unit["unit"] = "ms";
    EXPECT_THROW(target->merge_json(other_unit), std::invalid_argument);

    auto out_of_range = source->to_json();
    out_of_range["buckets"] = nlohmann::json::array({{Histogram::bucket_count, 1}});
    EXPECT_THROW(target->merge_json(out_of_range), std::invalid_argument);
}

// Found by tests/fuzz/report_fuzz: a count of 1e300 in a report was converted to an integer
// (undefined behaviour), a negative one wrapped round.
TEST(Histogram, MergeJsonRejectsCountsThatAreNotNonNegativeIntegers) {
    auto serialised = one_to(10)->to_json();
    for (const auto& bad :
         {nlohmann::json(1e300), nlohmann::json(-1), nlohmann::json(2.5), nlohmann::json("3")}) {
        for (const char* field : {"count", "sum", "max"}) {
            auto damaged = serialised;
            damaged[field] = bad;
            EXPECT_THROW(make()->merge_json(damaged), std::invalid_argument) << field << bad;
        }
        auto damaged = serialised;
        damaged["buckets"][0][0] = bad;
        EXPECT_THROW(make()->merge_json(damaged), std::invalid_argument) << "index " << bad;
        damaged = serialised;
        damaged["buckets"][0][1] = bad;
        EXPECT_THROW(make()->merge_json(damaged), std::invalid_argument) << "bucket " << bad;
    }
}

TEST(Histogram, SummaryIsInMilliseconds) {
    auto histogram = one_to(2000);
    // The report writes a histogram's summary in milliseconds.
    auto summary = sh::reports::latency_json(histogram->summary());
    EXPECT_EQ(summary.at("count"), 2000);
    EXPECT_DOUBLE_EQ(summary.at("p50_ms").get<double>(), 1.0);
    EXPECT_DOUBLE_EQ(summary.at("max_ms").get<double>(), 2.0);
}

TEST(HistogramBuckets, EveryValueFallsInABucketThatCoversIt) {
    auto check = [](std::uint64_t v) {
        auto index = Histogram::index_of(v);
        ASSERT_LT(index, Histogram::bucket_count) << v;
        auto highest = Histogram::highest_equivalent(index);
        ASSERT_GE(highest, v) << v;
        ASSERT_EQ(Histogram::index_of(highest), index) << v;  // highest is in the same bucket
        if (index > 0) {
            ASSERT_LT(Histogram::highest_equivalent(index - 1), v) << v;  // buckets are contiguous
        }
        if (v >= 2048) {
            ASSERT_LT(static_cast<double>(highest - v) / static_cast<double>(v), 1.0 / 1024) << v;
        } else {
            ASSERT_EQ(highest, v);
        }
    };
    for (std::uint64_t v = 0; v < 1'000'000; ++v) check(v);
    for (std::uint64_t v = 1'000'000; v <= Histogram::max_trackable_us; v = v + v / 997 + 1) {
        check(v);
        check(v - 1);
    }
    check(Histogram::max_trackable_us);
}

TEST(HistogramBuckets, IndexIsMonotonicInTheValue) {
    std::size_t previous = 0;
    for (std::uint64_t v = 0; v <= Histogram::max_trackable_us; v = v < 4096 ? v + 1 : v + v / 3) {
        auto index = Histogram::index_of(v);
        ASSERT_GE(index, previous) << v;
        previous = index;
    }
}

TEST(HistogramBuckets, PowersOfTwoStartNewBuckets) {
    for (int bit = 11; bit < 32; ++bit) {
        std::uint64_t power = std::uint64_t{1} << bit;
        EXPECT_EQ(Histogram::highest_equivalent(Histogram::index_of(power - 1)), power - 1) << bit;
        EXPECT_EQ(Histogram::index_of(power), Histogram::index_of(power - 1) + 1) << bit;
    }
}
