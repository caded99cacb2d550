// Time for latency measurement: CLOCK_MONOTONIC nanoseconds, the same in every process of the
// machine, so a worker can subtract a producer's intended send time from its ack time.
#pragma once

#include <cstdint>
#include <ctime>

namespace sh::measure {

inline std::int64_t monotonic_ns() {
    timespec now{};
    clock_gettime(CLOCK_MONOTONIC, &now);
    return static_cast<std::int64_t>(now.tv_sec) * 1'000'000'000 + now.tv_nsec;
}

}  // namespace sh::measure
