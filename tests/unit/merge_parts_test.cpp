// `merge` (DESIGN §11.1) of agents' partial reports, written by the real report writer: the
// merged counts are the sum of the parts, the merged p99 is the p99 of the merged histogram
// (never a mean of the agents' p99s), and a set that is not one run's agents, each once and
// finished, is refused with every problem named.
#include "reports/merge_parts.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "harness/errors.hpp"
#include "harness/workload/workload_json.hpp"
#include "reports/report_json.hpp"

namespace {

using nlohmann::json;
using sh::measure::Histogram;

sh::workload::Workload two_groups() {
    return sh::workload::parse_workload(json::parse(R"({
        "name": "orders", "duration_s": 2,
        "stream": {"name": "ordermq"},
        "producers": {"count": 3, "rate": 300},
        "groups": [{"name": "score", "consumers": 3}, {"name": "push", "consumers": 3}]})"));
}

// Agent `index` of 3: `fast` deliveries at 1 ms and `slow` at 100 ms in group score.
json agent_report(int index, std::uint64_t fast, std::uint64_t slow,
                  const std::string& run_id = "shared") {
    sh::run::RunResult result;
    result.run_id = run_id;
    result.started_at = "2026-12-01T03:00:00Z";
    result.workload = two_groups();
    for (const auto& spec : result.workload.groups) {
        auto& group = result.groups.emplace_back();
        group.name = spec.name;
    }
    for (std::uint64_t i = 0; i < fast; ++i) result.groups[0].latency_first->record(1000);
    for (std::uint64_t i = 0; i < slow; ++i) result.groups[0].latency_recovered->record(100000);
    auto& score = result.groups[0];
    score.latency_all->merge(*score.latency_first);  // as the supervisor gathers them
    score.latency_all->merge(*score.latency_recovered);
    result.groups[0].counters.applied = fast + slow;
    result.groups[1].counters.applied = 7 * static_cast<std::uint64_t>(index);
    result.produced_ok = fast + slow;
    result.producing_s = 2.0 + index;
    result.drain_s = 0.5;
    result.drained = true;
    auto& part = result.agent.emplace();
    part.index = index;
    part.count = 3;
    part.host = "host-" + std::to_string(index);
    part.orders_allocated = fast + slow;
    part.failed = {static_cast<std::uint64_t>(index - 1)};  // its first order
    return sh::reports::to_json(result, "test");
}

std::string refusal(const std::vector<json>& reports) {
    std::vector<std::string> paths;
    for (std::size_t i = 0; i < reports.size(); ++i) paths.push_back("a" + std::to_string(i + 1));
    try {
        sh::reports::check_agent_reports(paths, reports);
    } catch (const sh::WorkloadError& error) {
        return error.what();
    }
    return {};
}

TEST(MergeParts, CountsAreTheSumOfThePartsAndP99IsTheMergedHistogramsP99) {
    // Agent 1 is all fast, agent 3 mostly slow: the agents' p99s are 1, 1 and 100 ms.
    std::vector<json> reports = {agent_report(1, 990, 0), agent_report(2, 990, 0),
                                 agent_report(3, 10, 30)};
    auto agents = sh::reports::check_agent_reports({"a1", "a2", "a3"}, reports);
    auto merged = sh::reports::merge_measurements(agents);

    ASSERT_EQ(merged.groups.size(), 2u);
    const auto& score = merged.groups[0];
    EXPECT_EQ(score.counters.applied, 990u + 990u + 40u);
    EXPECT_EQ(merged.groups[1].counters.applied, 7u * (1 + 2 + 3));
    EXPECT_EQ(score.latency_all->count(), 2020u);

    Histogram every;
    for (std::uint64_t i = 0; i < 1990; ++i) every.record(1000);
    for (std::uint64_t i = 0; i < 30; ++i) every.record(100000);
    // 30 slow of 2,020 is 1.5 %: the run's p99 is slow, though two agents of three had a
    // p99 of 1 ms and the mean of the three p99s is 34 ms.
    EXPECT_EQ(score.latency_all->percentile(99), every.percentile(99));
    EXPECT_GE(score.latency_all->percentile(99), 99'000u);
    double mean_of_p99s = 0;
    for (const auto& report : reports) {
        mean_of_p99s +=
            report["summary"]["groups"]["score"]["latency"]["end_to_end"]["p99_ms"].get<double>() /
            3;
    }
    EXPECT_NEAR(mean_of_p99s, 34.0, 0.1);

    // The run lasts as long as its longest agent; each agent's part is kept for the verdict.
    EXPECT_DOUBLE_EQ(merged.producing_s, 5.0);
    ASSERT_EQ(merged.merged_agents.size(), 3u);
    EXPECT_EQ(merged.merged_agents[2].host, "host-3");
    EXPECT_EQ(merged.merged_agents[2].failed, std::vector<std::uint64_t>{2});
    EXPECT_EQ(merged.merged_agents[1].orders_allocated, 990u);
}

TEST(MergeParts, ASetThatIsNotOneRunsAgentsEachOnceIsRefused) {
    auto one = agent_report(1, 5, 0);
    auto two = agent_report(2, 5, 0);
    auto three = agent_report(3, 5, 0);
    EXPECT_NE(refusal({one, two}).find("agent 3/3 of run \"shared\" is missing"),
              std::string::npos);
    EXPECT_NE(refusal({one, two, two, three}).find("agent 2/3 is given twice: a2 and a3"),
              std::string::npos);
    auto other_run = agent_report(3, 5, 0, "another");
    EXPECT_NE(refusal({one, two, other_run}).find("a3: run \"another\", not \"shared\""),
              std::string::npos);
    auto failed = three;
    failed["verdict"] = "error";
    failed["error"] = {{"message", "Redis went away"}, {"phase", "load"}};
    EXPECT_NE(refusal({one, two, failed}).find("agent 3/3 did not finish its share"),
              std::string::npos);
    auto solo = three;
    solo["agent"] = nullptr;
    EXPECT_NE(refusal({one, two, solo}).find("a3: not an agent's report"), std::string::npos);
    EXPECT_EQ(refusal({three, one, two}), "");  // any order
}

}  // namespace
