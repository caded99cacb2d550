// The .hgrm export (reports/exports.hpp): HdrHistogram's percentile distribution of the
// harness's own histogram, whose layout is HdrHistogram's with 3 significant digits (2^10
// sub-buckets per half, unit 1 us), so the rows are the ones HdrHistogram would print.
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <memory>
#include <stdexcept>

#include "harness/errors.hpp"
#include "reports/exports.hpp"
#include "reports/html_report.hpp"
#include "reports/report_keys.hpp"
#include "reports/report_path.hpp"

namespace sh::reports {

using measure::Histogram;
using nlohmann::json;

namespace {

// HistogramLogProcessor's defaults: 5 ticks per half distance, microseconds shown as ms (with
// 3 decimals, HdrHistogram's "%12.<significant digits>f": no microsecond is rounded away).
constexpr int ticks_per_half_distance = 5;
constexpr double us_per_output_unit = 1000.0;

template <typename... Args>
std::string format(const char* pattern, Args... args) {
    char line[160];
    std::snprintf(line, sizeof line, pattern, args...);
    return line;
}

// PercentileIterator.incrementIterationLevel: the step halves each time the distance to 100 %
// halves. Computed as HdrHistogram does (log ratio, truncations) so the levels are its.
double next_level(double level) {
    auto halvings = static_cast<long long>(std::log(100.0 / (100.0 - level)) / std::log(2.0)) + 1;
    auto ticks = ticks_per_half_distance * static_cast<long long>(std::pow(2.0, halvings));
    return level + 100.0 / static_cast<double>(ticks);
}

std::uint64_t lowest_equivalent(std::size_t index) {
    return index == 0 ? 0 : Histogram::highest_equivalent(index - 1) + 1;
}

struct Bucket {
    std::size_t index;
    std::uint64_t count;
};

// Standard deviation over bucket midpoints (HdrHistogram's medianEquivalentValue).
double std_deviation_us(const std::vector<Bucket>& buckets, double mean_us, std::uint64_t total) {
    if (total == 0) return 0;
    double squares = 0;
    for (const auto& bucket : buckets) {
        auto low = lowest_equivalent(bucket.index);
        auto size = Histogram::highest_equivalent(bucket.index) - low + 1;
        double deviation = static_cast<double>(low + size / 2) - mean_us;
        squares += deviation * deviation * static_cast<double>(bucket.count);
    }
    return std::sqrt(squares / static_cast<double>(total));
}

}  // namespace

std::string render_percentile_distribution(const Histogram& histogram) {
    auto serialised = histogram.to_json();
    std::vector<Bucket> buckets;
    for (const auto& bucket : serialised.at("buckets")) {
        buckets.push_back({bucket.at(0).get<std::size_t>(), bucket.at(1).get<std::uint64_t>()});
    }
    auto total = histogram.count();
    auto max = histogram.max();
    // A bucket's value is its highest equivalent capped at the largest value recorded: what
    // report.json's percentiles are, so p50, p90 and max read the same in both.
    auto shown = [max](std::size_t index) {
        return static_cast<double>(std::min(Histogram::highest_equivalent(index), max)) /
               us_per_output_unit;
    };
    std::string text =
        format("%12s %14s %10s %14s\n\n", "Value", "Percentile", "TotalCount", "1/(1-Percentile)");
    double level = 0;
    std::uint64_t cumulative = 0;
    for (const auto& bucket : buckets) {
        cumulative += bucket.count;
        // Every level this bucket reaches is a row; the last bucket gives one, then the 100 % row.
        while (100.0 * static_cast<double>(cumulative) / static_cast<double>(total) >= level) {
            auto fraction = level / 100.0;
            text += level == 100.0
                        ? format("%12.3f %2.12f %10" PRIu64 "\n", shown(bucket.index), fraction,
                                 cumulative)
                        : format("%12.3f %2.12f %10" PRIu64 " %14.2f\n", shown(bucket.index),
                                 fraction, cumulative, 1.0 / (1.0 - fraction));
            if (cumulative == total) break;
            level = next_level(level);
        }
    }
    if (!buckets.empty()) {
        text += format("%12.3f %2.12f %10" PRIu64 "\n", shown(buckets.back().index), 1.0, total);
    }
    double mean_us = histogram.mean();
    text += format("#[Mean    = %12.3f, StdDeviation   = %12.3f]\n", mean_us / us_per_output_unit,
                   std_deviation_us(buckets, mean_us, total) / us_per_output_unit);
    text += format("#[Max     = %12.3f, Total count    = %12" PRIu64 "]\n",
                   static_cast<double>(max) / us_per_output_unit, total);
    // HdrHistogram's bucket is a power of two holding 2^(sub_bucket_bits + 1) sub-buckets.
    auto hdr_buckets =
        Histogram::index_of(Histogram::max_trackable_us) >> Histogram::sub_bucket_bits;
    text += format("#[Buckets = %12zu, SubBuckets     = %12d]\n", hdr_buckets,
                   1 << (Histogram::sub_bucket_bits + 1));
    return text;
}

std::string hgrm_file_name(const std::string& group) {
    std::string name = "latency-";
    for (unsigned char c : group) {
        bool safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.';
        name += safe ? std::string(1, static_cast<char>(c)) : format("%%%02X", c);
    }
    return name + ".hgrm";
}

void write_run_exports(const json& report, const std::filesystem::path& dir) {
    // An aggregate's runs each have their own timeline (in run-<i>/), the aggregate none.
    if (const auto& timeline = member(report, key::timeline);
        timeline.is_array() && !timeline.empty()) {
        write_text_file(render_timeline_csv(report), dir, "timeline.csv");
    }
    const auto& groups = member_path(report, {key::histograms, key::groups});
    if (!groups.is_object()) return;
    for (const auto& [group, histograms] : groups.items()) {
        // Every applied order is a first delivery or a recovered one: both make end to end.
        auto end_to_end = std::make_unique<Histogram>();
        for (const auto* part : {key::first_delivery, key::recovered}) {
            const auto& serialised = member(histograms, part);
            try {
                end_to_end->merge_json(serialised);
            } catch (const std::exception& error) {
                throw input_error(
                    {"report: histograms.groups." + group + "." + part + ": " + error.what()});
            }
        }
        write_text_file(render_percentile_distribution(*end_to_end), dir, hgrm_file_name(group));
    }
}

}  // namespace sh::reports
