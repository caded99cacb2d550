// The cluster layer's pure functions: CRC16 and key slots (expected values from CLUSTER KEYSLOT
// on redis-server 7.0.15), CLUSTER SLOTS replies as Redis 7.0 writes them, MOVED/ASK errors,
// the command table and RESP commands read back.
#include "harness/redis/cluster_slots.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "harness/redis/command_buffer.hpp"
#include "harness/redis/command_keys.hpp"
#include "tests/unit/resp.hpp"

using sh::redis::Args;
using sh::redis::command_traits;
using sh::redis::key_slot;
using sh::redis::parse_cluster_slots;
using sh::redis::parse_redirect;
using sh::redis::Redirect;
using sh::redis::ReplyView;
using sh::testing::array;
using sh::testing::bulk;
using sh::testing::integer;
using sh::testing::reply_of;

namespace {

// [ip, port, id, {metadata}] as Redis 7.0 writes a node (RESP2: the metadata is an array).
std::string node(const std::string& ip, int port, const std::string& id) {
    return array({bulk(ip), integer(port), bulk(id), array({})});
}

std::string key_of_command(const Args& args) {
    auto traits = command_traits(args);
    return traits.key ? std::string(*traits.key) : "(none)";
}

}  // namespace

TEST(ClusterSlots, Crc16IsXmodemAsTheSpecificationsTestVector) {
    EXPECT_EQ(sh::redis::crc16("123456789"), 0x31C3);
    EXPECT_EQ(sh::redis::crc16(""), 0);
}

TEST(ClusterSlots, KeySlotsAreThoseRedisComputes) {
    EXPECT_EQ(key_slot("foo"), 12182);
    EXPECT_EQ(key_slot("bar"), 5061);
    EXPECT_EQ(key_slot("123456789"), 12739);
    EXPECT_EQ(key_slot(""), 0);
    EXPECT_EQ(key_slot("sh:{run1}:stream"), 4786);
}

TEST(ClusterSlots, HashTagsAreTheFirstNonEmptyBraces) {
    EXPECT_EQ(key_slot("{user1000}.following"), 3443);
    EXPECT_EQ(key_slot("{user1000}.followers"), 3443);
    // The first '{' and the first '}' after it; an empty tag hashes the whole key.
    EXPECT_EQ(key_slot("foo{bar}{zap}"), key_slot("bar"));
    EXPECT_EQ(key_slot("foo{}{bar}"), 8363);
    EXPECT_EQ(key_slot("foo{{bar}}zap"), 4015);
    EXPECT_EQ(key_slot("{}"), 15257);
    EXPECT_EQ(key_slot("a{b"), 13340);
}

TEST(ClusterSlots, ReadsRangesAndPrimariesOfRedis70) {
    auto reply = reply_of(array({
        array(
            {integer(0), integer(5460), node("10.0.0.1", 7000, "a"), node("10.0.0.4", 7003, "d")}),
        array({integer(5461), integer(10922), node("10.0.0.2", 7001, "b")}),
        array({integer(10923), integer(16383), node("10.0.0.3", 7002, "c")}),
    }));
    auto ranges = parse_cluster_slots(ReplyView(reply.get()), "seed");
    ASSERT_EQ(ranges.size(), 3u);
    EXPECT_EQ(ranges[0].first, 0);
    EXPECT_EQ(ranges[0].last, 5460);
    EXPECT_EQ(ranges[0].primary.host, "10.0.0.1");
    EXPECT_EQ(ranges[0].primary.port, 7000);
    EXPECT_EQ(ranges[2].first, 10923);
    EXPECT_EQ(ranges[2].last, 16383);
    EXPECT_EQ(ranges[2].primary.port, 7002);
}

TEST(ClusterSlots, AnEmptyIpIsTheHostWeReachedAndAnUnknownEndpointIsLeftOut) {
    // What a node that never met another answers: its own ip is not known to it.
    auto reply = reply_of(array({
        array({integer(0), integer(5000), node("", 17399, "a")}),
        array({integer(5001), integer(9000), node("?", 17400, "b")}),
    }));
    auto ranges = parse_cluster_slots(ReplyView(reply.get()), "127.0.0.1");
    ASSERT_EQ(ranges.size(), 1u);
    EXPECT_EQ(ranges[0].primary.host, "127.0.0.1");
    EXPECT_EQ(ranges[0].primary.port, 17399);
}

TEST(ClusterSlots, RefusesRepliesOfAnotherShape) {
    for (const auto& resp :
         {bulk("nope"), array({integer(0)}), array({array({integer(0), integer(1), bulk("x")})}),
          array({array({integer(5), integer(1), node("h", 1, "a")})}),
          array({array({integer(0), integer(16384), node("h", 1, "a")})})}) {
        auto reply = reply_of(resp);
        EXPECT_THROW(parse_cluster_slots(ReplyView(reply.get()), "h"), std::runtime_error) << resp;
    }
}

TEST(ClusterSlots, ReadsMovedAndAskRedirections) {
    auto moved = parse_redirect("MOVED 3999 127.0.0.1:6381", "seed");
    EXPECT_EQ(moved.kind, Redirect::Kind::moved);
    EXPECT_EQ(moved.slot, 3999);
    EXPECT_EQ(moved.target.host, "127.0.0.1");
    EXPECT_EQ(moved.target.port, 6381);
    auto ask = parse_redirect("ASK 12182 ::1:7002", "seed");
    EXPECT_EQ(ask.kind, Redirect::Kind::ask);
    EXPECT_EQ(ask.target.host, "::1");
    EXPECT_EQ(ask.target.port, 7002);
    EXPECT_EQ(parse_redirect("MOVED 1 :7005", "10.1.1.1").target.host, "10.1.1.1");
    for (const char* other : {"WRONGTYPE Operation", "MOVED", "MOVED x h:1", "MOVED 1 h:0",
                              "MOVED 16384 h:1", "ASK 1 nohostport", "TRYAGAIN Multiple keys"}) {
        EXPECT_EQ(parse_redirect(other, "seed").kind, Redirect::Kind::none) << other;
    }
}

