// The seed scenario on a 3-primary Redis Cluster: a user's cluster reached through one node's
// plain URL, and an embedded one (topology.cluster). The stream's shards spread over the
// primaries, the verdict is whole, and what the run leaves or removes is read from each node.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <set>
#include <string>

#include "harness/redis/connection.hpp"
#include "harness/redis/embedded_cluster.hpp"
#include "harness/redis/streams.hpp"
#include "tests/support/harness_process.hpp"

namespace {

using sh::redis::Connection;
using sh::redis::EmbeddedCluster;
using sh::redis::ReplyView;
using sh::testing::run_harness;
using sh::testing::workload_path;

constexpr int shard_count = 6;

class ClusterRun : public ::testing::Test {
  public:
    static void SetUpTestSuite() {
        sh::redis::ClusterOptions options;
        options.primaries = 3;
        cluster_ = std::make_unique<EmbeddedCluster>(options);
    }
    static void TearDownTestSuite() { cluster_.reset(); }

  protected:
    static std::string seed_url() { return cluster_->seed().to_url(); }
    static Connection routed() {
        auto endpoint = cluster_->seed();
        endpoint.cluster = sh::redis::ClusterMode::on;
        return Connection(endpoint, {});
    }
    // Keys on every node, read from each one directly.
    static std::int64_t keys_on_nodes() {
        std::int64_t keys = 0;
        for (const auto& endpoint : cluster_->node_endpoints()) {
            Connection node(endpoint, {});
            keys += ReplyView(node.command({"DBSIZE"}).get()).integer();
        }
        return keys;
    }

    static std::unique_ptr<EmbeddedCluster> cluster_;
};

std::unique_ptr<EmbeddedCluster> ClusterRun::cluster_;

std::string shard_stream(const std::string& run_id, int shard) {
    return "sh:{" + run_id + ":ordermq:" + std::to_string(shard) + "}:stream";
}

std::vector<std::string> seed_scenario(std::vector<std::string> more) {
    std::vector<std::string> args{"run",   workload_path("orders.json"),
                                  "--set", "duration_s=3",
                                  "--set", "producers.rate=1500",
                                  "--set", "stream.shards=" + std::to_string(shard_count),
                                  "--set", "groups.0.consumers=6",
                                  "--set", "groups.1.consumers=6"};
    args.insert(args.end(), more.begin(), more.end());
    return args;
}

void expect_whole_verdict(const nlohmann::json& report) {
    EXPECT_EQ(report["verdict"], "pass");
    auto produced = report["summary"]["produced"]["ok"].get<std::int64_t>();
    EXPECT_GT(produced, 0);
    for (const char* group : {"score", "push"}) {
        SCOPED_TRACE(group);
        const auto& verdict = report["verification"][group];
        EXPECT_EQ(verdict["applied_ok"].get<std::int64_t>(), produced);
        EXPECT_EQ(verdict["lost"], 0);
        EXPECT_EQ(verdict["duplicated"], 0);
        EXPECT_EQ(verdict["pending_left"], 0);
    }
}

}  // namespace

