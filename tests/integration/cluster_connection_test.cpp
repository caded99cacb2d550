// The cluster-aware Connection against real Redis Clusters (EmbeddedCluster): detection from a
// node's plain URL, keys routed to their owners, pipelines split by node, ASK during a slot
// migration and MOVED after it, scripts on every primary, failovers and a dead primary.
#include <gtest/gtest.h>

#include <chrono>
#include <exception>
#include <map>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>

#include "harness/errors.hpp"
#include "harness/redis/cluster_slots.hpp"
#include "harness/redis/embedded_cluster.hpp"
#include "harness/redis/script.hpp"
#include "tests/support/redis_fixture.hpp"

using namespace std::chrono_literals;
using sh::RedisError;
using sh::RedisReplyError;
using sh::redis::ClusterMode;
using sh::redis::ClusterOptions;
using sh::redis::Connection;
using sh::redis::EmbeddedCluster;
using sh::redis::Endpoint;
using sh::redis::ReplyView;

namespace {

std::string host_port(const Endpoint& endpoint) {
    return endpoint.host + ":" + std::to_string(endpoint.port);
}

// What a user would pass: one node's plain redis:// URL, cluster mode left automatic.
Endpoint url_of(const Endpoint& node) {
    return sh::redis::parse_url("redis://" + host_port(node));
}

// One node only, never routed.
Connection direct(const std::string& node) {
    auto endpoint = sh::redis::parse_url("redis://" + node);
    endpoint.cluster = ClusterMode::off;
    return Connection(endpoint, {});
}

std::string text(Connection& connection, const sh::redis::Args& args) {
    auto reply = connection.command(args);
    ReplyView view(reply.get());
    return view.is_nil() ? "(nil)" : std::string(view.text());
}

ClusterOptions options(int primaries, int replicas_per_primary) {
    ClusterOptions result;
    result.primaries = primaries;
    result.replicas_per_primary = replicas_per_primary;
    result.node_timeout = 1000ms;
    return result;
}

// The owner of the key's slot as the cluster itself says: CLUSTER KEYSLOT, then CLUSTER NODES.
std::string owner_of(EmbeddedCluster& cluster, const std::string& key) {
    auto seed = direct(host_port(cluster.seed()));
    auto reply = seed.command({"CLUSTER", "KEYSLOT", key});
    return host_port(cluster.primary_for_slot(static_cast<int>(ReplyView(reply.get()).integer())));
}

// "<prefix>N" for the first N whose slot the given primary owns.
std::string key_on(EmbeddedCluster& cluster, const std::string& primary,
                   const std::string& prefix) {
    for (int i = 0;; ++i) {
        auto key = prefix + std::to_string(i);
        if (owner_of(cluster, key) == primary) return key;
    }
}

std::vector<std::string> primaries_of(EmbeddedCluster& cluster) {
    std::vector<std::string> primaries;
    for (const auto& node : cluster.nodes()) {
        if (node.primary && !node.failed) primaries.push_back(node.host_port());
    }
    return primaries;
}

std::string replica_of(EmbeddedCluster& cluster, const std::string& primary) {
    auto id = cluster.node_id_at(primary);
    for (const auto& node : cluster.nodes()) {
        if (!node.primary && node.primary_id == id) return node.host_port();
    }
    return "";
}

// A slot to move: the one of the tag, its owner and another primary.
struct SlotMove {
    int slot;
    std::string source;
    std::string target;
};

SlotMove move_of(EmbeddedCluster& cluster, const std::string& tag) {
    SlotMove move{sh::redis::key_slot(tag), owner_of(cluster, tag), ""};
    for (const auto& primary : primaries_of(cluster)) {
        if (primary != move.source) move.target = primary;
    }
    return move;
}

class ClusterConnection : public ::testing::Test {
  public:
    static void SetUpTestSuite() { cluster_ = std::make_unique<EmbeddedCluster>(options(3, 0)); }
    static void TearDownTestSuite() { cluster_.reset(); }

