// Histogram hot paths: record() (every consumer, per order), percentile() (reports) and merge()
// (the supervisor folding worker histograms together).
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <memory>
#include <random>
#include <vector>

#include "harness/measure/histogram.hpp"

namespace {

using sh::measure::Histogram;

// Values log-uniformly spread over 1 us .. 10 s, so every power-of-two bucket range is hit.
std::vector<std::uint64_t> latency_values(std::size_t count, std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<double> exponent(0.0, 7.0);  // 10^0 .. 10^7 us
    std::vector<std::uint64_t> values(count);
    for (auto& value : values) value = static_cast<std::uint64_t>(std::pow(10.0, exponent(rng)));
    return values;
}

std::unique_ptr<Histogram> filled_histogram(std::size_t count, std::uint64_t seed) {
    auto histogram = std::make_unique<Histogram>();  // ~185 KB of buckets: not on the stack
    for (auto value : latency_values(count, seed)) histogram->record(value);
    return histogram;
}

void BM_HistogramRecord(benchmark::State& state) {
    constexpr std::size_t count = 1 << 16;  // power of two: cheap wrap-around
    const auto values = latency_values(count, 42);
    auto histogram = std::make_unique<Histogram>();
    std::size_t i = 0;
    for (auto _ : state) {
        histogram->record(values[i++ & (count - 1)]);
    }
    benchmark::DoNotOptimize(histogram->count());
    state.SetItemsProcessed(state.iterations());
}

void BM_HistogramPercentile99(benchmark::State& state) {
    auto histogram = filled_histogram(1'000'000, 7);
    for (auto _ : state) {
        benchmark::DoNotOptimize(histogram->percentile(99));
    }
}

void BM_HistogramMerge(benchmark::State& state) {
    auto source = filled_histogram(1'000'000, 11);
    auto target = filled_histogram(1'000'000, 13);
    for (auto _ : state) {
        target->merge(*source);
        benchmark::ClobberMemory();
    }
    benchmark::DoNotOptimize(target->count());
}

}  // namespace

BENCHMARK(BM_HistogramRecord)->MinTime(0.2);
BENCHMARK(BM_HistogramPercentile99)->MinTime(0.2)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_HistogramMerge)->MinTime(0.2)->Unit(benchmark::kMicrosecond);
