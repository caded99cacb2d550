// The order numbers of a run: dense, handed out to producer threads in blocks.
#pragma once

#include <atomic>
#include <cstdint>
#include <utility>

namespace sh::produce {

// Hands out dense sequence numbers in blocks, up to an optional limit.
class OrderSequencer {
  public:
    explicit OrderSequencer(std::uint64_t limit) : limit_(limit) {}
    // Claims up to `wanted` numbers; returns [first, first+count), count 0 when exhausted.
    std::pair<std::uint64_t, std::uint64_t> claim(std::uint64_t wanted);
    std::uint64_t allocated() const {
        auto next = next_.load();
        return limit_ != 0 && next > limit_ ? limit_ : next;
    }

  private:
    std::atomic<std::uint64_t> next_{0};
    std::uint64_t limit_;  // 0 = unlimited
};

}  // namespace sh::produce