  protected:
    static EmbeddedCluster& cluster() { return *cluster_; }
    static Connection connect() { return Connection(url_of(cluster().seed()), {}); }

  private:
    static std::unique_ptr<EmbeddedCluster> cluster_;
};

std::unique_ptr<EmbeddedCluster> ClusterConnection::cluster_;

}  // namespace

TEST_F(ClusterConnection, APlainUrlOfOneNodeIsDetectedAsTheCluster) {
    auto connection = connect();
    EXPECT_TRUE(connection.cluster());
    std::set<std::string> found;
    for (const auto& primary : connection.primaries()) found.insert(host_port(primary));
    auto expected = primaries_of(cluster());
    EXPECT_EQ(found, std::set<std::string>(expected.begin(), expected.end()));
}

TEST_F(ClusterConnection, ReconnectDropsThePipelineAndReloadsTheMap) {
    auto connection = connect();
    connection.command({"SET", "reconnect:key", "v"});
    auto before = connection.cluster_counters().map_refreshes;
    connection.append({"GET", "reconnect:key"});
    connection.reconnect({});
    EXPECT_EQ(connection.appended(), 0u);
    EXPECT_FALSE(connection.broken());
    EXPECT_EQ(connection.cluster_counters().map_refreshes, before + 1);
    EXPECT_EQ(text(connection, {"GET", "reconnect:key"}), "v");
}

TEST_F(ClusterConnection, ClusterNoDoesNotRouteSoMovedIsAnError) {
    auto seed = host_port(cluster().seed());
    auto elsewhere = key_on(cluster(),
                            primaries_of(cluster()).back() == seed ? primaries_of(cluster()).front()
                                                                   : primaries_of(cluster()).back(),
                            "unrouted:");
    auto connection = direct(seed);
    EXPECT_FALSE(connection.cluster());
    try {
        connection.command({"SET", elsewhere, "x"});
        FAIL() << "a node that does not own the key must refuse it";
    } catch (const RedisReplyError& error) {
        EXPECT_EQ(error.redis_message().rfind("MOVED ", 0), 0u) << error.what();
    }
    EXPECT_EQ(connection.cluster_counters().moved, 0);
}

TEST_F(ClusterConnection, ClusterYesOnANodeThatIsNoClusterIsRefused) {
    sh::redis::EmbeddedServer plain(sh::redis::EmbeddedServerOptions{});
    auto endpoint = plain.endpoint();
    endpoint.cluster = ClusterMode::on;
    try {
        Connection connection(endpoint, {});
        FAIL() << "cluster=yes must refuse a single node";
    } catch (const RedisReplyError& error) {
        EXPECT_NE(std::string(error.what()).find("not a cluster node"), std::string::npos)
            << error.what();
    }
    endpoint.cluster = ClusterMode::automatic;
    EXPECT_FALSE(Connection(endpoint, {}).cluster());
}

TEST_F(ClusterConnection, KeysInManySlotsAreWrittenToAndReadFromTheirOwners) {
    auto connection = connect();
    std::map<std::string, int> per_owner;
    for (int i = 0; i < 120; ++i) {
        auto key = "spread:" + std::to_string(i);
        connection.command({"SET", key, "v" + std::to_string(i)});
        auto owner = owner_of(cluster(), key);
        EXPECT_EQ(host_port(connection.node_for_key(key)), owner) << key;
        ++per_owner[owner];
        auto on_owner = direct(owner);
        EXPECT_EQ(text(on_owner, {"GET", key}), "v" + std::to_string(i)) << key;
    }
    EXPECT_EQ(per_owner.size(), 3u);
    for (int i = 0; i < 120; ++i) {
        auto key = "spread:" + std::to_string(i);
        EXPECT_EQ(text(connection, {"GET", key}), "v" + std::to_string(i)) << key;
    }
}

