// The per-order outcome record: two bits an order, written by several producer threads at once.
#include "harness/model/outcome_table.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <thread>
#include <vector>

#include "harness/produce/order_sequencer.hpp"

using sh::model::Outcome;
using sh::model::OutcomeTable;
using sh::produce::OrderSequencer;

namespace {

Outcome outcome_for(std::uint64_t seq) {
    return static_cast<Outcome>(1 + seq % 3);  // ok, failed, indeterminate in turn
}

}  // namespace

TEST(OutcomeTable, OrdersNeverRecordedReadAsUnsent) {
    OutcomeTable table;
    table.resize(10);
    EXPECT_EQ(table.at(0), Outcome::unsent);
    EXPECT_EQ(table.at(9), Outcome::unsent);
    EXPECT_EQ(table.at(1'000'000'000), Outcome::unsent);  // far beyond any chunk
    EXPECT_EQ(table.count(Outcome::unsent), 10U);
    EXPECT_EQ(table.memory_bytes(), 0U);
}

TEST(OutcomeTable, NeighbouringSlotsAndChunkBoundariesKeepTheirOwnOutcome) {
    OutcomeTable table;
    OutcomeTable::Writer writer(table);
    // Both sides of a 64-bit word and of a 65,536-order chunk.
    const std::vector<std::uint64_t> seqs = {0, 1, 31, 32, 33, 65'535, 65'536, 65'537, 200'000};
    for (auto seq : seqs) writer.record(seq, outcome_for(seq));
    table.resize(200'001);
    for (auto seq : seqs) EXPECT_EQ(table.at(seq), outcome_for(seq)) << seq;
    EXPECT_EQ(table.at(2), Outcome::unsent);
    EXPECT_EQ(table.at(65'534), Outcome::unsent);
    EXPECT_EQ(table.count(Outcome::unsent), 200'001U - seqs.size());
}

TEST(OutcomeTable, SetOverwritesOneSlotOnly) {
    OutcomeTable table;
    for (std::uint64_t seq = 0; seq < 64; ++seq) table.set(seq, Outcome::ok);
    table.set(5, Outcome::indeterminate);
    table.set(5, Outcome::failed);
    EXPECT_EQ(table.size(), 64U);
    EXPECT_EQ(table.at(5), Outcome::failed);
    EXPECT_EQ(table.at(4), Outcome::ok);
    EXPECT_EQ(table.at(6), Outcome::ok);
    EXPECT_EQ(table.count(Outcome::ok), 63U);
}

TEST(OutcomeTable, ConcurrentWritersClaimingInterleavedBlocksLoseNothing) {
    constexpr std::uint64_t orders = 1'000'003;  // not a multiple of any block or chunk
    OrderSequencer sequencer(orders);
    OutcomeTable table;
    std::vector<std::thread> producers;
    for (int p = 0; p < 4; ++p) {
        producers.emplace_back([&] {
            OutcomeTable::Writer writer(table);
            for (;;) {
                auto [first, count] = sequencer.claim(17);
                if (count == 0) return;
                for (auto seq = first; seq < first + count; ++seq) {
                    writer.record(seq, outcome_for(seq));
                }
            }
        });
    }
    for (auto& producer : producers) producer.join();
    table.resize(sequencer.allocated());
    ASSERT_EQ(table.size(), orders);
    std::uint64_t wrong = 0;
    for (std::uint64_t seq = 0; seq < orders; ++seq) wrong += table.at(seq) != outcome_for(seq);
    EXPECT_EQ(wrong, 0U);
    EXPECT_EQ(table.count(Outcome::ok), (orders + 2) / 3);
    EXPECT_EQ(table.count(Outcome::unsent), 0U);
}

TEST(OutcomeTable, HoldsAQuarterByteAnOrder) {
    constexpr std::uint64_t orders = 4'000'000;
    OutcomeTable table;
    OutcomeTable::Writer writer(table);
    for (std::uint64_t seq = 0; seq < orders; ++seq) writer.record(seq, Outcome::ok);
    table.resize(orders);
    // Whole 16 KiB chunks plus the chunk directory: within one chunk of orders / 4 bytes.
    EXPECT_GE(table.memory_bytes(), orders / 4);
    EXPECT_LE(table.memory_bytes(), orders / 4 + 16 * 1024 + 4096);
}
