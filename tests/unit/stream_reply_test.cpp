// Decoding stream replies (streams.cpp) from reply trees hiredis reads out of RESP, as a
// connection gets them: the shapes Redis sends decode to their entries, any other is refused.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "harness/redis/reply.hpp"
#include "harness/redis/streams.hpp"
#include "tests/unit/resp.hpp"

using sh::redis::parse_entries;
using sh::redis::parse_read_reply;
using sh::redis::ReplyView;
using sh::testing::array;
using sh::testing::bulk;
using sh::testing::reply_of;

namespace {

const std::string nil = "*-1\r\n";

// One [id, fields] entry of an order.
std::string order_entry(const std::string& id, const std::string& orderno) {
    return array({bulk(id), array({bulk("run"), bulk("r1"), bulk("orderno"), bulk(orderno)})});
}

auto entries_of(const std::string& resp) {
    auto reply = reply_of(resp);
    return parse_entries(ReplyView(reply.get()));
}

auto read_reply_of(const std::string& resp) {
    auto reply = reply_of(resp);
    return parse_read_reply(ReplyView(reply.get()));
}

}  // namespace

TEST(StreamReply, DecodesAnXReadGroupBatch) {
    auto entries = read_reply_of(array(
        {array({bulk("ordermq"), array({order_entry("1-0", "1"), order_entry("1-1", "2")})})}));
    ASSERT_EQ(entries.size(), 2U);
    EXPECT_EQ(entries[1].id, "1-1");
    sh::redis::Fields expected{{"run", "r1"}, {"orderno", "2"}};
    EXPECT_EQ(entries[1].fields, expected);
}

TEST(StreamReply, NilIsATimeoutAndNilFieldsAnEntryDeletedWhilePending) {
    EXPECT_TRUE(read_reply_of(nil).empty());
    auto history = read_reply_of(array(
        {array({bulk("ordermq"), array({array({bulk("1-0"), nil}), order_entry("1-1", "2")})})}));
    ASSERT_EQ(history.size(), 2U);
    EXPECT_TRUE(history[0].fields.empty());
    EXPECT_EQ(history[1].fields.size(), 2U);
}

TEST(StreamReply, SkipsEntriesXClaimFoundDeleted) {
    auto entries = entries_of(array({nil, order_entry("1-1", "2")}));
    ASSERT_EQ(entries.size(), 1U);
    EXPECT_EQ(entries[0].id, "1-1");
}

// Found by tests/fuzz/stream_reply_fuzz: each of these decoded to entries (or to none) without a
// word, dropping fields or taking an error's text for an entry ID.
TEST(StreamReply, RefusesEntriesOfAnyOtherShape) {
    for (const auto& resp :
         {nil, std::string(":3\r\n"), std::string("-ERR no\r\n"), bulk("1-0"),
          array({array({bulk("1-0")})}), array({array({bulk("1-0"), array({bulk("run")})})}),
          array({array({bulk("1-0"), array({bulk("run"), ":1\r\n"})})}),
          array({array({std::string("-ERR x\r\n"), nil})}), array({array({bulk("1-0"), ":0\r\n"})}),
          array({array({bulk("1-0"), nil, bulk("extra")})})}) {
        EXPECT_THROW(entries_of(resp), std::runtime_error) << resp;
    }
}

TEST(StreamReply, RefusesAReadReplyOfAnyOtherShape) {
    auto stream = array({bulk("ordermq"), array({order_entry("1-0", "1")})});
    for (const auto& resp :
         {std::string("-NOGROUP no group\r\n"), std::string(":1\r\n"), array({stream, stream}),
          array({array({bulk("ordermq")})}), array({array({nil, array({})})})}) {
        EXPECT_THROW(read_reply_of(resp), std::runtime_error) << resp;
    }
}
