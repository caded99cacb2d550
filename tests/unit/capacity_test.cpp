// The capacity search's logic over scripted step outcomes; the integration suite runs it for
// real against redis-server.
#include "harness/cli/capacity.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "harness/errors.hpp"

namespace {

using nlohmann::json;
using sh::cli::CapacityOptions;

// A run report with just what judge_step reads.
json step_report(double achieved, double p99_ms, std::int64_t lag, std::uint64_t lost,
                 bool gates_pass = true) {
    json report;
    report["verdict"] = gates_pass ? "pass" : "fail";
    report["gates"] = json::array({{{"gate", "max_duplicated"},
                                    {"group", "score"},
                                    {"actual", gates_pass ? 0 : 3},
                                    {"limit", 0},
                                    {"passed", gates_pass}}});
    report["summary"]["produced"]["ok_per_s"] = achieved;
    report["summary"]["groups"]["score"]["latency"]["end_to_end"]["p99_ms"] = p99_ms / 2;
    report["summary"]["groups"]["push"]["latency"]["end_to_end"]["p99_ms"] = p99_ms;
    report["verification"]["score"]["lost"] = lost;
    report["verification"]["push"]["lost"] = 0;
    report["timeline"] = json::array(
        {{{"phase", "load"}, {"groups", {{"score", {{"lag", lag}}}, {"push", {{"lag", nullptr}}}}}},
         {{"phase", "drain"}, {"groups", {{"score", {{"lag", lag * 100 + 1}}}}}}});
    return report;
}

// A system whose latency explodes past `capacity` orders/s; records the rates offered.
struct ScriptedSystem {
    double capacity;
    std::vector<double> offered;