TEST_F(ClusterRun, SeedScenarioOnAUsersClusterSpreadsItsShardsAndRemovesThemAfter) {
    const std::string run_id = "cluster-seed";
    auto run =
        run_harness(seed_scenario({"--redis", seed_url(), "--run-id", run_id, "--keep-keys"}));
    ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
    auto report = run.report();
    expect_whole_verdict(report);

    // Each shard's stream is on the primary that owns its slot, read there with a plain
    // connection; the shards sit on at least two primaries.
    auto connection = routed();
    std::set<std::string> primaries_used;
    std::int64_t entries = 0;
    for (int shard = 0; shard < shard_count; ++shard) {
        SCOPED_TRACE(shard);
        auto key = shard_stream(run_id, shard);
        auto owner = cluster_->primary_for_slot(static_cast<int>(
            ReplyView(connection.command({"CLUSTER", "KEYSLOT", key}).get()).integer()));
        Connection node(owner, {});
        auto length = ReplyView(node.command({"XLEN", key}).get()).integer();
        EXPECT_GT(length, 0);
        entries += length;
        primaries_used.insert(owner.host + ":" + std::to_string(owner.port));
        const auto& reported = report["cluster"]["shards"][static_cast<std::size_t>(shard)];
        EXPECT_EQ(reported["stream"], key);
        EXPECT_EQ(reported["primary_at_start"], owner.host + ":" + std::to_string(owner.port));
    }
    EXPECT_GE(primaries_used.size(), 2u);
    EXPECT_EQ(entries, report["summary"]["produced"]["ok"].get<std::int64_t>());
    EXPECT_EQ(report["cluster"]["primaries_at_start"].size(), 3u);
    // Nothing moved: the clients never met a redirection.
    EXPECT_EQ(report["cluster"]["retries"]["total"]["moved"], 0);
    EXPECT_EQ(report["cluster"]["retries"]["total"]["ask"], 0);

    auto verified = run_harness({"verify", "--redis", seed_url(), "--run-id", run_id, "--out",
                                 (run.out_dir / "verify").string()});
    EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;
    auto cleaned = run_harness({"cleanup", "--redis", seed_url(), "--run-id", run_id});
    EXPECT_EQ(cleaned.exit_code, 0) << cleaned.out << cleaned.err;
    EXPECT_EQ(keys_on_nodes(), 0);
}

TEST_F(ClusterRun, AnEmbeddedClusterRunsTheSeedScenario) {
    auto run = run_harness(seed_scenario({"--set", "topology.cluster.primaries=3"}));
    ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
    auto report = run.report();
    expect_whole_verdict(report);
    std::set<std::string> primaries_used;
    for (const auto& shard : report["cluster"]["shards"]) {
        primaries_used.insert(shard["primary_at_start"].get<std::string>());
    }
    EXPECT_GE(primaries_used.size(), 2u);
    // The user's cluster of this suite was not touched.
    EXPECT_EQ(keys_on_nodes(), 0);
}

TEST_F(ClusterRun, WhatACannotDoOnAClusterIsRefusedNamingTheField) {
    auto wait =
        run_harness(seed_scenario({"--redis", seed_url(), "--set", "producers.wait.replicas=1"}));
    EXPECT_EQ(wait.exit_code, 2) << wait.err;
    EXPECT_NE(wait.err.find("producers.wait"), std::string::npos) << wait.err;
    EXPECT_EQ(keys_on_nodes(), 0);

    // A stream of the user's own lies in another slot than the run's ledger.
    auto named = run_harness(seed_scenario(
        {"--redis", seed_url(), "--set", "stream.shards=1", "--set", "stream.key=orders"}));
    EXPECT_EQ(named.exit_code, 2) << named.err;
    EXPECT_NE(named.err.find("stream.key"), std::string::npos) << named.err;
    EXPECT_EQ(keys_on_nodes(), 0);

    auto embedded = run_harness(
        seed_scenario({"--set", "topology.cluster.primaries=3", "--set", "topology.replicas=1"}));
    EXPECT_EQ(embedded.exit_code, 2) << embedded.err;
    EXPECT_NE(embedded.err.find("topology.cluster"), std::string::npos) << embedded.err;
}

TEST_F(ClusterRun, ClusterFlagOnAServerThatIsNoClusterNodeIsAnEnvironmentError) {
    sh::redis::EmbeddedServer lone(
        sh::redis::EmbeddedServerOptions(sh::redis::Persistence::none, "redis-server"));
    auto run = run_harness(seed_scenario(
        {"--redis", lone.endpoint().to_url(), "--cluster", "--set", "stream.shards=1"}));
    EXPECT_EQ(run.exit_code, 3) << run.err;
    EXPECT_NE(run.err.find("cluster"), std::string::npos) << run.err;
    Connection node(lone.endpoint(), {});
    EXPECT_EQ(ReplyView(node.command({"DBSIZE"}).get()).integer(), 0);
}
