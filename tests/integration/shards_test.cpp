// stream.shards on one server: orders routed by user, one consumer per shard, the verdict read
// per shard and summed, and the run's keys on every shard removed after it.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "harness/model/order.hpp"
#include "harness/redis/reply.hpp"
#include "harness/redis/streams.hpp"
#include "tests/support/harness_process.hpp"
#include "tests/support/redis_fixture.hpp"
#include "tests/support/run_inspection.hpp"

namespace {

using sh::testing::find_gate;
using sh::testing::keys_of_run;
using sh::testing::run_harness;
using sh::testing::whole_stream;
using sh::testing::workload_path;

class Shards : public sh::testing::RedisTest {};

constexpr int shard_count = 4;

std::string shard_key(const std::string& run_id, int shard, const std::string& suffix) {
    return "sh:{" + run_id + ":ordermq:" + std::to_string(shard) + "}:" + suffix;
}

std::vector<std::string> sharded_run(const std::string& url, const std::string& run_id,
                                     std::vector<std::string> more = {},
                                     const std::string& workload = workload_path("smoke.json")) {
    std::vector<std::string> args{"run",
                                  workload,
                                  "--redis",
                                  url,
                                  "--run-id",
                                  run_id,
                                  "--keep-keys",
                                  "--set",
                                  "stream.shards=" + std::to_string(shard_count),
                                  "--set",
                                  "groups.0.consumers=4",
                                  "--set",
                                  "groups.1.consumers=5",
                                  "--set",
                                  "duration_s=2"};
    args.insert(args.end(), more.begin(), more.end());
    return args;
}

}  // namespace

TEST_F(Shards, EveryUsersOrdersGoToOneShardInOrderAndTheVerdictSumsTheShards) {
    auto control = connect();
    const std::string run_id = "shards-pass";
    auto run = run_harness(sharded_run(url(), run_id));
    ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
    auto report = run.report();
    EXPECT_EQ(report["verdict"], "pass");

    std::map<std::uint64_t, std::set<int>> shards_of_user;
    std::size_t entries = 0;
    for (int shard = 0; shard < shard_count; ++shard) {
        SCOPED_TRACE(shard);
        auto stream = whole_stream(control, shard_key(run_id, shard, "stream"));
        EXPECT_GT(stream.size(), 0u);
        entries += stream.size();
        std::map<std::uint64_t, std::uint64_t> last_seq_of_user;
        for (const auto& entry : stream) {
            auto order = sh::model::decode_order(entry.fields);
            ASSERT_TRUE(order.has_value());
            shards_of_user[order->user].insert(shard);
            // One producer: a user's orders reach its shard in the order they were numbered.
            auto [last, first] = last_seq_of_user.try_emplace(order->user, order->seq);
            if (!first) {
                EXPECT_LT(last->second, order->seq);
            }
            last->second = order->seq;
        }
        // Consumer c (1-based) reads shard (c - 1) % 4: score's 4 consumers one each, push's
        // fifth shares shard 0.
        std::set<std::string> readers;
        for (const auto& consumer :
             sh::redis::xinfo_consumers(control, shard_key(run_id, shard, "stream"), "push")) {
            readers.insert(consumer.name);
        }
        std::set<std::string> expected{"push-" + std::to_string(shard + 1) + "-1"};
        if (shard == 0) expected.insert("push-5-1");
        EXPECT_EQ(readers, expected);
    }
    for (const auto& [user, shards] : shards_of_user) EXPECT_EQ(shards.size(), 1u) << user;
    EXPECT_EQ(report["summary"]["produced"]["ok"].get<std::size_t>(), entries);
    for (const std::string group : {"score", "push"}) {
        SCOPED_TRACE(group);
        std::int64_t applied = 0;
        for (int shard = 0; shard < shard_count; ++shard) {
            applied += integer(control, {"BITCOUNT", shard_key(run_id, shard, "acked:" + group)});
        }
        EXPECT_EQ(report["verification"][group]["applied"].get<std::int64_t>(), applied);
        EXPECT_EQ(applied, static_cast<std::int64_t>(entries));
    }

    // verify --run-id reads every shard too, and cleanup removes them all.
    auto verified = run_harness({"verify", "--redis", url(), "--run-id", run_id, "--out",
                                 (run.out_dir / "verify").string()});
    EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;
    auto cleaned = run_harness({"cleanup", "--redis", url(), "--run-id", run_id});
    EXPECT_EQ(cleaned.exit_code, 0) << cleaned.err;
    EXPECT_TRUE(keys_of_run(control, run_id).empty());
}