TEST_F(ClusterConnection, KeysOfTwoSlotsInOneCommandGetTheServersCrossslot) {
    auto connection = connect();
    ASSERT_NE(sh::redis::key_slot("cross:a"), sh::redis::key_slot("cross:b"));
    try {
        connection.command({"EXISTS", "cross:a", "cross:b"});
        FAIL() << "keys of two slots in one command must be refused";
    } catch (const RedisReplyError& error) {
        EXPECT_EQ(error.redis_message().rfind("CROSSSLOT", 0), 0u) << error.what();
        EXPECT_EQ(error.key(), "cross:a");
    }
    EXPECT_FALSE(connection.broken());
    EXPECT_EQ(ReplyView(connection.command({"EXISTS", "{cross}a", "{cross}b"}).get()).integer(), 0);
}

TEST_F(ClusterConnection, APipelineOfXaddsOnEveryPrimaryAnswersInOrder) {
    auto connection = connect();
    std::vector<std::string> streams;
    for (const auto& primary : primaries_of(cluster())) {
        streams.push_back(key_on(cluster(), primary, "pipe:stream:"));
        connection.command({"DEL", streams.back()});
    }
    sh::redis::CommandBuffer encoded;
    for (int i = 1; i <= 30; ++i) {
        const auto& stream = streams[static_cast<std::size_t>(i) % streams.size()];
        auto id = std::to_string(i) + "-1";
        if (i % 2 == 0) {
            connection.append({"XADD", stream, id, "n", std::to_string(i)});
        } else {
            encoded.clear();
            encoded.begin(5);
            for (const auto& arg : {std::string("XADD"), stream, id, std::string("n"), id}) {
                encoded.arg(std::string_view(arg));
            }
            connection.append(encoded);
        }
    }
    EXPECT_EQ(connection.appended(), 30u);
    for (int i = 1; i <= 30; ++i) {
        auto reply = connection.read_reply();
        EXPECT_EQ(ReplyView(reply.get()).text(), std::to_string(i) + "-1");
    }
    EXPECT_EQ(connection.appended(), 0u);
    for (const auto& stream : streams) {
        EXPECT_EQ(ReplyView(connection.command({"XLEN", stream}).get()).integer(), 10) << stream;
    }
}

TEST_F(ClusterConnection, AskDuringAMigrationAndMovedAfterIt) {
    auto connection = connect();
    const std::string tag = "{migrating}";
    auto [slot, source, target] = move_of(cluster(), tag);
    for (const char* name : {"a", "b", "c"}) connection.command({"SET", tag + name, name});

    cluster().begin_slot_migration(slot, target);
    EXPECT_EQ(cluster().migrate_slot_keys(slot), 3u);
    auto before = connection.cluster_counters();
    for (const char* name : {"a", "b", "c"}) EXPECT_EQ(text(connection, {"GET", tag + name}), name);
    connection.command({"SET", tag + "d", "d"});
    auto during = connection.cluster_counters();
    EXPECT_GT(during.ask, before.ask);
    EXPECT_EQ(host_port(connection.node_for_key(tag + "a")), source);  // ASK leaves the map

    cluster().finish_slot_migration(slot);
    EXPECT_EQ(text(connection, {"GET", tag + "d"}), "d");
    auto after = connection.cluster_counters();
    EXPECT_GT(after.moved, during.moved);
    EXPECT_GT(after.map_refreshes, during.map_refreshes);
    EXPECT_EQ(host_port(connection.node_for_key(tag + "a")), target);
    auto on_target = direct(target);
    EXPECT_EQ(text(on_target, {"GET", tag + "a"}), "a");
}

