// Connections through Redis Sentinel against real servers (a primary, one replica and three
// Sentinels: EmbeddedTopology): finding the primary, following a failover, giving up on a demoted
// node, and the time every connection spends without a server.
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <string>
#include <thread>

#include "harness/errors.hpp"
#include "harness/os/net.hpp"
#include "harness/redis/connection.hpp"
#include "harness/redis/embedded_server.hpp"
#include "harness/redis/embedded_topology.hpp"
#include "harness/redis/script.hpp"
#include "harness/redis/sentinel.hpp"

using namespace std::chrono_literals;
using sh::RedisIoError;
using sh::RedisReplyError;
using sh::redis::Connection;
using sh::redis::EmbeddedTopology;
using sh::redis::Endpoint;
using sh::redis::ReplyView;

namespace {

sh::redis::TopologyOptions primary_replica_sentinels() {
    sh::redis::TopologyOptions options;
    options.replicas = 1;
    options.sentinels = 3;
    return options;
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

std::string role_of(Connection& connection) {
    auto reply = connection.command({"ROLE"});
    return std::string(ReplyView(reply.get()).element(0).text());
}

bool starts_with(const sh::redis::ReplyPtr& reply, const std::string& prefix) {
    ReplyView view(reply.get());
    return view.is_error() && view.text().substr(0, prefix.size()) == prefix;
}

// Waits (at most 10 s) until the server holds a client blocked in a command.
void await_blocked_client(Connection& admin) {
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < deadline) {
        auto reply = admin.command({"INFO", "clients"});
        if (!contains(std::string(ReplyView(reply.get()).text()), "blocked_clients:0")) return;
        std::this_thread::sleep_for(10ms);
    }
    FAIL() << "no client blocked within 10 s";
}

}  // namespace

TEST(SentinelConnection, LandsOnThePrimaryAndFollowsAGracefulFailover) {
    EmbeddedTopology topology(primary_replica_sentinels());
    const int first = topology.primary();
    auto endpoint = topology.client_endpoint();
    // Host and port point at the replica: only the Sentinels can lead to the primary.
    endpoint.port = topology.node_endpoint(topology.pick_replica()).port;

    Connection connection(endpoint, {});
    EXPECT_EQ(role_of(connection), "master");
    EXPECT_EQ(connection.endpoint().port, topology.node_endpoint(first).port);
    EXPECT_EQ(connection.outages(), 0);
    EXPECT_EQ(connection.primary_changes(), 0);
    EXPECT_EQ(connection.time_without_server(), 0ns);
    connection.command({"XADD", "sentinel:orders", "*", "n", "1"});

    auto change = topology.failover(60s);
    ASSERT_NE(change.new_primary, first);
    try {
        connection.command({"XADD", "sentinel:orders", "*", "n", "2"});
        FAIL() << "XADD on the demoted primary must fail";
    } catch (const RedisIoError& error) {
        EXPECT_EQ(error.command(), "XADD");
        EXPECT_EQ(error.key(), "sentinel:orders");
    }
    EXPECT_TRUE(connection.broken());
    EXPECT_EQ(connection.outages(), 1);

    connection.reconnect({});
    EXPECT_FALSE(connection.broken());
    EXPECT_EQ(role_of(connection), "master");
    EXPECT_EQ(connection.endpoint().port, topology.node_endpoint(change.new_primary).port);
    EXPECT_EQ(connection.primary_changes(), 1);
    EXPECT_EQ(connection.outages(), 1);
    auto without = connection.time_without_server();
    EXPECT_GT(without, 0ns);
    EXPECT_EQ(connection.time_without_server(), without);  // the outage has ended
    connection.command({"XADD", "sentinel:orders", "*", "n", "3"});

    // A Sentinel that does not know the master is skipped, and named.
    auto unknown = topology.client_endpoint();
    unknown.master_name = "no-such-master";
    try {
        sh::redis::resolve_primary(unknown, 1000ms);
        FAIL() << "no Sentinel knows no-such-master";
    } catch (const RedisIoError& error) {
        std::string what = error.what();
        for (const auto& sentinel : topology.sentinel_addresses()) {
            EXPECT_TRUE(contains(what, "127.0.0.1:" + std::to_string(sentinel.port) +
                                           ": does not know no-such-master"))
                << what;
        }
    }
}

