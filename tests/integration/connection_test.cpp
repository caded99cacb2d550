// The Redis connection layer against a real server: pipelining, scripts, errors, AUTH/ACL,
// SELECT, reconnection.
#include <gtest/gtest.h>

#include <thread>

#include "harness/errors.hpp"
#include "harness/os/temp_dir.hpp"
#include "harness/redis/script.hpp"
#include "harness/redis/streams.hpp"
#include "tests/support/harness_process.hpp"
#include "tests/support/redis_fixture.hpp"

using sh::RedisIoError;
using sh::RedisReplyError;
using sh::redis::Connection;
using sh::redis::ReplyView;

class ConnectionTest : public sh::testing::RedisTest {};

TEST_F(ConnectionTest, PipelinedCommandsReturnRepliesInOrder) {
    auto connection = connect();
    connection.command({"DEL", "conn:pipeline"});
    for (int i = 0; i < 100; ++i) connection.append({"RPUSH", "conn:pipeline", std::to_string(i)});
    EXPECT_EQ(connection.appended(), 100u);
    for (int i = 0; i < 100; ++i) {
        auto reply = connection.read_reply();
        EXPECT_EQ(ReplyView(reply.get()).integer(), i + 1);
    }
    EXPECT_EQ(integer(connection, {"LLEN", "conn:pipeline"}), 100);
}

TEST_F(ConnectionTest, ErrorReplyCarriesCommandKeyAndRedisMessage) {
    auto connection = connect();
    connection.command({"SET", "conn:string", "x"});
    try {
        connection.command({"XADD", "conn:string", "*", "a", "1"});
        FAIL() << "XADD on a string must fail";
    } catch (const RedisReplyError& error) {
        EXPECT_EQ(error.command(), "XADD");
        EXPECT_EQ(error.key(), "conn:string");
        EXPECT_EQ(error.redis_message().rfind("WRONGTYPE", 0), 0u);
        EXPECT_NE(std::string(error.what()).find("XADD on conn:string: WRONGTYPE"),
                  std::string::npos);
    }
}

TEST_F(ConnectionTest, ErrorOfXreadgroupNamesTheStreamKey) {
    auto connection = connect();
    try {
        connection.command(
            {"XREADGROUP", "GROUP", "nogroup", "c", "STREAMS", "conn:nostream", ">"});
        FAIL() << "XREADGROUP without a group must fail";
    } catch (const RedisReplyError& error) {
        EXPECT_EQ(error.key(), "conn:nostream");
        EXPECT_EQ(error.redis_message().rfind("NOGROUP", 0), 0u);
    }
}

TEST_F(ConnectionTest, ScriptIsReloadedAfterScriptFlush) {
    auto connection = connect();
    sh::redis::Script script("echo", "return ARGV[1] .. KEYS[1]");
    auto first = script.run(connection, {"k"}, {"v"});
    EXPECT_EQ(ReplyView(first.get()).text(), "vk");
    connection.command({"SCRIPT", "FLUSH"});
    auto second = script.run(connection, {"k"}, {"w"});
    EXPECT_EQ(ReplyView(second.get()).text(), "wk");
}

TEST_F(ConnectionTest, ScriptErrorNamesTheScript) {
    auto connection = connect();
    sh::redis::Script script("broken", "return redis.call('NOSUCHCOMMAND')");
    try {
        script.run(connection, {"conn:key"}, {});
        FAIL() << "the script must fail";
    } catch (const RedisReplyError& error) {
        EXPECT_EQ(error.command(), "EVALSHA broken");
        EXPECT_EQ(error.key(), "conn:key");
    }
}

TEST_F(ConnectionTest, AclUserWithPasswordAuthenticatesAndWrongPasswordIsRejected) {
    auto admin = connect();
    admin.command({"ACL", "SETUSER", "harness", "on", ">s3cret", "~*", "+@all"});
    auto endpoint = server().endpoint();
    endpoint.user = "harness";
    endpoint.password = "s3cret";
    Connection authed(endpoint, {});
    EXPECT_EQ(text(authed, {"ACL", "WHOAMI"}), "harness");

    endpoint.password = "wrong";
    try {
        Connection refused(endpoint, {});
        FAIL() << "a wrong password must be refused";
    } catch (const RedisReplyError& error) {
        EXPECT_EQ(error.command(), "AUTH");
        EXPECT_EQ(std::string(error.what()).find("wrong"), std::string::npos)
            << "the password must not appear in errors";
        EXPECT_NE(error.redis_message().find("WRONGPASS"), std::string::npos);
    }
    admin.command({"ACL", "DELUSER", "harness"});
}