TEST_F(ClusterConnection, AScriptOnTwoKeysOfOneSlotIsLoadedEverywhereAndReloaded) {
    auto connection = connect();
    const std::string source =
        "redis.call('SET', KEYS[1], ARGV[1]) redis.call('SET', KEYS[2], ARGV[1]) return 2";
    sh::redis::Script script("two-keys", source);
    connection.command({"SCRIPT", "FLUSH"});
    auto written = script.run(connection, {"{script}one", "{script}two"}, {"x"});
    EXPECT_EQ(ReplyView(written.get()).integer(), 2);
    EXPECT_EQ(text(connection, {"GET", "{script}two"}), "x");

    auto any = direct(primaries_of(cluster()).front());
    auto sha = text(any, {"EVAL", "return redis.sha1hex(ARGV[1])", "0", source});
    for (const auto& primary : primaries_of(cluster())) {
        auto node = direct(primary);
        auto exists = node.command({"SCRIPT", "EXISTS", sha});
        EXPECT_EQ(ReplyView(exists.get()).element(0).integer(), 1) << primary;
    }

    // The slot moves to a primary that lost its scripts: NOSCRIPT there, reloaded, run again.
    auto [slot, old_owner, new_owner] = move_of(cluster(), "{script}");
    direct(new_owner).command({"SCRIPT", "FLUSH"});
    cluster().migrate_slot(slot, new_owner);
    auto again = script.run(connection, {"{script}one", "{script}two"}, {"y"});
    EXPECT_EQ(ReplyView(again.get()).integer(), 2);
    auto on_new_owner = direct(new_owner);
    EXPECT_EQ(text(on_new_owner, {"GET", "{script}one"}), "y");
    EXPECT_EQ(text(on_new_owner, {"GET", "{script}two"}), "y");
}

TEST_F(ClusterConnection, RedirectionsInsideAPipelineAreResolvedInPlace) {
    auto connection = connect();
    const std::string tag = "{piped}";
    auto [slot, source, target] = move_of(cluster(), tag);
    auto other = key_on(cluster(), target, "piped:other:");
    connection.command({"SET", tag + "a", "1"});
    connection.command({"SET", tag + "b", "2"});
    connection.command({"SET", other, "o"});
    auto pipeline_reads_back = [&] {
        for (const auto& key : {tag + "a", other, tag + "b"}) connection.append({"GET", key});
        for (const char* expected : {"1", "o", "2"}) {
            auto reply = connection.read_reply();
            EXPECT_EQ(ReplyView(reply.get()).text(), expected);
        }
        EXPECT_EQ(connection.appended(), 0u);
    };

    cluster().begin_slot_migration(slot, target);
    cluster().migrate_slot_keys(slot);
    auto before = connection.cluster_counters();
    pipeline_reads_back();  // the source answers ASK for both tagged keys
    auto during = connection.cluster_counters();
    EXPECT_EQ(during.ask, before.ask + 2);

    cluster().finish_slot_migration(slot);
    pipeline_reads_back();  // now MOVED, and the map follows
    auto after = connection.cluster_counters();
    EXPECT_GT(after.moved, during.moved);
    EXPECT_GT(after.map_refreshes, during.map_refreshes);
    EXPECT_EQ(host_port(connection.node_for_key(tag + "a")), target);
}

TEST_F(ClusterConnection, TryagainDuringAMigrationIsWaitedOut) {
    auto connection = connect();
    const std::string tag = "{split}";
    auto [slot, source, target] = move_of(cluster(), tag);
    connection.command({"SET", tag + "a", "1"});
    connection.command({"SET", tag + "b", "2"});
    cluster().begin_slot_migration(slot, target);
    // Only one key moves: a command on both meets TRYAGAIN until the other follows.
    auto target_endpoint = sh::redis::parse_url("redis://" + target);
    direct(source).command({"MIGRATE", target_endpoint.host, std::to_string(target_endpoint.port),
                            "", "0", "5000", "KEYS", tag + "a"});
    std::exception_ptr failed;
    std::thread finisher([&] {
        try {
            // Once the source has refused with TRYAGAIN, the rest of the slot moves.
            auto observer = direct(source);
            auto deadline = std::chrono::steady_clock::now() + 30s;
            while (text(observer, {"INFO", "errorstats"}).find("errorstat_TRYAGAIN") ==
                   std::string::npos) {
                if (std::chrono::steady_clock::now() > deadline) {
                    throw std::runtime_error("the source never answered TRYAGAIN");
                }
                std::this_thread::sleep_for(5ms);
            }
            cluster().migrate_slot_keys(slot);
            cluster().finish_slot_migration(slot);
        } catch (...) {
            failed = std::current_exception();
        }
    });
    auto both = connection.command({"EXISTS", tag + "a", tag + "b"});
    finisher.join();
    if (failed) std::rethrow_exception(failed);
    EXPECT_EQ(ReplyView(both.get()).integer(), 2);
    EXPECT_GT(connection.cluster_counters().tryagain, 0);
}

