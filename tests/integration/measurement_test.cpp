// What a run measures, from real runs on embedded redis-servers: the max-rate report's
// contents, the harness's own memory, and a timeline whose per-second counts add up to the
// run's totals.
#include <gtest/gtest.h>

#include "tests/support/harness_process.hpp"

using nlohmann::json;
using sh::testing::run_harness;
using sh::testing::workload_path;

namespace {

std::uint64_t sum_of(const json& timeline, const json::json_pointer& field) {
    std::uint64_t sum = 0;
    for (const auto& row : timeline) sum += row.at(field).get<std::uint64_t>();
    return sum;
}

// Every row's counts, summed, are the totals: nothing falls between two rows or after the last.
void expect_timeline_adds_up(const json& report) {
    const auto& timeline = report["timeline"];
    ASSERT_FALSE(timeline.empty());
    EXPECT_EQ(timeline.back()["phase"], "drain");
    EXPECT_EQ(sum_of(timeline, "/produced"_json_pointer), report["summary"]["produced"]["ok"]);
    for (const auto& [group, summary] : report["summary"]["groups"].items()) {
        EXPECT_EQ(sum_of(timeline, json::json_pointer("/groups/" + group + "/applied")),
                  summary["counters"]["applied"].get<std::uint64_t>())
            << group;
    }
}

// summary.memory is read off the load rows from warm_up_s on; the outcome record holds two bits
// an order in whole 16 KiB chunks.
void expect_memory_summary_matches_the_timeline(const json& report) {
    const auto& memory = report["summary"]["memory"];
    ASSERT_TRUE(memory.contains("warm_up_s")) << memory.dump();
    auto warm_up_s = memory["warm_up_s"].get<double>();
    std::vector<json> rows;
    for (const auto& row : report["timeline"]) {
        if (row["phase"] == "load" && row["t_s"].get<double>() >= warm_up_s) rows.push_back(row);
    }
    ASSERT_GE(rows.size(), 2u);
    EXPECT_EQ(memory["steady_rows"].get<std::size_t>(), rows.size());
    std::uint64_t orders = 0;
    for (std::size_t i = 1; i < rows.size(); ++i)
        orders += rows[i]["produced"].get<std::uint64_t>();
    EXPECT_EQ(memory["orders_after_warm_up"].get<std::uint64_t>(), orders);
    const auto& supervisor = memory["supervisor_rss_mib"];
    EXPECT_EQ(supervisor["after_warm_up"], rows.front()["supervisor_rss_mib"]);
    EXPECT_EQ(supervisor["end"], rows.back()["supervisor_rss_mib"]);
    EXPECT_DOUBLE_EQ(memory["supervisor_growth_mib"].get<double>(),
                     rows.back()["supervisor_rss_mib"].get<double>() -
                         rows.front()["supervisor_rss_mib"].get<double>());
    EXPECT_GE(supervisor["max"].get<double>(), supervisor["end"].get<double>());
    // A chunk exists once an outcome was recorded in it: at least enough for every order sent,
    // at most one for every 65,536 numbers handed out (the unsent tail may start a new one).
    const auto& produced = report["summary"]["produced"];
    auto chunks_for = [](std::uint64_t orders) { return (orders + 65'535) / 65'536; };
    auto sent = produced["ok"].get<std::uint64_t>() + produced["failed"].get<std::uint64_t>() +
                produced["indeterminate"].get<std::uint64_t>();
    auto bytes = memory["outcome_record_bytes"].get<std::uint64_t>();
    EXPECT_GE(bytes, chunks_for(sent) * 16 * 1024);
    EXPECT_LE(bytes, chunks_for(produced["allocated"].get<std::uint64_t>()) * 16 * 1024 + 1024);
}

}  // namespace

TEST(Measurement, AMaxRateReportHasTheTimelineBottleneckMemoryAndLatencySplit) {
    auto run = run_harness({"run", workload_path("orders.json"), "--set", "producers.rate=0",
                            "--set", "duration_s=4"});
    ASSERT_EQ(run.exit_code, 0) << run.err;
    auto report = run.report();

    const auto& max_rate = report["summary"]["max_rate"];
    EXPECT_GT(max_rate["sustained_orders_per_s"].get<double>(), 0);
    EXPECT_FALSE(max_rate["steps"].empty());
    const auto& bottleneck = report["summary"]["bottleneck"];
    EXPECT_GE(bottleneck["steady_rows"].get<int>(), 1);
    auto busy = bottleneck["redis_cpu_busy"].get<double>();
    EXPECT_GT(busy, 0);
    EXPECT_LT(busy, 1.5);  // one thread runs Redis's commands
    EXPECT_TRUE(bottleneck["saturated"].is_string());

    for (const auto& row : report["timeline"]) {
        for (const auto* field : {"redis_cpu", "harness_cpu", "redis_memory_bytes", "stream_length",
                                  "produced_per_s", "span_s"}) {
            EXPECT_TRUE(row.contains(field)) << field << " in " << row.dump();
        }
        EXPECT_GE(row["harness_cpu"].get<double>(), 0) << row.dump();
        // A supervisor with its threads holds more than a MiB; every worker some private memory.
        EXPECT_GT(row["supervisor_rss_mib"].get<double>(), 1) << row.dump();
        EXPECT_GT(row["workers_private_mib"].get<double>(), 0) << row.dump();
    }
    for (const auto* group : {"score", "push"}) {
        const auto& latency = report["summary"]["groups"][group]["latency"];
        EXPECT_EQ(latency["first_delivery"]["count"].get<std::uint64_t>() +
                      latency["recovered"]["count"].get<std::uint64_t>(),
                  latency["end_to_end"]["count"].get<std::uint64_t>())
            << group;
        // No faults: every order applied once, on its first delivery.
        EXPECT_EQ(latency["first_delivery"]["count"], report["verification"][group]["applied"]);
        EXPECT_EQ(report["verification"][group]["lost"], 0);
        EXPECT_EQ(report["verification"][group]["duplicated"], 0);
    }
    expect_timeline_adds_up(report);
    expect_memory_summary_matches_the_timeline(report);
    for (const auto& [group, verdict] : report["verification"].items()) {
        EXPECT_EQ(report["summary"]["groups"][group]["counters"]["applied"], verdict["applied"]);
    }
}

TEST(Measurement, TheTimelineAddsUpAcrossKillsAndRestarts) {
    // The stop and the slowdown start at 4 and 5 s in chaos.json: within this run, before 4 s.
    auto run = run_harness({"run", workload_path("chaos.json"), "--set", "duration_s=4", "--set",
                            "chaos.events.4.start_s=3", "--set", "chaos.events.5.start_s=3.5"});
    ASSERT_EQ(run.exit_code, 0) << run.err;
    auto report = run.report();
    ASSERT_GT(report["chaos"]["summary"]["faults"].value("kill", 0), 0);
    expect_timeline_adds_up(report);
}