// A shard whose only consumer dies for good is read by nobody: no other consumer claims from
// another shard's stream. The verifier must count exactly what that shard left behind.
TEST_F(Shards, AShardNobodyReadsAnyMoreIsCountedLostExactly) {
    auto control = connect();
    const std::string run_id = "shards-orphan";
    auto workload = nlohmann::json::parse(sh::testing::read_text_file(workload_path("smoke.json")));
    workload["drain_timeout_s"] = 3;
    // push takes 2 ms an order, so the consumer to kill holds entries (a kill lands only then).
    workload["groups"][1]["service_time"] = {{"distribution", "constant"}, {"mean_us", 2000}};
    workload["chaos"] = nlohmann::json::parse(
        R"({"seed": 3, "events": [{"fault": "kill", "target": "push/3", "at_s": 0.5,
                                   "restart": "none"}]})");
    auto path = sh::testing::write_temp_file("orphan.json", workload.dump());
    auto run = run_harness(sharded_run(url(), run_id, {"--set", "groups.1.consumers=4"}, path));
    ASSERT_EQ(run.exit_code, 1) << run.out << run.err;
    auto report = run.report();
    EXPECT_EQ(report["verdict"], "fail");
    ASSERT_EQ(sh::testing::events_of(report, "kill").size(), 1u);

    // Shard 2 (push-3's) from Redis: every order in its stream that push never applied there.
    std::int64_t unapplied = 0;
    auto acked = control.command({"GET", shard_key(run_id, 2, "acked:push")});
    std::string bitmap(
        sh::redis::ReplyView(acked.get()).is_nil() ? "" : sh::redis::ReplyView(acked.get()).text());
    for (const auto& entry : whole_stream(control, shard_key(run_id, 2, "stream"))) {
        auto order = sh::model::decode_order(entry.fields);
        ASSERT_TRUE(order.has_value());
        auto byte = order->seq / 8;
        bool applied = byte < bitmap.size() &&
                       ((static_cast<unsigned char>(bitmap[byte]) >> (7 - order->seq % 8)) & 1U);
        if (!applied) ++unapplied;
    }
    EXPECT_GT(unapplied, 0);
    const auto& push = report["verification"]["push"];
    EXPECT_EQ(push["lost"].get<std::int64_t>(), unapplied);
    EXPECT_EQ(push["duplicated"].get<std::int64_t>(), 0);
    EXPECT_FALSE(find_gate(report, "max_lost", "push")->at("passed").get<bool>());
    // The other shards and the other group are whole.
    EXPECT_EQ(report["verification"]["score"]["lost"].get<std::int64_t>(), 0);
    EXPECT_EQ(report["verification"]["push"]["applied"].get<std::int64_t>() + unapplied,
              report["summary"]["produced"]["ok"].get<std::int64_t>());

    auto cleaned = run_harness({"cleanup", "--redis", url(), "--run-id", run_id});
    EXPECT_EQ(cleaned.exit_code, 0) << cleaned.err;
    EXPECT_TRUE(keys_of_run(control, run_id).empty());
}