TEST(ClusterConnectionFailover, CommandsSucceedAfterAForcedFailover) {
    EmbeddedCluster cluster(options(3, 1));
    Connection connection(url_of(cluster.seed()), {});
    auto primary = primaries_of(cluster).front();
    auto key = key_on(cluster, primary, "failover:");
    connection.command({"SET", key, "before"});
    // WAIT goes to the node of the last keyed command: the key's primary.
    EXPECT_EQ(ReplyView(connection.command({"WAIT", "1", "5000"}).get()).integer(), 1);
    auto replica = replica_of(cluster, primary);
    cluster.failover(replica, EmbeddedCluster::FailoverMode::force, 20s);

    EXPECT_EQ(text(connection, {"GET", key}), "before");
    connection.command({"SET", key, "after"});
    EXPECT_EQ(text(connection, {"GET", key}), "after");
    EXPECT_GT(connection.cluster_counters().moved, 0);
    EXPECT_EQ(host_port(connection.node_for_key(key)), replica);
}

TEST(ClusterConnectionFailover, CommandsSucceedAfterAPrimaryIsKilled) {
    EmbeddedCluster cluster(options(3, 1));
    auto primary = primaries_of(cluster).back();  // not the seed
    auto replica = replica_of(cluster, primary);
    Connection connection(url_of(cluster.seed()), {});
    auto key = key_on(cluster, primary, "killed:");
    connection.command({"SET", key, "kept"});
    EXPECT_EQ(ReplyView(connection.command({"WAIT", "1", "5000"}).get()).integer(), 1);
    cluster.kill_node(primary);

    // GET and SET are idempotent: sent again until the replica has taken over.
    EXPECT_EQ(text(connection, {"GET", key}), "kept");
    connection.command({"SET", key, "new"});
    EXPECT_EQ(text(connection, {"GET", key}), "new");
    EXPECT_EQ(host_port(connection.node_for_key(key)), replica);
    EXPECT_GT(connection.outages(), 0);
    EXPECT_GT(connection.time_without_server().count(), 0);
    // An XADD is not sent twice, but one that never reached the dead node goes to its heir.
    connection.command({"XADD", key + ":stream", "1-1", "n", "1"});
    EXPECT_EQ(ReplyView(connection.command({"XLEN", key + ":stream"}).get()).integer(), 1);
}

TEST(ClusterConnectionFailover, AKilledPrimaryWithoutReplicaFailsNamingCommandKeyAndNode) {
    EmbeddedCluster cluster(options(3, 0));
    auto primary = primaries_of(cluster).back();
    Connection connection(url_of(cluster.seed()), {});
    auto key = key_on(cluster, primary, "orphan:");
    connection.command({"SET", key, "x"});
    cluster.kill_node(primary);
    try {
        connection.command({"SET", key, "y"});
        FAIL() << "a slot without a live owner cannot take writes";
    } catch (const RedisError& error) {
        std::string what = error.what();
        EXPECT_EQ(error.command(), "SET") << what;
        EXPECT_EQ(error.key(), key) << what;
        EXPECT_NE(what.find(primary), std::string::npos) << what;
    }
}