TEST(SentinelConnection, ADemotedPrimaryRefusesAndBreaksTheConnection) {
    EmbeddedTopology topology(primary_replica_sentinels());
    const int old_primary = topology.primary();
    const int replica = topology.pick_replica();
    const std::string stream = "sentinel:demoted";
    auto endpoint = topology.client_endpoint();

    Connection producer(endpoint, {});
    Connection acker(endpoint, {});
    sh::redis::ConnectionOptions blocking;
    blocking.command_timeout = 15s;
    Connection reader(endpoint, blocking);
    Connection admin(topology.node_endpoint(old_primary), {});  // plain: today's rules
    producer.command({"XGROUP", "CREATE", stream, "g", "$", "MKSTREAM"});
    sh::redis::Script ack("ack", "return redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])");
    EXPECT_EQ(ReplyView(ack.run(acker, {stream}, {"g", "0-1"}).get()).integer(), 0);

    auto blocked = std::async(std::launch::async, [&] {
        return reader.command(
            {"XREADGROUP", "GROUP", "g", "c", "BLOCK", "12000", "STREAMS", stream, ">"});
    });
    await_blocked_client(admin);

    // Demote the primary as Sentinel would, but without killing its clients (as FAILOVER or a
    // manual REPLICAOF does): the connections stay open on a replica.
    Connection promoted(topology.node_endpoint(replica), {});
    promoted.command({"REPLICAOF", "NO", "ONE"});
    admin.command({"REPLICAOF", "127.0.0.1", std::to_string(promoted.endpoint().port)});

    // The blocked reader: -UNBLOCKED ... (master -> replica?), then the server closes.
    try {
        blocked.get();
        FAIL() << "the blocked XREADGROUP must be unblocked by the demotion";
    } catch (const RedisIoError& error) {
        EXPECT_TRUE(contains(error.redis_message(), "UNBLOCKED")) << error.what();
    }
    EXPECT_TRUE(reader.broken());

    // A pipelined batch: every XADD refused (a value, not an exception), the connection broken
    // once the last reply is read.
    for (int i = 0; i < 3; ++i) producer.append({"XADD", stream, "*", "n", std::to_string(i)});
    auto first = producer.read_reply();
    EXPECT_TRUE(starts_with(first, "READONLY")) << ReplyView(first.get()).describe_type();
    EXPECT_FALSE(producer.broken());
    EXPECT_EQ(producer.appended(), 2u);
    EXPECT_TRUE(starts_with(producer.read_reply(), "READONLY"));
    EXPECT_TRUE(starts_with(producer.read_reply(), "READONLY"));
    EXPECT_TRUE(producer.broken());
    EXPECT_EQ(producer.outages(), 1);
    EXPECT_GT(producer.time_without_server(), 0ns);

    // EVALSHA of a script calling XACK: "READONLY You can't write against a read only replica.
    // script: <sha>, on @user_script:1." in Redis 7.0; the same rule applies.
    try {
        ack.run(acker, {stream}, {"g", "0-1"});
        FAIL() << "the ack script must be refused on a replica";
    } catch (const RedisIoError& error) {
        EXPECT_EQ(error.command(), "EVALSHA");
        EXPECT_TRUE(contains(error.redis_message(), "READONLY")) << error.what();
    }
    EXPECT_TRUE(acker.broken());

    // Without Sentinel, today's behaviour: the error is a reply, the connection stays.
    EXPECT_THROW(admin.command({"XADD", stream, "*", "n", "x"}), RedisReplyError);
    admin.append({"XADD", stream, "*", "n", "y"});
    EXPECT_TRUE(starts_with(admin.read_reply(), "READONLY"));
    EXPECT_FALSE(admin.broken());
    EXPECT_EQ(admin.outages(), 0);

    // A new connection never stays on a replica: the Sentinels may still name the old node.
    try {
        Connection fresh(endpoint, {});
        EXPECT_EQ(role_of(fresh), "master");
    } catch (const RedisIoError& error) {
        EXPECT_TRUE(contains(error.redis_message(), "is a replica, not the primary of " +
                                                        std::string(EmbeddedTopology::master_name)))
            << error.what();
    }
}

TEST(SentinelConnection, NoSentinelAnsweringNamesEverySentinelTried) {
    sh::redis::EmbeddedServer not_a_sentinel{sh::redis::EmbeddedServerOptions{}};
    const int nobody = sh::os::free_loopback_port();
    Endpoint endpoint;
    endpoint.sentinels = {{"127.0.0.1", nobody}, {"127.0.0.1", not_a_sentinel.port()}};
    endpoint.master_name = "orders";
    endpoint.user = "app";
    endpoint.password = "topsecret";
    try {
        Connection connection(endpoint, {});
        FAIL() << "no Sentinel is reachable";
    } catch (const RedisIoError& error) {
        std::string what = error.what();
        EXPECT_TRUE(contains(what, "127.0.0.1:" + std::to_string(nobody) + ": cannot reach"))
            << what;
        EXPECT_TRUE(contains(
            what, "127.0.0.1:" + std::to_string(not_a_sentinel.port()) + ": ERR unknown command"))
            << what;
        EXPECT_TRUE(contains(what, "orders")) << what;
        EXPECT_FALSE(contains(what, "topsecret")) << what;
    }
}

TEST(SentinelConnection, APlainConnectionCountsItsTimeWithoutServer) {
    sh::redis::EmbeddedServer server{sh::redis::EmbeddedServerOptions{}};
    Connection connection(server.endpoint(), {});
    server.restart(true, [&] {
        EXPECT_THROW(connection.command({"PING"}), RedisIoError);
        EXPECT_TRUE(connection.broken());
        EXPECT_EQ(connection.outages(), 1);
        EXPECT_GT(connection.time_without_server(), 0ns);
    });
    connection.reconnect({});
    EXPECT_EQ(ReplyView(connection.command({"PING"}).get()).text(), "PONG");
    auto without = connection.time_without_server();
    EXPECT_GT(without, 0ns);
    EXPECT_EQ(connection.time_without_server(), without);
    EXPECT_EQ(connection.outages(), 1);
    EXPECT_EQ(connection.primary_changes(), 0);
}