TEST_F(ConnectionTest, DatabaseFromUrlIsSelected) {
    auto endpoint = sh::redis::parse_url(url() + "/3");
    Connection db3(endpoint, {});
    db3.command({"SET", "conn:db", "three"});
    auto db0 = connect();
    EXPECT_EQ(integer(db0, {"EXISTS", "conn:db"}), 0);
    db0.command({"SELECT", "3"});
    EXPECT_EQ(text(db0, {"GET", "conn:db"}), "three");
    db0.command({"DEL", "conn:db"});
}

TEST_F(ConnectionTest, UnreachableServerIsAnIoErrorNamingTheAddress) {
    auto endpoint = sh::redis::parse_url("redis://127.0.0.1:1");
    try {
        sh::redis::ConnectionOptions options;
        options.connect_timeout = std::chrono::milliseconds(500);
        Connection connection(endpoint, options);
        FAIL() << "port 1 must be unreachable";
    } catch (const RedisIoError& error) {
        EXPECT_NE(std::string(error.what()).find("127.0.0.1:1"), std::string::npos);
    }
}

TEST_F(ConnectionTest, ReconnectsAfterTheServerKilledTheClient) {
    sh::redis::ConnectionOptions options;
    options.client_name = "conn-test-victim";
    Connection victim(server().endpoint(), options);
    auto admin = connect();
    EXPECT_GE(integer(admin, {"CLIENT", "KILL", "USER", "default", "SKIPME", "yes"}), 1);
    EXPECT_THROW(victim.command({"PING"}), RedisIoError);
    EXPECT_TRUE(victim.broken());
    victim.reconnect({});
    EXPECT_EQ(text(victim, {"PING"}), "PONG");
    EXPECT_EQ(text(victim, {"CLIENT", "GETNAME"}), "conn-test-victim");
}

TEST_F(ConnectionTest, CommandTimeoutIsAnIoError) {
    sh::redis::ConnectionOptions options;
    options.command_timeout = std::chrono::milliseconds(100);
    Connection connection(server().endpoint(), options);
    EXPECT_THROW(connection.command({"BLPOP", "conn:never", "2"}), RedisIoError);
}

TEST_F(ConnectionTest, CreateGroupToleratesBusyGroup) {
    auto connection = connect();
    connection.command({"DEL", "conn:stream"});
    EXPECT_TRUE(sh::redis::create_group(connection, "conn:stream", "g", "0"));
    EXPECT_FALSE(sh::redis::create_group(connection, "conn:stream", "g", "0"));
    EXPECT_EQ(integer(connection, {"XLEN", "conn:stream"}), 0);
}

TEST_F(ConnectionTest, UnixSocketUrlConnectsAndTheSeedRunPassesOverIt) {
    sh::os::TempDir dir("streamharness-unix");
    auto socket = (dir.path() / "redis.sock").string();
    auto server = sh::os::ChildProcess::spawn(
        {"redis-server", "--port", "0", "--unixsocket", socket, "--save", "", "--appendonly", "no",
         "--dir", dir.path().string()},
        {});
    auto endpoint = sh::redis::parse_url("unix://" + socket);
    bool ready = false;
    for (int i = 0; i < 200 && !ready; ++i) {
        try {
            Connection probe(endpoint, {});
            ready = text(probe, {"PING"}) == "PONG";
        } catch (const sh::RedisError&) {
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
    }
    ASSERT_TRUE(ready);
    auto run = sh::testing::run_harness({"run", sh::testing::workload_path("smoke.json"), "--redis",
                                         "unix://" + socket, "--set", "duration_s=1"});
    EXPECT_EQ(run.exit_code, 0) << run.err;
    EXPECT_EQ(run.report()["verdict"], "pass");
    server.terminate(std::chrono::seconds(5));
}
