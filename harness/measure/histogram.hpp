// A log-linear (HDR-style) latency histogram: 3 significant digits from 1 us to 1 h, fixed size
// and lock-free so it can live in shared memory, mergeable across workers and reports.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <nlohmann/json_fwd.hpp>

namespace sh::measure {

// 2^10 linear sub-buckets per power of two: relative error below 0.1 % (3 digits).
inline constexpr int histogram_sub_bucket_bits = 10;

// Values below 2^11 get a bucket each; above, a power of two is split into 2^10 buckets.
constexpr std::size_t histogram_index_of(std::uint64_t value_us) {
    int msb = value_us == 0 ? 0 : 63 - __builtin_clzll(value_us);
    int shift = msb > histogram_sub_bucket_bits ? msb - histogram_sub_bucket_bits : 0;
    return (static_cast<std::size_t>(shift) << histogram_sub_bucket_bits) + (value_us >> shift);
}

// The usual figures of a histogram, in microseconds (percentiles as highest_equivalent).
struct LatencySummary {
    std::uint64_t count = 0;
    double mean_us = 0;
    std::uint64_t p50_us = 0;
    std::uint64_t p90_us = 0;
    std::uint64_t p99_us = 0;
    std::uint64_t p99_9_us = 0;
    std::uint64_t max_us = 0;
};

class Histogram {
  public:
    static constexpr int sub_bucket_bits = histogram_sub_bucket_bits;
    static constexpr std::uint64_t max_trackable_us = 3'600'000'000ULL;  // 1 h

    static constexpr std::size_t index_of(std::uint64_t value_us) {
        return histogram_index_of(value_us);
    }
    // The largest value that maps to the same bucket (what percentiles report, as HDR does).
    static std::uint64_t highest_equivalent(std::size_t index);
    static constexpr std::size_t bucket_count = histogram_index_of(max_trackable_us) + 1;

    Histogram() = default;
    Histogram(const Histogram&) = delete;
    Histogram& operator=(const Histogram&) = delete;

    void record(std::uint64_t value_us);
    void merge(const Histogram& other);
    // Removes counts recorded in `earlier`, a snapshot of this histogram taken before: what
    // remains is what was recorded since (the max stays the overall max).
    void subtract(const Histogram& earlier);
    void reset();

    std::uint64_t count() const { return total_.load(std::memory_order_relaxed); }
    std::uint64_t max() const { return max_.load(std::memory_order_relaxed); }
    double mean() const;
    // Value at the given percentile (0..100), in microseconds; 0 when empty.
    std::uint64_t percentile(double percent) const;

    // {"unit":"us","sub_bucket_bits":10,"count":..,"buckets":[[index,count],...]} (non-zero only)
    nlohmann::json to_json() const;
    // Adds the counts of a serialised histogram; throws std::invalid_argument on a mismatch.
    void merge_json(const nlohmann::json& serialised);
    LatencySummary summary() const;

  private:
    std::array<std::atomic<std::uint64_t>, bucket_count> counts_{};
    std::atomic<std::uint64_t> total_{0};
    std::atomic<std::uint64_t> sum_{0};
    std::atomic<std::uint64_t> max_{0};
};

}  // namespace sh::measure