    json run(double rate) {
        offered.push_back(rate);
        return step_report(rate, rate <= capacity ? 5.0 : 500.0, 0, 0);
    }
};

json search(const CapacityOptions& options, ScriptedSystem& system,
            std::vector<json>* seen = nullptr) {
    return sh::cli::search_capacity(
        options, [&](double rate, std::size_t) { return system.run(rate); },
        [&](const json& step) {
            if (seen != nullptr) seen->push_back(step);
        });
}

TEST(CapacityJudge, PassesAStepThatMeetsEverySloPart) {
    CapacityOptions options;
    auto step = sh::cli::judge_step(step_report(990, 8, 20, 0), 1000, options);
    EXPECT_TRUE(step["passed"]);
    EXPECT_EQ(step["worst_p99_ms"], 8.0);
    EXPECT_EQ(step["p99_ms"]["score"], 4.0);
    EXPECT_EQ(step["max_lag"], 20);  // the drain row's lag does not count
}

TEST(CapacityJudge, NamesEveryMissedPart) {
    CapacityOptions options;
    options.max_p99_ms = 10;
    options.max_lag = 100;
    auto step = sh::cli::judge_step(step_report(800, 12.5, 101, 2, false), 1000, options);
    EXPECT_FALSE(step["passed"]);
    auto reason = step["reason"].get<std::string>();
    EXPECT_NE(reason.find("p99 12.5 ms > 10 ms"), std::string::npos) << reason;
    EXPECT_NE(reason.find("lag 101 > 100"), std::string::npos) << reason;
    EXPECT_NE(reason.find("lost 2 > 0"), std::string::npos) << reason;
    EXPECT_NE(reason.find("produced only 800/s of 1000/s"), std::string::npos) << reason;
    EXPECT_NE(reason.find("gates failed: max_duplicated [score] 3"), std::string::npos) << reason;
}

TEST(CapacitySearch, BisectBracketsTheKneeWithinTheResolutionAndConfirmsIt) {
    CapacityOptions options;
    options.min_rate = 500;
    options.resolution = 0.05;
    ScriptedSystem system{7300, {}};
    auto result = search(options, system);
    auto answer = result["answer"]["rate"].get<double>();
    auto failing = result["knee"]["first_failing_rate"].get<double>();
    EXPECT_LE(answer, 7300);
    EXPECT_GT(failing, 7300);
    EXPECT_LE(failing / answer - 1, 0.05);
    EXPECT_TRUE(result["answer"]["confirmed"]);
    // 500, 1000, 2000, 4000, 8000 fail, then bisection, then the confirmation of the answer.
    std::vector<double> doubling(system.offered.begin(), system.offered.begin() + 5);
    EXPECT_EQ(doubling, (std::vector<double>{500, 1000, 2000, 4000, 8000}));
    EXPECT_EQ(system.offered.back(), answer);
    EXPECT_EQ(std::count(system.offered.begin(), system.offered.end(), answer), 2);
    EXPECT_EQ(result["steps"].size(), system.offered.size());
}

TEST(CapacitySearch, AnAnswerThatFailsItsConfirmationIsNotReported) {
    CapacityOptions options;
    options.min_rate = 1000;
    options.resolution = 0.3;
    // 1000 and 2000 pass, 4000 fails, 3000 passes, 3500 fails: the candidate is 3000, whose
    // confirmation fails (noise), so the search goes on between 2000 and 3000.
    ScriptedSystem system{3400, {}};
    std::vector<json> steps;
    auto result = sh::cli::search_capacity(
        options,
        [&](double rate, std::size_t) {
            auto runs_before = std::count(system.offered.begin(), system.offered.end(), rate);
            auto report = system.run(rate);
            if (rate == 3000 && runs_before == 1) report = step_report(rate, 500, 0, 0);
            return report;
        },
        [&](const json& step) { steps.push_back(step); });
    EXPECT_EQ(result["answer"]["rate"], 2500.0);
    EXPECT_EQ(result["knee"]["first_failing_rate"], 3000.0);
    EXPECT_EQ(system.offered,
              (std::vector<double>{1000, 2000, 4000, 3000, 3500, 3000, 2500, 2500}));
    EXPECT_EQ(steps.size(), 8u);
    EXPECT_FALSE(steps[5]["passed"]);
}

TEST(CapacitySearch, NoAnswerWhenEvenTheLowestRateMisses) {
    CapacityOptions options;
    options.min_rate = 1000;
    ScriptedSystem system{500, {}};
    auto result = search(options, system);
    EXPECT_TRUE(result["answer"]["rate"].is_null());
    EXPECT_FALSE(result["answer"]["confirmed"]);
    EXPECT_EQ(system.offered, (std::vector<double>{1000}));
}

TEST(CapacitySearch, StepSearchWalksUpByTheIncrement) {
    CapacityOptions options;
    options.search = CapacityOptions::Search::step;
    options.min_rate = 1000;
    options.step_rate = 1000;
    ScriptedSystem system{3500, {}};
    auto result = search(options, system);
    EXPECT_EQ(result["answer"]["rate"], 3000.0);
    EXPECT_EQ(result["knee"]["first_failing_rate"], 4000.0);
    EXPECT_EQ(system.offered, (std::vector<double>{1000, 2000, 3000, 4000, 3000}));
}

TEST(CapacitySearch, StopsAtMaxRateWhenNothingFails) {
    CapacityOptions options;
    options.min_rate = 1000;
    options.max_rate = 5000;
    ScriptedSystem system{1e9, {}};
    auto result = search(options, system);
    EXPECT_EQ(result["answer"]["rate"], 5000.0);
    EXPECT_TRUE(result["knee"]["first_failing_rate"].is_null());
    EXPECT_EQ(system.offered, (std::vector<double>{1000, 2000, 4000, 5000, 5000}));
}

TEST(CapacitySearch, RunningOutOfStepsKeepsTheStepsAndSaysWhyThereIsNoAnswer) {
    CapacityOptions options;
    options.min_rate = 1;
    options.max_steps = 3;
    ScriptedSystem system{1e9, {}};
    auto result = search(options, system);
    EXPECT_EQ(system.offered, (std::vector<double>{1, 2, 4}));
    EXPECT_EQ(result["steps"].size(), 3u);
    EXPECT_TRUE(result["answer"]["rate"].is_null());
    EXPECT_EQ(result["stopped"],
              "no confirmed answer within 3 steps (raise --max-steps or --resolution)");
}

TEST(CapacitySearch, AFractionalCeilingIsRoundedOnceAndNotRetried) {
    CapacityOptions options;
    options.min_rate = 1000;
    options.max_rate = 2000.4;
    ScriptedSystem system{1e9, {}};
    auto result = search(options, system);
    EXPECT_EQ(system.offered, (std::vector<double>{1000, 2000, 2000}));
    EXPECT_EQ(result["answer"]["rate"], 2000.0);
    EXPECT_TRUE(result["answer"]["at_ceiling"]);
    EXPECT_EQ(result["range"]["max_rate"], 2000.0);
}

TEST(CapacitySearch, StepSearchEndsAtTheCeilingItself) {
    CapacityOptions options;
    options.search = CapacityOptions::Search::step;
    options.min_rate = 1000;
    options.max_rate = 4500;
    options.step_rate = 1000;
    ScriptedSystem system{1e9, {}};
    auto result = search(options, system);
    EXPECT_EQ(system.offered, (std::vector<double>{1000, 2000, 3000, 4000, 4500, 4500}));
    EXPECT_TRUE(result["answer"]["at_ceiling"]);
}

TEST(CapacitySearch, AnAnswerBelowAFailureIsNotAtTheCeiling) {
    CapacityOptions options;
    options.min_rate = 1000;
    options.max_rate = 4000;
    ScriptedSystem system{3000, {}};
    auto result = search(options, system);
    EXPECT_FALSE(result["answer"]["at_ceiling"]);
    EXPECT_LE(result["answer"]["rate"].get<double>(), 3000);
    EXPECT_GT(result["knee"]["first_failing_rate"].get<double>(), 3000);
}

TEST(CapacitySearch, RejectsAStepRateThatCannotMove) {
    CapacityOptions options;
    options.search = CapacityOptions::Search::step;
    options.step_rate = 0.4;
    ScriptedSystem system{1e9, {}};
    EXPECT_THROW(search(options, system), sh::WorkloadError);
    EXPECT_TRUE(system.offered.empty());
}

TEST(CapacitySearch, RejectsAnEmptyRateRange) {
    CapacityOptions options;
    options.min_rate = 2000;
    options.max_rate = 1000;
    ScriptedSystem system{1e9, {}};
    EXPECT_THROW(search(options, system), sh::WorkloadError);
}

}  // namespace

