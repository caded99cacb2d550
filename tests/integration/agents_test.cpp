// Agents (DESIGN §11.1): several harness processes share one run against one Redis, and
// `merge` judges it once from Redis. Three agents run here as separate processes on this
// machine; the tests read back what Redis holds and what the reports say, and try to make the
// merged verdict pass wrongly (a missing or repeated agent, a ledger that lost an order, an
// agent started twice, agents with different workloads).
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <memory>
#include <numeric>
#include <thread>

#include "harness/measure/histogram.hpp"
#include "tests/support/harness_process.hpp"
#include "tests/support/redis_fixture.hpp"
#include "tests/support/run_inspection.hpp"

namespace sh::testing {
namespace {

class Agents : public RedisTest {};

bool mentions(const std::string& text, const std::string& needle) {
    return text.find(needle) != std::string::npos;
}

// A fixed load, so that one harness and three agents produce the very same orders: 6,000
// orders at 3,000/s from 3 producers, 3 consumers per group.
const std::vector<std::string> fixed_load = {
    "--set", "producers.count=3",     "--set", "producers.rate=3000",
    "--set", "producers.orders=6000", "--set", "groups.0.consumers=3",
    "--set", "groups.1.consumers=3",  "--set", "producers.poison_ratio=0.01"};

std::vector<std::string> run_args(const std::string& url, const std::string& run_id,
                                  const std::vector<std::string>& extra) {
    std::vector<std::string> args{"run", workload_path("smoke.json"), "--redis", url, "--run-id",
                                  run_id};
    args.insert(args.end(), fixed_load.begin(), fixed_load.end());
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
}

// `count` agents of one run, started together as separate processes; their results by index.
std::vector<HarnessRun> run_agents(const std::string& url, const std::string& run_id, int count,
                                   const std::vector<std::string>& extra = {}) {
    std::vector<std::unique_ptr<BackgroundHarness>> agents;
    for (int index = 1; index <= count; ++index) {
        auto args = run_args(url, run_id, extra);
        args.insert(args.end(), {"--agent", std::to_string(index) + "/" + std::to_string(count),
                                 "--agent-timeout-s", "60"});
        agents.push_back(std::make_unique<BackgroundHarness>(args, std::vector<std::string>{}));
    }
    std::vector<HarnessRun> runs;
    for (auto& agent : agents) runs.push_back(agent->finish());
    return runs;
}

std::vector<std::string> merge_args(const std::string& url, const std::vector<HarnessRun>& runs,
                                    const std::filesystem::path& out,
                                    const std::vector<int>& which) {
    std::vector<std::string> args{"merge", "--redis", url, "--out", out.string()};
    for (int index : which) args.push_back(runs[static_cast<std::size_t>(index - 1)].out_dir);
    return args;
}

std::filesystem::path fresh_dir(const std::string& name) {
    auto dir = std::filesystem::temp_directory_path() /
               ("agents-" + name + "-" + std::to_string(getpid()));
    std::filesystem::remove_all(dir);
    return dir;
}

std::uint64_t number(const nlohmann::json& value) {
    return value.get<std::uint64_t>();
}

// The order numbers of every entry of the run's stream, sorted.
std::vector<std::uint64_t> orders_in_stream(redis::Connection& control, const std::string& run) {
    std::vector<std::uint64_t> orders;
    for (const auto& entry : whole_stream(control, run_key(run, "stream"))) {
        const auto* order = redis::find_field(entry.fields, "orderno");
        if (order != nullptr) orders.push_back(std::stoull(*order));
    }
    std::sort(orders.begin(), orders.end());
    return orders;
}

TEST_F(Agents, ThreeAgentsMergeIntoTheSumOfTheirPartsAndTheVerdictOfOneHarness) {
    auto control = connect();
    // The same load from one harness first: the verdict the agents must match.
    auto single = run_harness(run_args(url(), "agents-single", {}));
    ASSERT_EQ(single.exit_code, 0) << single.out << single.err;
    auto alone = single.report();

    const std::string run_id = "agents-three";
    auto runs = run_agents(url(), run_id, 3);
    std::vector<nlohmann::json> parts;
    for (const auto& run : runs) {
        ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
        parts.push_back(run.report());
        EXPECT_EQ(parts.back()["verdict"], "partial");
        EXPECT_TRUE(parts.back()["verification"].empty());  // no agent judges
        auto markdown = read_text_file(std::filesystem::path(run.out_dir) / "summary.md");
        EXPECT_EQ(markdown.find("passed"), std::string::npos) << markdown;
    }
    // Each agent handed out its share of the order numbers, interleaved with the others': the
    // stream holds every number 0..5999 exactly once.
    auto orders = orders_in_stream(control, run_id);
    std::vector<std::uint64_t> every(6000);
    std::iota(every.begin(), every.end(), 0);
    EXPECT_EQ(orders, every);

    // `verify --run-id` judges the shared run from Redis alone, from every agent's progress.
    auto verify_out = fresh_dir("verify");
    auto verified =
        run_harness({"verify", "--redis", url(), "--run-id", run_id, "--out", verify_out.string()});
    EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;
    auto reverified = nlohmann::json::parse(read_text_file(verify_out / "report.json"));
    EXPECT_TRUE(find_gate(reverified, "load_finished")->at("passed").get<bool>());

    auto out = fresh_dir("three");
    auto args = merge_args(url(), runs, out, {1, 2, 3});
    args.push_back("--keep-keys");
    auto merged_run = run_harness(args);
    ASSERT_EQ(merged_run.exit_code, 0) << merged_run.out << merged_run.err;
    auto merged = nlohmann::json::parse(read_text_file(out / "report.json"));
    EXPECT_EQ(merged["verdict"], "pass");
    EXPECT_EQ(merged["verified"], "by merge, from Redis, after every agent finished");
    ASSERT_EQ(merged["agents"].size(), 3u);

    // Counts: the sum of the parts.
    std::uint64_t produced_ok = 0;
    for (const auto& part : parts) produced_ok += number(part["summary"]["produced"]["ok"]);
    EXPECT_EQ(number(merged["summary"]["produced"]["ok"]), produced_ok);
    EXPECT_EQ(produced_ok, 6000u);
    for (const std::string group : {"score", "push"}) {
        SCOPED_TRACE(group);
        std::uint64_t applied = 0;
        std::uint64_t timed = 0;
        measure::Histogram all;
        for (const auto& part : parts) {
            applied += number(part["summary"]["groups"][group]["counters"]["applied"]);
            const auto& histograms = part["histograms"]["groups"][group];
            timed += number(histograms["first_delivery"]["count"]) +
                     number(histograms["recovered"]["count"]);
            all.merge_json(histograms["first_delivery"]);
            all.merge_json(histograms["recovered"]);
        }
        const auto& summary = merged["summary"]["groups"][group];
        EXPECT_EQ(number(summary["counters"]["applied"]), applied);
        // Every agent ran on this machine's clock: every applied order was timed.
        EXPECT_EQ(number(summary["latency"]["end_to_end"]["count"]), timed);
        // The merged p99 is read off the merged histogram, not averaged over the agents.
        EXPECT_DOUBLE_EQ(summary["latency"]["end_to_end"]["p99_ms"].get<double>(),
                         static_cast<double>(all.percentile(99)) / 1000.0);
        // The verdict, read from Redis: every order applied once, as with one harness.
        const auto& verdict = merged["verification"][group];
        EXPECT_EQ(number(verdict["applied"]),
                  static_cast<std::uint64_t>(
                      integer(control, {"BITCOUNT", run_key(run_id, "acked:" + group)})));
        for (const char* field :
             {"applied", "lost", "duplicated", "unexpected", "dead_lettered", "pending_left"}) {
            EXPECT_EQ(verdict[field], alone["verification"][group][field]) << field;
        }
        EXPECT_EQ(number(verdict["lost"]), 0u);
        EXPECT_EQ(number(verdict["duplicated"]), 0u);
        EXPECT_EQ(verdict["applied"], reverified["verification"][group]["applied"]);
    }
    EXPECT_EQ(merged["verdict"], alone["verdict"]);
    EXPECT_EQ(merged["summary"]["produced"]["ok"], alone["summary"]["produced"]["ok"]);

    // A set of reports that is not the run's agents, each once, is refused before Redis is
    // touched.
    auto keys_before = keys_of_run(control, run_id).size();
    auto missing = run_harness(merge_args(url(), runs, fresh_dir("missing"), {1, 2}));
    EXPECT_EQ(missing.exit_code, 2) << missing.err;
    EXPECT_TRUE(mentions(missing.err, "agent 3/3 of run \"agents-three\" is missing"))
        << missing.err;
    auto twice = run_harness(merge_args(url(), runs, fresh_dir("twice"), {1, 2, 2, 3}));
    EXPECT_EQ(twice.exit_code, 2) << twice.err;
    EXPECT_TRUE(mentions(twice.err, "agent 2/3 is given twice")) << twice.err;
    EXPECT_EQ(keys_of_run(control, run_id).size(), keys_before);

    // Then the run's keys go, the agents' barrier with them.
    auto cleanup = run_harness({"cleanup", "--redis", url(), "--run-id", run_id});
    EXPECT_EQ(cleanup.exit_code, 0) << cleanup.err;
    EXPECT_TRUE(keys_of_run(control, run_id).empty());
}

TEST_F(Agents, MergeJudgesFromRedisAndFindsTheOrderALedgerLost) {
    auto control = connect();
    const std::string run_id = "agents-tampered";
    auto runs = run_agents(url(), run_id, 2);
    for (const auto& run : runs) ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
    // Both parts say all went well; Redis now holds one acknowledged order of score that no
    // consumer applied (its bit cleared), as a lost write would leave it.
    auto orders = orders_in_stream(control, run_id);
    ASSERT_FALSE(orders.empty());
    auto order = std::to_string(orders[orders.size() / 2]);
    ASSERT_EQ(integer(control, {"SETBIT", run_key(run_id, "acked:score"), order, "0"}), 1);

    auto out = fresh_dir("tampered");
    auto merged_run = run_harness(merge_args(url(), runs, out, {1, 2}));
    EXPECT_EQ(merged_run.exit_code, 1) << merged_run.out << merged_run.err;
    auto merged = nlohmann::json::parse(read_text_file(out / "report.json"));
    EXPECT_EQ(merged["verdict"], "fail");
    EXPECT_EQ(number(merged["verification"]["score"]["lost"]), 1u);
    EXPECT_EQ(number(merged["verification"]["push"]["lost"]), 0u);
    EXPECT_FALSE(find_gate(merged, "max_lost", "score")->at("passed").get<bool>());
    EXPECT_TRUE(keys_of_run(control, run_id).empty());  // merge removed the run's keys
}

// A part that Redis contradicts is not judged: one that calls an order in the stream never
// sent (edited, or another run's), and one from an earlier run under the same id.
TEST_F(Agents, MergeRefusesPartsThatRedisContradicts) {
    auto control = connect();
    const std::string run_id = "agents-stale";
    // 3 producers over 2 agents: agent 1 runs 2 and takes 2/3 of the orders, so both loads
    // last as long; a short drain timeout still drains (its clock starts once both loaded).
    std::vector<std::string> uneven{"--set", "drain_timeout_s=1.5"};
    auto first = run_agents(url(), run_id, 2, uneven);
    for (const auto& run : first) ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
    EXPECT_EQ(number(first[0].report()["agent"]["orders_allocated"]), 4000u);
    EXPECT_EQ(number(first[1].report()["agent"]["orders_allocated"]), 2000u);
    for (const auto& run : first) {
        EXPECT_TRUE(run.report()["summary"]["drain"]["drained"].get<bool>());
    }

    // Agent 2's report edited to call one of its orders, which is in the stream, never sent.
    auto edited = first[1].report();
    auto orders = orders_in_stream(control, run_id);
    auto own =
        std::find_if(orders.begin(), orders.end(), [](auto order) { return order % 2 == 1; });
    ASSERT_NE(own, orders.end());
    edited["agent"]["unsent"].push_back(*own);
    auto edited_dir = fresh_dir("edited");
    std::filesystem::create_directories(edited_dir);
    std::ofstream(edited_dir / "report.json") << edited.dump();
    auto refused = run_harness({"merge", "--redis", url(), "--out", fresh_dir("m1").string(),
                                first[0].out_dir.string(), edited_dir.string()});
    EXPECT_EQ(refused.exit_code, 2) << refused.out << refused.err;
    EXPECT_TRUE(mentions(refused.err,
                         "agent 2/2's report says 2000 orders, 1999 written; it "
                         "told Redis 2000 and 2000"))
        << refused.err;
    EXPECT_TRUE(mentions(refused.err,
                         "is in the stream, and its agent's report says it was "
                         "never written"))
        << refused.err;

    // A directory that cannot take the merged report is refused before anything is removed.
    auto blocker = fresh_dir("blocker");
    std::ofstream(blocker) << "a file";
    auto unwritable = run_harness({"merge", "--redis", url(), "--out", (blocker / "sub").string(),
                                   first[0].out_dir.string(), first[1].out_dir.string()});
    EXPECT_EQ(unwritable.exit_code, 2) << unwritable.err;
    EXPECT_FALSE(keys_of_run(control, run_id).empty());

    auto merged = run_harness({"merge", "--redis", url(), "--out", fresh_dir("m2").string(),
                               first[0].out_dir.string(), first[1].out_dir.string()});
    ASSERT_EQ(merged.exit_code, 0) << merged.out << merged.err;
    EXPECT_TRUE(keys_of_run(control, run_id).empty());

    // The same run id again: a part of the first run does not stand in for the second's.
    auto second = run_agents(url(), run_id, 2, uneven);
    for (const auto& run : second) ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
    auto stale = run_harness({"merge", "--redis", url(), "--out", fresh_dir("m3").string(),
                              second[0].out_dir.string(), first[1].out_dir.string()});
    EXPECT_EQ(stale.exit_code, 2) << stale.out << stale.err;
    EXPECT_TRUE(mentions(stale.err, "written by an earlier run with this id")) << stale.err;
    EXPECT_EQ(run_harness({"merge", "--redis", url(), "--out", fresh_dir("m4").string(),
                           second[0].out_dir.string(), second[1].out_dir.string()})
                  .exit_code,
              0);
}

TEST_F(Agents, TheStartBarrierNamesTheAgentsThatDidNotCome) {
    auto control = connect();
    const std::string run_id = "agents-alone";
    auto args = run_args(url(), run_id, {"--agent", "1/3", "--agent-timeout-s", "2"});
    auto alone = run_harness(args);
    EXPECT_EQ(alone.exit_code, 3) << alone.out << alone.err;
    EXPECT_TRUE(
        mentions(alone.err, "agents 2/3, 3/3 of run agents-alone did not arrive within 2 s"))
        << alone.err;
    EXPECT_EQ(alone.report()["verdict"], "error");
    // Nothing was produced; the keys stay for the others until cleanup removes them.
    EXPECT_EQ(integer(control, {"XLEN", run_key(run_id, "stream")}), 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(3200));  // the heartbeat expires
    auto cleanup = run_harness({"cleanup", "--redis", url(), "--run-id", run_id});
    EXPECT_EQ(cleanup.exit_code, 0) << cleanup.err;
    EXPECT_TRUE(keys_of_run(control, run_id).empty());
}

TEST_F(Agents, AnAgentStartedTwiceIsRefusedAndTheRunStillPasses) {
    auto control = connect();
    const std::string run_id = "agents-twice";
    auto agent_args = [&](const std::string& agent) {
        auto args = run_args(url(), run_id, {"--agent", agent, "--agent-timeout-s", "60"});
        return args;
    };
    BackgroundHarness first(agent_args("1/2"), {});
    BackgroundHarness second(agent_args("2/2"), {});
    BackgroundHarness again(agent_args("2/2"), {});
    std::vector<HarnessRun> seconds{second.finish(), again.finish()};
    auto leader = first.finish();
    ASSERT_EQ(leader.exit_code, 0) << leader.out << leader.err;
    // Exactly one of the two took index 2; the other was refused at arrival.
    auto refused = std::count_if(seconds.begin(), seconds.end(), [](const auto& run) {
        return run.exit_code == 3 &&
               mentions(run.err, "agent 2/2 of run agents-twice is there already");
    });
    auto ran = std::count_if(seconds.begin(), seconds.end(),
                             [](const auto& run) { return run.exit_code == 0; });
    EXPECT_EQ(refused, 1) << seconds[0].err << seconds[1].err;
    EXPECT_EQ(ran, 1);
    auto& part = seconds[0].exit_code == 0 ? seconds[0] : seconds[1];
    auto out = fresh_dir("twice-run");
    auto merged_run = run_harness({"merge", "--redis", url(), "--out", out.string(),
                                   leader.out_dir.string(), part.out_dir.string()});
    EXPECT_EQ(merged_run.exit_code, 0) << merged_run.out << merged_run.err;
    auto merged = nlohmann::json::parse(read_text_file(out / "report.json"));
    EXPECT_EQ(merged["verdict"], "pass");
    for (const std::string group : {"score", "push"}) {
        const auto& verdict = merged["verification"][group];
        EXPECT_EQ(number(verdict["lost"]), 0u);
        // Poison orders are dead-lettered, every other one applied: all 6,000 accounted for.
        EXPECT_EQ(number(verdict["applied"]) + number(verdict["dead_lettered"]), 6000u) << group;
    }
    // The refused agent's error report is not a part: merge says so.
    auto& refused_run = seconds[0].exit_code == 0 ? seconds[1] : seconds[0];
    auto with_error = run_harness({"merge", "--redis", url(), "--out", fresh_dir("err").string(),
                                   leader.out_dir.string(), refused_run.out_dir.string()});
    EXPECT_EQ(with_error.exit_code, 2) << with_error.err;
    EXPECT_TRUE(mentions(with_error.err, "did not finish its share")) << with_error.err;
}

TEST_F(Agents, AgentsWithDifferentWorkloadsAreRefused) {
    const std::string run_id = "agents-differ";
    BackgroundHarness first(run_args(url(), run_id, {"--agent", "1/2", "--agent-timeout-s", "4"}),
                            {});
    auto other = run_harness(
        run_args(url(), run_id,
                 {"--agent", "2/2", "--agent-timeout-s", "30", "--set", "producers.rate=2000"}));
    EXPECT_EQ(other.exit_code, 2) << other.err;
    EXPECT_TRUE(mentions(other.err, "this workload differs from agent 1's")) << other.err;
    auto leader = first.finish();
    EXPECT_EQ(leader.exit_code, 3) << leader.err;
    EXPECT_TRUE(mentions(leader.err, "agents 2/2 of run agents-differ did not arrive"))
        << leader.err;
    std::this_thread::sleep_for(std::chrono::milliseconds(3200));
    EXPECT_EQ(run_harness({"cleanup", "--redis", url(), "--run-id", run_id}).exit_code, 0);
}

TEST_F(Agents, BadAgentSettingsNameTheField) {
    struct Case {
        std::vector<std::string> extra;
        std::string says;
    };
    const std::vector<Case> cases = {
        {{"--agent", "4/3"}, "an agent is I/N"},
        {{"--agent", "1/4", "--set", "producers.count=3"}, "producers.count: 3 producers"},
        {{"--agent", "1/3", "--set",
          "chaos.events=[{\"fault\":\"kill\",\"target\":\"score/2\","
          "\"at_s\":1}]"},
         "chaos.events.0.target: 'score/2' runs on agent 2/3"},
        {{"--agent", "1/2", "--set", "producers.rate=0"}, "producers.rate: 0 (max-rate)"},
        {{"--agent", "1/3", "--set", "producers.orders=2"}, "producers.orders: fewer orders"},
        {{"--agent", "1/2", "--set", "groups.0.effect_store=separate"}, "groups.0.effect_store"},
    };
    for (const auto& test : cases) {
        auto args = run_args(url(), "agents-bad", test.extra);
        auto run = run_harness(args);
        EXPECT_EQ(run.exit_code, 2) << run.err;
        EXPECT_TRUE(mentions(run.err, test.says)) << run.err;
    }
    // Agents share an external Redis and one run id.
    auto embedded =
        run_harness({"run", workload_path("smoke.json"), "--agent", "1/2", "--run-id", "x"});
    EXPECT_EQ(embedded.exit_code, 2);
    EXPECT_TRUE(mentions(embedded.err, "agents share one Redis: give --redis")) << embedded.err;
    auto no_id =
        run_harness({"run", workload_path("smoke.json"), "--agent", "1/2", "--redis", url()});
    EXPECT_EQ(no_id.exit_code, 2);
    EXPECT_TRUE(mentions(no_id.err, "the same --run-id")) << no_id.err;
    auto sentinel = run_harness({"run", workload_path("smoke.json"), "--agent", "1/2", "--run-id",
                                 "x", "--redis", "redis-sentinel://127.0.0.1:1/mymaster"});
    EXPECT_EQ(sentinel.exit_code, 2);
    EXPECT_TRUE(mentions(sentinel.err, "--agent: not through Sentinel yet")) << sentinel.err;
    auto control = connect();
    EXPECT_TRUE(keys_of_run(control, "agents-bad").empty());
}

}  // namespace
}  // namespace sh::testing
