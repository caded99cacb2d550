#include "harness/measure/histogram.hpp"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

namespace sh::measure {

namespace {
constexpr auto relaxed = std::memory_order_relaxed;

void raise_max(std::atomic<std::uint64_t>& target, std::uint64_t value) {
    auto current = target.load(relaxed);
    while (value > current && !target.compare_exchange_weak(current, value, relaxed)) {
    }
}

// A count, index or time of a serialised histogram. A report read back may hold anything there:
// a negative number would wrap round, and a float beyond 2^64 is undefined behaviour to convert.
std::uint64_t unsigned_at(const nlohmann::json& value, const char* what) {
    bool non_negative_integer =
        value.is_number_unsigned() || (value.is_number_integer() && value.get<std::int64_t>() >= 0);
    if (!non_negative_integer) {
        throw std::invalid_argument(std::string("histogram ") + what +
                                    ": expected an integer >= 0, got " + value.type_name());
    }
    return value.get<std::uint64_t>();
}
}  // namespace

std::uint64_t Histogram::highest_equivalent(std::size_t index) {
    constexpr std::size_t sub_buckets = std::size_t{1} << sub_bucket_bits;
    if (index < 2 * sub_buckets) return index;
    std::size_t shift = (index >> sub_bucket_bits) - 1;
    std::uint64_t sub = index - (shift << sub_bucket_bits);
    return ((sub + 1) << shift) - 1;
}

void Histogram::record(std::uint64_t value_us) {
    value_us = std::min(value_us, max_trackable_us);
    counts_[index_of(value_us)].fetch_add(1, relaxed);
    total_.fetch_add(1, relaxed);
    sum_.fetch_add(value_us, relaxed);
    raise_max(max_, value_us);
}

void Histogram::merge(const Histogram& other) {
    for (std::size_t i = 0; i < bucket_count; ++i) {
        auto count = other.counts_[i].load(relaxed);
        if (count != 0) counts_[i].fetch_add(count, relaxed);
    }
    total_.fetch_add(other.total_.load(relaxed), relaxed);
    sum_.fetch_add(other.sum_.load(relaxed), relaxed);
    raise_max(max_, other.max_.load(relaxed));
}

void Histogram::subtract(const Histogram& earlier) {
    for (std::size_t i = 0; i < bucket_count; ++i) {
        auto count = earlier.counts_[i].load(relaxed);
        if (count != 0) counts_[i].fetch_sub(count, relaxed);
    }
    total_.fetch_sub(earlier.total_.load(relaxed), relaxed);
    sum_.fetch_sub(earlier.sum_.load(relaxed), relaxed);
}

void Histogram::reset() {
    for (auto& count : counts_) count.store(0, relaxed);
    total_.store(0, relaxed);
    sum_.store(0, relaxed);
    max_.store(0, relaxed);
}

double Histogram::mean() const {
    auto total = count();
    return total == 0 ? 0.0 : static_cast<double>(sum_.load(relaxed)) / static_cast<double>(total);
}

std::uint64_t Histogram::percentile(double percent) const {
    std::uint64_t total = 0;
    for (const auto& count : counts_) total += count.load(relaxed);
    if (total == 0) return 0;
    // The small epsilon keeps 99.9 % of 2000 at rank 1998 despite binary rounding (1998.0000002).
    auto rank =
        static_cast<std::uint64_t>(std::ceil(percent / 100.0 * static_cast<double>(total) - 1e-9));
    rank = std::clamp<std::uint64_t>(rank, 1, total);
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < bucket_count; ++i) {
        seen += counts_[i].load(relaxed);
        if (seen >= rank) return std::min(highest_equivalent(i), max());
    }
    return max();
}

nlohmann::json Histogram::to_json() const {
    auto buckets = nlohmann::json::array();
    for (std::size_t i = 0; i < bucket_count; ++i) {
        auto count = counts_[i].load(relaxed);
        if (count != 0) buckets.push_back(nlohmann::json::array({i, count}));
    }
    return {{"unit", "us"},     {"sub_bucket_bits", sub_bucket_bits},
            {"count", count()}, {"sum", sum_.load(relaxed)},
            {"max", max()},     {"buckets", std::move(buckets)}};
}

void Histogram::merge_json(const nlohmann::json& serialised) {
    if (serialised.at("unit") != "us" || serialised.at("sub_bucket_bits") != sub_bucket_bits) {
        throw std::invalid_argument("histogram layout differs (unit or sub_bucket_bits)");
    }
    for (const auto& bucket : serialised.at("buckets")) {
        auto index = unsigned_at(bucket.at(0), "bucket index");
        if (index >= bucket_count) throw std::invalid_argument("histogram bucket out of range");
        counts_[index].fetch_add(unsigned_at(bucket.at(1), "bucket count"), relaxed);
    }
    total_.fetch_add(unsigned_at(serialised.at("count"), "count"), relaxed);
    sum_.fetch_add(unsigned_at(serialised.at("sum"), "sum"), relaxed);
    raise_max(max_, unsigned_at(serialised.at("max"), "max"));
}

LatencySummary Histogram::summary() const {
    return {count(),        mean(),           percentile(50), percentile(90),
            percentile(99), percentile(99.9), max()};
}

}  // namespace sh::measure
