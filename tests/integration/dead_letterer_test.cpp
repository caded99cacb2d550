// DeadLetterer and ConsumerSweeper against a real redis-server: a pending entry of the run moves
// once to the group's dead-letter stream (its fields after the record's own) and is
// acknowledged, an entry that is not pending or not the run's is never copied or deleted, and
// the sweeper removes only consumers that hold nothing and have idled long enough, never itself.
#include "harness/consume/dead_letterer.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "harness/consume/consumer_sweeper.hpp"
#include "harness/model/keys.hpp"
#include "harness/redis/streams.hpp"
#include "tests/support/redis_fixture.hpp"

using sh::consume::ConsumerSweeper;
using sh::consume::DeadLetterer;
using sh::model::RunKeys;
using sh::redis::Fields;
using sh::redis::ReplyView;
using sh::redis::StreamEntry;

namespace {

const std::string group = "score";
const std::string consumer = "score-0-1";

// Each test its own run, so its stream, group and dead-letter stream start empty.
std::string test_run_id() {
    return std::string("t-dlq-") + ::testing::UnitTest::GetInstance()->current_test_info()->name();
}

}  // namespace

class DeadLetterTest : public sh::testing::RedisTest {
  protected:
    DeadLetterTest() : keys_(test_run_id(), "ordermq"), connection_(connect()) {}

    void SetUp() override {
        ASSERT_TRUE(sh::redis::create_group(connection_, keys_.stream(), group, "$"));
    }

    Fields order_fields(int orderno) const {
        return {{"run", keys_.run_id()},
                {"orderno", std::to_string(orderno)},
                {"user", "u" + std::to_string(orderno)},
                {"amount", "42"}};
    }

    std::string add(const Fields& fields) {
        sh::redis::Args args{"XADD", keys_.stream(), "*"};
        for (const auto& [field, value] : fields) args.insert(args.end(), {field, value});
        return text(connection_, args);
    }

    // Delivers every new entry to `reader` of `in_group`: they become pending there.
    std::vector<StreamEntry> deliver(const std::string& reader,
                                     const std::string& in_group = group) {
        auto reply = connection_.command(
            {"XREADGROUP", "GROUP", in_group, reader, "STREAMS", keys_.stream(), ">"});
        return sh::redis::parse_read_reply(ReplyView(reply.get()));
    }

    std::vector<std::string> pending_ids(const std::string& in_group = group) {
        std::vector<std::string> ids;
        for (const auto& entry :
             sh::redis::xpending(connection_, keys_.stream(), in_group, 0, 1000)) {
            ids.push_back(entry.id);
        }
        return ids;
    }

    std::vector<StreamEntry> range(const std::string& key, const std::string& from = "-",
                                   const std::string& to = "+") {
        auto reply = connection_.command({"XRANGE", key, from, to});
        return sh::redis::parse_entries(ReplyView(reply.get()));
    }

    bool in_stream(const std::string& id) { return !range(keys_.stream(), id, id).empty(); }
    std::vector<StreamEntry> dead_letters() { return range(keys_.dlq(group)); }

    RunKeys keys_;
    sh::redis::Connection connection_;
};

TEST_F(DeadLetterTest, MovesAPendingEntryWithItsFieldsAndAcknowledgesIt) {
    auto id = add(order_fields(7));
    auto kept = add(order_fields(8));
    ASSERT_EQ(deliver(consumer).size(), 2u);
    DeadLetterer dead_letterer(keys_, group, consumer, false);

    EXPECT_EQ(dead_letterer.move(connection_, id, "max-deliveries", 5), DeadLetterer::Moved::moved);

    auto letters = dead_letters();
    ASSERT_EQ(letters.size(), 1u);
    Fields expected{{"source_id", id},
                    {"group", group},
                    {"reason", "max-deliveries"},
                    {"deliveries", "5"},
                    {"consumer", consumer}};
    for (const auto& field : order_fields(7)) expected.push_back(field);
    EXPECT_EQ(letters[0].fields, expected);
    EXPECT_EQ(pending_ids(), std::vector<std::string>{kept});
    EXPECT_TRUE(in_stream(id)) << "delete_entry=false leaves the entry in the stream";
}

TEST_F(DeadLetterTest, MovingTheSameEntryAgainIsNotPendingAndAddsNothing) {
    auto id = add(order_fields(1));
    deliver(consumer);
    DeadLetterer dead_letterer(keys_, group, consumer, true);
    ASSERT_EQ(dead_letterer.move(connection_, id, "malformed", 1), DeadLetterer::Moved::moved);

    EXPECT_EQ(dead_letterer.move(connection_, id, "malformed", 1),
              DeadLetterer::Moved::not_pending);
    EXPECT_EQ(dead_letters().size(), 1u);
    EXPECT_EQ(sh::redis::xlen(connection_, keys_.stream()), 0);
}

