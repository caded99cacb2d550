// What the producers know about every order they tried to send (DESIGN §3): the record the
// verifier holds Redis against.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

namespace sh::model {

enum class Outcome : std::uint8_t {
    unsent = 0,         // sequence number allocated but never sent (end of run)
    ok = 1,             // XADD returned an ID
    failed = 2,         // Redis returned an error: the order is not in the stream
    indeterminate = 3,  // the connection broke before the reply: it may or may not be there
};

// Every order's outcome, two bits each, indexed by sequence number: the only thing the harness
// keeps per order, so its memory grows by a quarter byte an order (10 million orders: 2.4 MiB).
// Producer threads record into it concurrently, each through its own Writer; it is read once they
// have been joined.
class OutcomeTable {
    using Word = std::atomic<std::uint64_t>;

  public:
    // Records outcomes for one thread. It caches the chunk it last wrote to, so the table's lock
    // is taken once per 65,536 orders, not once per order.
    class Writer {
      public:
        explicit Writer(OutcomeTable& table) : table_(table) {}
        // Once per order: the slot starts as unsent and is only ever or-ed into.
        void record(std::uint64_t seq, Outcome outcome);

      private:
        OutcomeTable& table_;
        std::uint64_t chunk_index_ = UINT64_MAX;
        Word* chunk_ = nullptr;
    };

    OutcomeTable() = default;
    OutcomeTable(OutcomeTable&& other) noexcept
        : chunks_(std::move(other.chunks_)), size_(other.size_) {}

    // Single-threaded overwrite (building a table by hand).
    void set(std::uint64_t seq, Outcome outcome);
    Outcome at(std::uint64_t seq) const;
    // Orders [0, size) are the run's; those never recorded read as unsent.
    std::uint64_t size() const { return size_; }
    void resize(std::uint64_t orders) { size_ = orders; }
    std::uint64_t count(Outcome which) const;
    // The order numbers with this outcome (for the rare ones: indeterminate, failed).
    std::vector<std::uint64_t> list(Outcome which) const;
    std::size_t memory_bytes() const;

  private:
    static constexpr unsigned chunk_shift = 16;  // 65,536 orders (16 KiB) a chunk
    static constexpr std::uint64_t chunk_orders = std::uint64_t{1} << chunk_shift;
    static constexpr std::uint64_t orders_per_word = 32;
    static constexpr std::uint64_t words_per_chunk = chunk_orders / orders_per_word;

    Word* chunk(std::uint64_t index);  // creates it when missing
    const Word* find_chunk(std::uint64_t index) const;
    static std::uint64_t word_in_chunk(std::uint64_t seq) {
        return (seq & (chunk_orders - 1)) / orders_per_word;
    }
    static unsigned shift_of(std::uint64_t seq) {
        return static_cast<unsigned>(seq % orders_per_word) * 2;
    }

    std::mutex mutex_;  // guards chunks_ (not the chunks' contents, which are atomic)
    std::vector<std::unique_ptr<Word[]>> chunks_;
    std::uint64_t size_ = 0;
};

}  // namespace sh::model
