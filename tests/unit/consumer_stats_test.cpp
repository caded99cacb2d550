// A worker's stats slot in the shared memory region (DESIGN §3): the worker writes its counters,
// state and histograms while the supervisor samples them and writes the control fields. Here
// both sides are threads on one mapping, so ThreadSanitizer (.ci/tsan) sees every access to the
// slot: between processes it sees none, its shadow memory being per process.
#include "harness/measure/consumer_stats.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <thread>

#include "harness/os/shared_memory.hpp"

namespace {

using sh::measure::StatsRegion;
constexpr auto relaxed = std::memory_order_relaxed;

TEST(ConsumerStats, ASlotSampledWhileItsWorkerWritesItOnlyGrowsAndAddsUpAtTheEnd) {
    constexpr std::size_t slots = 2;
    constexpr int samples = 20;
    constexpr std::int64_t slow_us = 7;
    auto memory = sh::os::SharedMemory::create(StatsRegion::bytes_for(slots));
    auto* region = StatsRegion::initialise(memory.data(), slots);
    // The worker stops only once the supervisor has taken every sample: nothing orders the
    // samples after the worker's writes, so each of them is a reading TSan checks.
    std::atomic<bool> sampling_done{false};
    std::uint64_t orders = 0;  // the worker's own count, read after the join
    std::thread worker([&] {
        // What run_worker does with the region it inherits (a mapping of its own, there).
        auto& slot = StatsRegion::from_mapping(memory.data(), memory.size())->slots()[1];
        while (!sampling_done.load()) {
            slot.state.in_flight.store(1, relaxed);
            auto service_us = slot.control.service_override_us.load(relaxed);
            slot.counters.applied.fetch_add(1, relaxed);
            slot.latency_first.record(static_cast<std::uint64_t>(service_us < 0 ? 1 : service_us));
            slot.state.in_flight.store(0, relaxed);
            ++orders;
        }
    });

    // The supervisor: a `slow` fault, then the sampler's and the drain's readings.
    auto& slot = region->slots()[1];
    slot.control.service_override_us.store(slow_us, relaxed);
    std::uint64_t applied = 0;
    std::uint64_t recorded = 0;
    for (int sample = 0; sample < samples; ++sample) {
        auto now_applied = slot.counters.values().applied;
        auto sampled = std::make_unique<sh::measure::Histogram>();
        sampled->merge(slot.latency_first);
        EXPECT_GE(now_applied, applied);
        EXPECT_GE(sampled->count(), recorded);
        EXPECT_LE(slot.state.in_flight.load(relaxed), 1);
        applied = now_applied;
        recorded = sampled->count();
    }
    sampling_done.store(true);
    worker.join();

    EXPECT_EQ(slot.counters.values().applied, orders);
    EXPECT_EQ(slot.latency_first.count(), orders);
    EXPECT_LE(slot.latency_first.max(), static_cast<std::uint64_t>(slow_us));
    EXPECT_EQ(slot.state.in_flight.load(), 0);
    EXPECT_EQ(region->slots()[0].counters.values().applied, 0U);
}

}  // namespace
