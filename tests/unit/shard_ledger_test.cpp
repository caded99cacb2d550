// Ledgers of one group over the shards of its stream, added into one: the verdict of the sum
// must be the verdict of the whole, and an order applied in two shards is one duplicate.
#include <gtest/gtest.h>

#include <cstdint>

#include "harness/verify/verifier.hpp"

using sh::verify::add_shard_ledger;
using sh::verify::bit_set;
using sh::verify::GroupLedger;
using sh::verify::set_bit;

namespace {

GroupLedger shard_ledger(std::initializer_list<std::uint64_t> applied) {
    GroupLedger ledger;
    ledger.group = "score";
    for (auto seq : applied) set_bit(ledger.applied_bitmap, seq);
    return ledger;
}

}  // namespace

TEST(ShardLedger, DisjointShardsAddUpToEveryOrderWithoutDuplicates) {
    auto ledger = shard_ledger({0, 2, 4});
    add_shard_ledger(ledger, shard_ledger({1, 3, 5, 40}));
    for (std::uint64_t seq : {0, 1, 2, 3, 4, 5, 40})
        EXPECT_TRUE(bit_set(ledger.applied_bitmap, seq));
    for (std::uint64_t seq : {6, 7, 39, 41}) EXPECT_FALSE(bit_set(ledger.applied_bitmap, seq));
    EXPECT_TRUE(ledger.extra_applications.empty());
}

TEST(ShardLedger, AnOrderAppliedInTwoShardsIsOneMoreApplication) {
    auto ledger = shard_ledger({7, 9});
    ledger.extra_applications[9] = 2;  // already applied three times in the first shard
    add_shard_ledger(ledger, shard_ledger({7, 8, 9}));
    EXPECT_EQ(ledger.extra_applications.size(), 2u);
    EXPECT_EQ(ledger.extra_applications.at(7), 1);
    EXPECT_EQ(ledger.extra_applications.at(9), 3);
    EXPECT_TRUE(bit_set(ledger.applied_bitmap, 8));
}

namespace {

// A shard's ledger with these counts and nothing applied.
GroupLedger counted(std::int64_t pending, std::int64_t lag, std::int64_t stuck, std::int64_t points,
                    std::uint64_t no_order) {
    auto ledger = shard_ledger({});
    ledger.pending_left = pending;
    ledger.lag_left = lag;
    ledger.stuck = stuck;
    ledger.points_total = points;
    ledger.applications_of_no_order = no_order;
    return ledger;
}

}  // namespace

TEST(ShardLedger, CountsAndListsAreSummedPerShard) {
    auto ledger = counted(2, 1, 1, 10, 1);
    ledger.stuck_by_consumer["score-1-1"] = 1;
    ledger.stalled_consumers["score-1-1"] = 900;
    ledger.shares["score-1-1"] = 5;
    ledger.dead_letters.push_back({3, "poison", 5});

    auto other = counted(3, 4, 2, 32, 2);
    other.stuck_by_consumer["score-2-1"] = 2;
    other.stalled_consumers["score-1-1"] = 1200;
    other.shares = {{"score-2-1", 6}, {"score-1-1", 1}};
    other.dead_letters.push_back({std::nullopt, "no orderno", 1});
    add_shard_ledger(ledger, other);

    EXPECT_EQ(ledger.pending_left, 5);
    EXPECT_EQ(ledger.lag_left, 5);
    EXPECT_EQ(ledger.stuck, 3);
    EXPECT_EQ(ledger.stuck_by_consumer.at("score-2-1"), 2);
    EXPECT_EQ(ledger.stalled_consumers.at("score-1-1"), 1200);
    EXPECT_EQ(ledger.points_total, 42);
    EXPECT_EQ(ledger.shares.at("score-1-1"), 6);
    EXPECT_EQ(ledger.shares.at("score-2-1"), 6);
    EXPECT_EQ(ledger.dead_letters.size(), 2u);
    EXPECT_EQ(ledger.applications_of_no_order, 3u);
}