// Fewer consumers than shards: consumer c of C reads every shard s with s % C == c - 1, one
// loop per shard in one process under one name; a kill of such a consumer holds entries of
// several shards, and they are recovered in each.
TEST_F(Shards, AConsumerReadsSeveralShardsAndIsRecoveredInEachAfterAKill) {
    auto control = connect();
    const std::string run_id = "shards-fewer";
    auto workload = nlohmann::json::parse(sh::testing::read_text_file(workload_path("smoke.json")));
    // score takes 2 ms an order, so the consumer killed holds entries on both its shards.
    workload["groups"][0]["service_time"] = {{"distribution", "constant"}, {"mean_us", 2000}};
    workload["chaos"] = nlohmann::json::parse(
        R"({"seed": 5, "events": [{"fault": "kill", "target": "score/1", "at_s": 1.0}]})");
    auto path = sh::testing::write_temp_file("fewer.json", workload.dump());
    auto run = run_harness(sharded_run(
        url(), run_id, {"--set", "groups.0.consumers=2", "--set", "groups.1.consumers=1"}, path));
    ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
    auto report = run.report();
    EXPECT_EQ(report["verdict"], "pass");

    std::int64_t pending_in_shards = 0;
    for (int shard = 0; shard < shard_count; ++shard) {
        SCOPED_TRACE(shard);
        auto stream = shard_key(run_id, shard, "stream");
        EXPECT_GT(whole_stream(control, stream).size(), 0u);
        // push's one consumer read every shard; score's two took alternate shards.
        std::set<std::string> push_readers;
        for (const auto& consumer : sh::redis::xinfo_consumers(control, stream, "push")) {
            push_readers.insert(consumer.name);
        }
        EXPECT_EQ(push_readers, std::set<std::string>{"push-1-1"});
        for (const auto& consumer : sh::redis::xinfo_consumers(control, stream, "score")) {
            int index = std::stoi(consumer.name.substr(6, consumer.name.find('-', 6) - 6));
            EXPECT_EQ((index - 1) % 2, shard % 2) << consumer.name;
        }
        pending_in_shards += integer(control, {"XLEN", shard_key(run_id, shard, "dlq:score")});
    }
    EXPECT_EQ(pending_in_shards, 0);
    auto kills = sh::testing::events_of(report, "kill");
    ASSERT_EQ(kills.size(), 1u);
    // score-1 read shards 0 and 2: what it held there was delivered again and acknowledged.
    EXPECT_GT(kills[0]["pending"].get<std::int64_t>(), 0);
    EXPECT_TRUE(kills[0].contains("recovery_ms")) << kills[0].dump();
    for (const std::string group : {"score", "push"}) {
        SCOPED_TRACE(group);
        const auto& verdict = report["verification"][group];
        EXPECT_EQ(verdict["lost"].get<std::int64_t>(), 0);
        EXPECT_EQ(verdict["duplicated_without_hard_kill"].get<std::int64_t>(), 0);
        EXPECT_EQ(verdict["pending_left"].get<std::int64_t>(), 0);
        std::int64_t applied = 0;
        for (int shard = 0; shard < shard_count; ++shard) {
            applied += integer(control, {"BITCOUNT", shard_key(run_id, shard, "acked:" + group)});
        }
        EXPECT_EQ(verdict["applied"].get<std::int64_t>(), applied);
        EXPECT_EQ(applied, report["summary"]["produced"]["ok"].get<std::int64_t>());
    }
    EXPECT_EQ(run_harness({"cleanup", "--redis", url(), "--run-id", run_id}).exit_code, 0);
    EXPECT_TRUE(keys_of_run(control, run_id).empty());
}

TEST_F(Shards, AWorkloadThatCannotShardNamesTheField) {
    struct Case {
        std::vector<std::string> sets;
        std::string field;
    };
    std::vector<Case> cases{
        {{"stream.shards=2", "stream.key=orders"}, "stream.key"},
        {{"stream.shards=0"}, "stream.shards"},
    };
    for (const auto& test : cases) {
        std::vector<std::string> args{"run", workload_path("smoke.json"), "--redis", url()};
        for (const auto& set : test.sets) {
            args.push_back("--set");
            args.push_back(set);
        }
        auto run = run_harness(args);
        EXPECT_EQ(run.exit_code, 2) << test.field << ": " << run.err;
        EXPECT_NE(run.err.find(test.field), std::string::npos) << run.err;
    }
}