namespace {

// A fleet that meets the SLO with at least `needed` consumers per group.
struct ScriptedFleet {
    int needed;
    std::vector<int> tried;

    json run(int consumers) {
        tried.push_back(consumers);
        return step_report(3000, consumers >= needed ? 5.0 : 500.0, 0, 0);
    }
};

json search_fleet(const CapacityOptions& options, ScriptedFleet& fleet) {
    return sh::cli::search_consumers(
        options, [&](int consumers, std::size_t) { return fleet.run(consumers); },
        [](const json&) {});
}

CapacityOptions fleet_options() {
    CapacityOptions options;
    options.search = CapacityOptions::Search::consumers;
    options.consumers_rate = 3000;
    options.max_consumers = 64;
    return options;
}

TEST(ConsumerSearch, FindsTheFewestConsumersThatMeetTheSloAndConfirmsThem) {
    ScriptedFleet fleet{5, {}};
    auto result = search_fleet(fleet_options(), fleet);
    EXPECT_EQ(result["answer"]["consumers"], 5);
    EXPECT_TRUE(result["answer"]["confirmed"]);
    EXPECT_EQ(result["knee"]["last_failing_consumers"], 4);
    EXPECT_EQ(result["knee"]["first_passing_consumers"], 5);
    // 1, 2, 4 fail, 8 passes; bisect 6 (pass), 5 (pass); 5 again.
    EXPECT_EQ(fleet.tried, (std::vector<int>{1, 2, 4, 8, 6, 5, 5}));
    EXPECT_EQ(result["steps"][0]["consumers"], 1);
    EXPECT_EQ(result["steps"][0]["rate"], 3000.0);
}

TEST(ConsumerSearch, NoAnswerWhenEvenTheMostConsumersMiss) {
    auto options = fleet_options();
    options.max_consumers = 6;
    ScriptedFleet fleet{100, {}};
    auto result = search_fleet(options, fleet);
    EXPECT_TRUE(result["answer"]["consumers"].is_null());
    EXPECT_EQ(fleet.tried, (std::vector<int>{1, 2, 4, 6}));
}

TEST(ConsumerSearch, NeedsARate) {
    auto options = fleet_options();
    options.consumers_rate = 0;
    ScriptedFleet fleet{1, {}};
    EXPECT_THROW(search_fleet(options, fleet), sh::WorkloadError);
    EXPECT_TRUE(fleet.tried.empty());
}

}  // namespace
