// Simulated processing time per order, drawn from the group's distribution.
#pragma once

#include <chrono>
#include <random>

#include "harness/workload/workload.hpp"

namespace sh::consume {

class ServiceTimeSampler {
  public:
    ServiceTimeSampler(workload::ServiceTime spec, std::uint64_t seed) : spec_(spec), rng_(seed) {}
    std::chrono::microseconds next();
    // Draws for the injectable failure ratio share the sampler's seeded generator.
    bool fails(double ratio);

  private:
    workload::ServiceTime spec_;
    std::mt19937_64 rng_;
};

}  // namespace sh::consume