TEST_F(DeadLetterTest, AnEntryAcknowledgedFirstBySomeoneElseIsNotPendingAndLeftAlone) {
    auto id = add(order_fields(3));
    deliver(consumer);
    ASSERT_EQ(integer(connection_, {"XACK", keys_.stream(), group, id}), 1);
    DeadLetterer dead_letterer(keys_, group, "score-1-1", true);

    EXPECT_EQ(dead_letterer.move(connection_, id, "max-deliveries", 4),
              DeadLetterer::Moved::not_pending);
    EXPECT_TRUE(dead_letters().empty());
    EXPECT_TRUE(in_stream(id)) << "not pending: never deleted, even with delete_entry";
}

TEST_F(DeadLetterTest, AnEntryNeverDeliveredToTheGroupIsNotPendingAndLeftAlone) {
    auto id = add(order_fields(4));
    DeadLetterer dead_letterer(keys_, group, consumer, true);

    EXPECT_EQ(dead_letterer.move(connection_, id, "malformed", 1),
              DeadLetterer::Moved::not_pending);
    EXPECT_TRUE(dead_letters().empty());
    EXPECT_TRUE(in_stream(id));
    EXPECT_EQ(deliver(consumer).size(), 1u) << "the group still has it to read";
}

TEST_F(DeadLetterTest, AnEntryWithoutTheRunsStampIsOnlyAcknowledgedInTheRunsGroup) {
    const std::string theirs = "someone-elses-group";
    ASSERT_TRUE(sh::redis::create_group(connection_, keys_.stream(), theirs, "0"));
    auto unstamped = add({{"orderno", "1"}, {"note", "written by another service"}});
    auto other_run = add({{"run", keys_.run_id() + "-other"}, {"orderno", "2"}});
    ASSERT_EQ(deliver(consumer).size(), 2u);
    ASSERT_EQ(deliver("their-consumer", theirs).size(), 2u);
    DeadLetterer dead_letterer(keys_, group, consumer, true);

    for (const auto& id : {unstamped, other_run}) {
        EXPECT_EQ(dead_letterer.move(connection_, id, "malformed", 1), DeadLetterer::Moved::foreign)
            << id;
        EXPECT_TRUE(in_stream(id)) << "a foreign entry is never deleted: " << id;
    }
    EXPECT_TRUE(pending_ids().empty());
    EXPECT_TRUE(dead_letters().empty());
    EXPECT_EQ(integer(connection_, {"EXISTS", keys_.dlq(group)}), 0);
    EXPECT_EQ(pending_ids(theirs), (std::vector<std::string>{unstamped, other_run}));
    // Acknowledged once: a second attempt finds nothing pending.
    EXPECT_EQ(dead_letterer.move(connection_, unstamped, "malformed", 1),
              DeadLetterer::Moved::not_pending);
}

TEST_F(DeadLetterTest, DeleteEntryRemovesOnlyTheMovedEntryFromTheStream) {
    auto doomed = add(order_fields(1));
    auto neighbour = add(order_fields(2));
    deliver(consumer);
    DeadLetterer deleting(keys_, group, consumer, true);

    ASSERT_EQ(deleting.move(connection_, doomed, "max-deliveries", 3), DeadLetterer::Moved::moved);
    EXPECT_FALSE(in_stream(doomed));
    EXPECT_TRUE(in_stream(neighbour));
    EXPECT_EQ(sh::redis::xlen(connection_, keys_.stream()), 1);
    ASSERT_EQ(dead_letters().size(), 1u);
    EXPECT_EQ(*sh::redis::find_field(dead_letters()[0].fields, "source_id"), doomed);
    EXPECT_EQ(*sh::redis::find_field(dead_letters()[0].fields, "orderno"), "1");
}

TEST_F(DeadLetterTest, AnEntryDeletedWhilePendingIsStillMovedWithoutItsFields) {
    auto id = add(order_fields(9));
    deliver(consumer);
    ASSERT_EQ(integer(connection_, {"XDEL", keys_.stream(), id}), 1);
    ASSERT_EQ(pending_ids(), std::vector<std::string>{id});
    DeadLetterer dead_letterer(keys_, group, consumer, true);

    EXPECT_EQ(dead_letterer.move(connection_, id, "max-deliveries", 6), DeadLetterer::Moved::moved);
    auto letters = dead_letters();
    ASSERT_EQ(letters.size(), 1u);
    EXPECT_EQ(letters[0].fields, (Fields{{"source_id", id},
                                         {"group", group},
                                         {"reason", "max-deliveries"},
                                         {"deliveries", "6"},
                                         {"consumer", consumer}}));
    EXPECT_TRUE(pending_ids().empty());
}