TEST(ClusterCommands, KeysAreWhereEachCommandTakesThem) {
    EXPECT_EQ(key_of_command({"XADD", "s", "*", "f", "v"}), "s");
    EXPECT_EQ(key_of_command({"get", "k"}), "k");
    EXPECT_EQ(key_of_command({"XGROUP", "CREATE", "s", "g", "0"}), "s");
    EXPECT_EQ(key_of_command({"XINFO", "GROUPS", "s"}), "s");
    EXPECT_EQ(key_of_command({"XREADGROUP", "GROUP", "g", "c", "COUNT", "5", "STREAMS", "s", ">"}),
              "s");
    EXPECT_EQ(key_of_command({"XREAD", "COUNT", "1", "streams", "a", "b", "0", "0"}), "a");
    // A group or consumer may be named "streams": the key is still after the keyword.
    EXPECT_EQ(key_of_command({"XREADGROUP", "GROUP", "streams", "c", "STREAMS", "s", ">"}), "s");
    EXPECT_EQ(key_of_command({"XREADGROUP", "GROUP", "g", "STREAMS", "NOACK", "STREAMS", "s", ">"}),
              "s");
    EXPECT_EQ(key_of_command({"EVALSHA", "sha", "2", "k1", "k2", "arg"}), "k1");
    EXPECT_EQ(key_of_command({"EVAL", "return 1", "0", "arg"}), "(none)");
    EXPECT_EQ(key_of_command({"WAIT", "1", "100"}), "(none)");
    EXPECT_EQ(key_of_command({"PING"}), "(none)");
    EXPECT_EQ(key_of_command({"ZADD", "z", "1", "m"}), "(none)");  // not in the table
    EXPECT_FALSE(command_traits({"ZADD", "z", "1", "m"}).known);
}

TEST(ClusterCommands, OnlyIdempotentCommandsMayBeSentAgain) {
    EXPECT_TRUE(command_traits({"GET", "k"}).idempotent);
    EXPECT_TRUE(command_traits({"SET", "k", "v"}).idempotent);
    EXPECT_TRUE(command_traits({"XACK", "s", "g", "1-1"}).idempotent);
    EXPECT_FALSE(command_traits({"XADD", "s", "*", "f", "v"}).idempotent);
    EXPECT_FALSE(command_traits({"INCR", "k"}).idempotent);
    EXPECT_FALSE(command_traits({"EVALSHA", "sha", "1", "k"}).idempotent);
    EXPECT_FALSE(command_traits({"XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"}).idempotent);
    // Sent again after a lost reply, they answer the second run's count.
    EXPECT_FALSE(command_traits({"XTRIM", "s", "MAXLEN", "10"}).idempotent);
    EXPECT_FALSE(command_traits({"XDEL", "s", "1-1"}).idempotent);
}

TEST(ClusterCommands, ScriptLoadFlushAndConfigSetGoToEveryPrimary) {
    EXPECT_TRUE(command_traits({"SCRIPT", "LOAD", "return 1"}).every_primary);
    EXPECT_TRUE(command_traits({"script", "flush"}).every_primary);
    EXPECT_TRUE(command_traits({"CONFIG", "SET", "maxmemory", "0"}).every_primary);
    EXPECT_FALSE(command_traits({"SCRIPT", "EXISTS", "sha"}).every_primary);
    EXPECT_FALSE(command_traits({"CONFIG", "GET", "maxmemory"}).every_primary);
    EXPECT_FALSE(command_traits({"SCRIPT"}).every_primary);
}

TEST(ClusterCommands, EncodedCommandsHaveTheTraitsOfTheirArguments) {
    sh::redis::CommandBuffer buffer;
    buffer.begin(7);
    for (const char* arg : {"XREADGROUP", "GROUP", "streams", "c", "STREAMS", "s", ">"})
        buffer.arg(std::string_view(arg));
    std::vector<std::string_view> words;
    EXPECT_EQ(sh::redis::scan_command(buffer.data(), words), buffer.data().size());
    auto traits = command_traits(words);
    ASSERT_TRUE(traits.key);
    EXPECT_EQ(*traits.key, "s");
    EXPECT_FALSE(traits.idempotent);
}

TEST(ClusterCommands, DecodesWhatACommandBufferEncoded) {
    sh::redis::CommandBuffer buffer;
    buffer.begin(3);
    buffer.arg(std::string_view("SET"));
    buffer.arg(std::string_view("k\r\n"));
    buffer.arg(std::int64_t{-42});
    buffer.begin(2);
    buffer.arg(std::string_view("GET"));
    buffer.filler(5, 'x');
    auto commands = sh::redis::decode_commands(buffer.data());
    ASSERT_EQ(commands.size(), 2u);
    EXPECT_EQ(commands[0], (Args{"SET", "k\r\n", "-42"}));
    EXPECT_EQ(commands[1], (Args{"GET", "xxxxx"}));
    EXPECT_TRUE(sh::redis::decode_commands("").empty());
    for (const char* bad : {"+OK\r\n", "*1\r\n$3\r\nGE", "*1\r\n$x\r\nGET\r\n", "*1\r\n:1\r\n"}) {
        EXPECT_THROW(sh::redis::decode_commands(bad), std::invalid_argument) << bad;
    }
}
