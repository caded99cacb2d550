#include "harness/measure/consumer_stats.hpp"

#include <new>
#include <stdexcept>
#include <vector>

namespace sh::measure {

CounterValues& CounterValues::operator+=(const CounterValues& other) {
    std::vector<std::uint64_t> theirs;
    each_counter(other, [&](const char*, std::uint64_t value) { theirs.push_back(value); });
    std::size_t i = 0;
    each_counter(*this, [&](const char*, std::uint64_t& value) { value += theirs[i++]; });
    return *this;
}

CounterValues ConsumerCounters::values() const {
    CounterValues values;
    std::vector<std::uint64_t> mine;
    each_counter(*this, [&](const char*, const std::atomic<std::uint64_t>& counter) {
        mine.push_back(counter.load(std::memory_order_relaxed));
    });
    std::size_t i = 0;
    each_counter(values, [&](const char*, std::uint64_t& value) { value = mine[i++]; });
    return values;
}

StatsRegion* StatsRegion::initialise(void* memory, std::size_t slots) {
    auto* region = new (memory) StatsRegion();
    region->slot_count = slots;
    for (std::size_t i = 0; i < slots; ++i) new (region->slots() + i) ConsumerSlot();
    return region;
}

StatsRegion* StatsRegion::from_mapping(void* memory, std::size_t bytes) {
    auto* region = static_cast<StatsRegion*>(memory);
    if (bytes < sizeof(StatsRegion) || region->magic != expected_magic ||
        bytes < bytes_for(region->slot_count)) {
        throw std::runtime_error("inherited stats region is not a streamharness stats region");
    }
    return region;
}

}  // namespace sh::measure
