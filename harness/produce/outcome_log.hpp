// What producers know about every order they tried to send (DESIGN §3): the verifier's truth.
#pragma once

#include <atomic>
#include <cstdint>
#include <utility>
#include <vector>

namespace sh::produce {

enum class Outcome : std::uint8_t {
    unsent = 0,         // sequence number allocated but never sent (end of run)
    ok = 1,             // XADD returned an ID
    failed = 2,         // Redis returned an error: the order is not in the stream
    indeterminate = 3,  // the connection broke before the reply: it may or may not be there
};

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

// The merged record, indexed by sequence number. Intended send times are kept as milliseconds
// after the run's origin (4 bytes an order, not 8): enough to attribute a loss to a restart, and
// 10 million orders stay at 50 MB.
struct OutcomeTable {
    std::vector<Outcome> outcome;
    std::int64_t origin_ns = 0;
    std::vector<std::uint32_t> intended_offset_ms;

    std::uint64_t count(Outcome which) const;
    void resize(std::size_t orders) {
        outcome.resize(orders, Outcome::unsent);
        intended_offset_ms.resize(orders, 0);
    }
    std::int64_t intended_send_ns(std::uint64_t seq) const {
        return origin_ns + static_cast<std::int64_t>(intended_offset_ms[seq]) * 1'000'000;
    }
    void set_intended_send_ns(std::uint64_t seq, std::int64_t ns) {
        intended_offset_ms[seq] =
            ns <= origin_ns ? 0U : static_cast<std::uint32_t>((ns - origin_ns) / 1'000'000);
    }
};

// One producer's share of the record: written by one thread, merged after it stopped.
class OutcomeBlocks {
  public:
    void record(std::uint64_t seq, Outcome outcome, std::int64_t intended_send_ns);
    void merge_into(OutcomeTable& table) const;

  private:
    struct Entry {
        std::uint64_t seq;
        std::int64_t intended_send_ns;
        Outcome outcome;
    };
    std::vector<Entry> entries_;
};

}  // namespace sh::produce
