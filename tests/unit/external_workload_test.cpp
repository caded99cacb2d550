// A group whose consumer the user brings (issue 12): what a workload may say about it, and
// every setting that would describe a test the run does not perform refused by name.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "harness/os/temp_dir.hpp"
#include "harness/workload/workload_json.hpp"
#include "tests/unit/workload_problems.hpp"

using nlohmann::json;
using sh::testing::has_problem_starting;
using sh::testing::joined;
using sh::testing::problems_of;

namespace {

json external_group(json consumer = {{"command", {"python3", "consumer.py"}}}) {
    return {{"name", "score"}, {"consumers", 2}, {"consumer", std::move(consumer)}};
}

json with_group(json group) {
    return {{"groups", json::array({std::move(group)})}};
}

}  // namespace

TEST(ExternalWorkload, ACommandEnvAndTimeoutsAreRead) {
    auto workload = sh::workload::parse_workload(
        with_group(external_group({{"command", {"java", "-jar", "consumer.jar"}},
                                   {"env", {{"LOG_LEVEL", "debug"}}},
                                   {"start_timeout_s", 30},
                                   {"stop_timeout_s", 2.5}})));
    const auto& consumer = workload.groups.at(0).consumer;
    ASSERT_TRUE(consumer.has_value());
    EXPECT_EQ(consumer->command, (std::vector<std::string>{"java", "-jar", "consumer.jar"}));
    EXPECT_EQ(consumer->env.at("LOG_LEVEL"), "debug");
    EXPECT_DOUBLE_EQ(consumer->start_timeout_s, 30);
    EXPECT_DOUBLE_EQ(consumer->stop_timeout_s, 2.5);
    // Written back for the report and the workers, and read again the same.
    auto again = sh::workload::parse_workload(sh::workload::to_json(workload));
    EXPECT_EQ(again.groups.at(0).consumer->command, consumer->command);
    EXPECT_EQ(again.groups.at(0).consumer->env, consumer->env);
}

TEST(ExternalWorkload, ABuiltInGroupWritesNoConsumer) {
    auto written = sh::workload::to_json(sh::workload::parse_workload(with_group({{"name", "g"}})));
    EXPECT_FALSE(written["groups"][0].contains("consumer"));
}

TEST(ExternalWorkload, ACommandIsRequiredAndMustNotBeEmpty) {
    EXPECT_TRUE(has_problem_starting(problems_of(with_group(external_group(json::object()))),
                                     "groups.0.consumer.command"));
    EXPECT_TRUE(
        has_problem_starting(problems_of(with_group(external_group({{"command", json::array()}}))),
                             "groups.0.consumer.command"));
    EXPECT_TRUE(has_problem_starting(
        problems_of(with_group(external_group({{"command", "python3 consumer.py"}}))),
        "groups.0.consumer.command"));
}

TEST(ExternalWorkload, SettingsOfTheBuiltInConsumerAreRefusedByName) {
    auto group = external_group();
    group["ack"] = "after";
    group["batch"] = 10;
    group["service_time"] = {{"mean_us", 100}};
    group["claim"] = {{"enabled", false}};
    group["replay_pending"] = false;
    auto problems = problems_of(with_group(group));
    for (const char* field : {"groups.0.ack", "groups.0.batch", "groups.0.service_time",
                              "groups.0.claim.enabled", "groups.0.replay_pending"}) {
        EXPECT_TRUE(
            has_problem_starting(problems, std::string(field) + ": applies to the built-in"))
            << field << "\n"
            << joined(problems);
    }
}

TEST(ExternalWorkload, TheClaimTimingsTheConsumerIsToldAreAllowed) {
    auto group = external_group();
    group["claim"] = {{"interval_ms", 500}, {"min_idle_ms", 3000}, {"max_deliveries", 3}};
    EXPECT_TRUE(problems_of(with_group(group)).empty()) << joined(problems_of(with_group(group)));
}

TEST(ExternalWorkload, TheHarnessesVariablesCannotBeOverridden) {
    auto problems = problems_of(with_group(external_group(
        {{"command", {"consumer"}}, {"env", {{"STREAMHARNESS_REDIS_URL", "redis://elsewhere"}}}})));
    EXPECT_TRUE(
        has_problem_starting(problems, "groups.0.consumer.env.STREAMHARNESS_REDIS_URL: reserved"))
        << joined(problems);
    problems = problems_of(
        with_group(external_group({{"command", {"consumer"}}, {"env", {{"A=B", "c"}}}})));
    EXPECT_TRUE(has_problem_starting(problems, "groups.0.consumer.env.A=B: not a variable name"))
        << joined(problems);
}

// Latency is measured inside the built-in consumer only: a latency gate on an external group
// would pass on zero samples.
TEST(ExternalWorkload, ALatencyGateIsRefused) {
    auto document = with_group(external_group());
    document["gates"] = {{"max_p99_ms", 50}};
    EXPECT_TRUE(has_problem_starting(problems_of(document), "gates.max_p99_ms"));
}

TEST(ExternalWorkload, FaultsItCannotReceiveAreRefused) {
    auto document = with_group(external_group());
    document["chaos"] = {
        {"events",
         {{{"fault", "kill"}, {"target", "score/any"}, {"every_s", 1}, {"window", "processing"}},
          {{"fault", "slow"}, {"target", "*/any"}, {"every_s", 1}, {"service_us", 1000}}}}};
    auto problems = problems_of(document);
    EXPECT_TRUE(has_problem_starting(problems, "chaos.events.0.window")) << joined(problems);
    EXPECT_TRUE(has_problem_starting(problems, "chaos.events.1.fault")) << joined(problems);
}

// A workload file works from wherever the harness starts: the consumer runs in the file's
// folder, or in a folder named relative to it.
TEST(ExternalWorkload, TheWorkingDirectoryIsRelativeToTheWorkloadFile) {
    sh::os::TempDir dir("external-workload");
    std::filesystem::create_directories(dir.path() / "workloads");
    auto write = [&](const std::string& name, const json& document) {
        auto path = dir.path() / "workloads" / name;
        std::ofstream(path) << document.dump();
        return path;
    };
    auto plain = sh::workload::load_workload(write("plain.json", with_group(external_group())));
    EXPECT_EQ(plain.groups[0].consumer->cwd, (dir.path() / "workloads").string());
    auto relative = sh::workload::load_workload(write(
        "relative.json", with_group(external_group({{"command", {"c"}}, {"cwd", "../app"}}))));
    EXPECT_EQ(relative.groups[0].consumer->cwd, (dir.path() / "app").string());
    auto absolute = sh::workload::load_workload(write(
        "absolute.json", with_group(external_group({{"command", {"c"}}, {"cwd", "/srv/app"}}))));
    EXPECT_EQ(absolute.groups[0].consumer->cwd, "/srv/app");
}

TEST(ExternalWorkload, TheShippedExternalWorkloadsLoad) {
    auto root = std::filesystem::path(__FILE__).parent_path().parent_path().parent_path();
    for (const char* name : {"external-exactly-once.json", "external-at-least-once.json",
                             "external-seed-naive.json"}) {
        auto workload = sh::workload::load_workload(root / "workloads" / name);
        for (const auto& group : workload.groups) {
            ASSERT_TRUE(group.consumer.has_value()) << name;
            EXPECT_TRUE(std::filesystem::exists(std::filesystem::path(group.consumer->cwd) /
                                                group.consumer->command.at(1)))
                << name;
        }
    }
}
