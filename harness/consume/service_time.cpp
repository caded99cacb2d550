#include "harness/consume/service_time.hpp"

namespace sh::consume {

std::chrono::microseconds ServiceTimeSampler::next() {
    if (spec_.mean_us <= 0) return std::chrono::microseconds(0);
    auto mean = static_cast<double>(spec_.mean_us);
    double value = mean;
    switch (spec_.distribution) {
        case workload::ServiceDistribution::constant:
            break;
        case workload::ServiceDistribution::uniform:
            value = std::uniform_real_distribution<double>(0, 2 * mean)(rng_);
            break;
        case workload::ServiceDistribution::exponential:
            value = std::exponential_distribution<double>(1.0 / mean)(rng_);
            break;
    }
    return std::chrono::microseconds(static_cast<std::int64_t>(value));
}

bool ServiceTimeSampler::fails(double ratio) {
    return ratio > 0 && std::uniform_real_distribution<double>(0, 1)(rng_) < ratio;
}

}  // namespace sh::consume
