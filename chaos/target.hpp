// Target selectors: "score/1" (that consumer), "push/any" (one, chosen by the chaos RNG among
// the eligible), "score/all", "*/any", "*/all".
#pragma once

#include <functional>
#include <random>
#include <string>
#include <vector>

#include "harness/run/fleet.hpp"

namespace sh::chaos {

// Indexes into workers of the selected consumers that pass `eligible`.
std::vector<std::size_t> select_targets(const std::string& selector,
                                        const std::vector<run::Worker>& workers,
                                        const std::function<bool(const run::Worker&)>& eligible,
                                        std::mt19937_64& rng);

}  // namespace sh::chaos
