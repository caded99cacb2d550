#include "harness/produce/order_sequencer.hpp"

#include <algorithm>

namespace sh::produce {

std::pair<std::uint64_t, std::uint64_t> OrderSequencer::claim(std::uint64_t wanted) {
    auto first = next_.fetch_add(wanted);
    if (limit_ == 0) return {first, wanted};
    if (first >= limit_) {
        return {limit_, 0};
    }
    return {first, std::min(wanted, limit_ - first)};
}

}  // namespace sh::produce