// ---------------------------------------------------------------------------------------------
// ConsumerSweeper

class ConsumerSweeperTest : public DeadLetterTest {
  protected:
    void create_consumer(const std::string& name) {
        ASSERT_EQ(integer(connection_, {"XGROUP", "CREATECONSUMER", keys_.stream(), group, name}),
                  1);
    }

    std::set<std::string> consumers() {
        std::set<std::string> names;
        for (const auto& info : sh::redis::xinfo_consumers(connection_, keys_.stream(), group)) {
            names.insert(info.name);
        }
        return names;
    }

    std::int64_t idle_ms_of(const std::string& name) {
        for (const auto& info : sh::redis::xinfo_consumers(connection_, keys_.stream(), group)) {
            if (info.name == name) return info.idle_ms;
        }
        ADD_FAILURE() << "no consumer " << name;
        return -1;
    }

    // Idle time only grows: after this, every existing consumer has idled at least `ms`.
    static void idle_for(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

    const std::string self_ = "score-0-9";
};

TEST_F(ConsumerSweeperTest, RemovesIdleConsumersWithNothingPendingAndCountsThem) {
    for (const auto* name : {"score-0-1", "score-0-2", "score-1-1"}) create_consumer(name);
    create_consumer(self_);
    idle_for(30);
    ConsumerSweeper sweeper(keys_, group, self_);

    EXPECT_EQ(sweeper.sweep(connection_, 20), 3);
    EXPECT_EQ(consumers(), std::set<std::string>{self_});
    EXPECT_EQ(sweeper.sweep(connection_, 20), 0);
}

TEST_F(ConsumerSweeperTest, KeepsAConsumerWithPendingEntriesHoweverIdle) {
    auto id = add(order_fields(1));
    ASSERT_EQ(deliver("holder").size(), 1u);
    create_consumer("empty");
    ConsumerSweeper sweeper(keys_, group, self_);

    EXPECT_EQ(sweeper.sweep(connection_, 0), 1);
    EXPECT_EQ(consumers(), std::set<std::string>{"holder"});
    EXPECT_EQ(pending_ids(), std::vector<std::string>{id}) << "nothing it held was dropped";

    ASSERT_EQ(integer(connection_, {"XACK", keys_.stream(), group, id}), 1);
    EXPECT_EQ(sweeper.sweep(connection_, 0), 1);
    EXPECT_TRUE(consumers().empty());
}

TEST_F(ConsumerSweeperTest, KeepsItselfEvenIdleWithNothingPending) {
    create_consumer(self_);
    ConsumerSweeper sweeper(keys_, group, self_);

    EXPECT_EQ(sweeper.sweep(connection_, 0), 0);
    EXPECT_EQ(consumers(), std::set<std::string>{self_});
}

TEST_F(ConsumerSweeperTest, KeepsConsumersThatHaveNotIdledMinIdle) {
    create_consumer("score-0-1");
    create_consumer("score-0-2");
    ConsumerSweeper sweeper(keys_, group, self_);

    EXPECT_EQ(sweeper.sweep(connection_, 3'600'000), 0);
    EXPECT_EQ(consumers(), (std::set<std::string>{"score-0-1", "score-0-2"}));
}

TEST_F(ConsumerSweeperTest, RemovesAConsumerOnceItsIdleReachesMinIdleAndKeepsAFresherOne) {
    create_consumer("old");
    idle_for(500);
    create_consumer("fresh");
    // "old" has idled at least this long by the time the sweep runs; "fresh" was created
    // half a second after it, so it could reach this only if the next two commands took as long.
    auto old_idle_ms = idle_ms_of("old");
    ASSERT_GE(old_idle_ms, 500);
    ConsumerSweeper sweeper(keys_, group, self_);

    EXPECT_EQ(sweeper.sweep(connection_, old_idle_ms), 1);
    EXPECT_EQ(consumers(), std::set<std::string>{"fresh"});
}

TEST_F(ConsumerSweeperTest, AGroupWithoutConsumersSweepsNothing) {
    ConsumerSweeper sweeper(keys_, group, self_);
    EXPECT_EQ(sweeper.sweep(connection_, 0), 0);
}
