// The chaos schedule and target selection: reproducible from the seed, bounded by the run.
#include <gtest/gtest.h>

#include <random>

#include "chaos/schedule.hpp"
#include "chaos/target.hpp"

using sh::chaos::expand_schedule;
using sh::workload::ChaosSpec;
using sh::workload::FaultEvent;
using sh::workload::FaultKind;

namespace {
ChaosSpec spec_with_jitter(std::uint64_t seed) {
    ChaosSpec spec;
    spec.seed = seed;
    FaultEvent kill;
    kill.every_s = 2;
    kill.start_s = 1;
    kill.jitter_s = 0.5;
    FaultEvent pause;
    pause.fault = FaultKind::pause;
    pause.at_s = 4.25;
    spec.events = {kill, pause};
    return spec;
}
}  // namespace

TEST(ChaosSchedule, SameSeedGivesTheSameSchedule) {
    auto first = expand_schedule(spec_with_jitter(42), 20);
    auto second = expand_schedule(spec_with_jitter(42), 20);
    ASSERT_EQ(first.size(), second.size());
    for (std::size_t i = 0; i < first.size(); ++i) {
        EXPECT_DOUBLE_EQ(first[i].at_s, second[i].at_s);
        EXPECT_EQ(first[i].event, second[i].event);
    }
}

TEST(ChaosSchedule, AnotherSeedMovesTheJitteredFaults) {
    auto first = expand_schedule(spec_with_jitter(42), 20);
    auto other = expand_schedule(spec_with_jitter(43), 20);
    bool differs = false;
    for (std::size_t i = 0; i < std::min(first.size(), other.size()); ++i) {
        if (first[i].at_s != other[i].at_s) differs = true;
    }
    EXPECT_TRUE(differs);
}

TEST(ChaosSchedule, RepeatsEveryIntervalWithinJitterAndStaysSortedInsideTheRun) {
    auto schedule = expand_schedule(spec_with_jitter(7), 20);
    std::size_t kills = 0;
    for (std::size_t i = 0; i < schedule.size(); ++i) {
        if (i > 0) {
            EXPECT_LE(schedule[i - 1].at_s, schedule[i].at_s);
        }
        EXPECT_GE(schedule[i].at_s, 0);
        EXPECT_LT(schedule[i].at_s, 20);
        if (schedule[i].event == 0) {
            double nominal = 1 + 2.0 * static_cast<double>(kills++);
            EXPECT_NEAR(schedule[i].at_s, nominal, 0.5);
        } else {
            EXPECT_DOUBLE_EQ(schedule[i].at_s, 4.25);  // no jitter on a one-off event
        }
    }
    EXPECT_EQ(kills, 10u);  // 1, 3, ..., 19
}

TEST(ChaosSchedule, UntilEndsARepeatingEvent) {
    ChaosSpec spec;
    FaultEvent event;
    event.every_s = 1;
    event.until_s = 3.5;
    spec.events = {event};
    auto schedule = expand_schedule(spec, 60);
    ASSERT_EQ(schedule.size(), 4u);  // 0, 1, 2, 3
    EXPECT_DOUBLE_EQ(schedule.back().at_s, 3);
}

namespace {
std::vector<sh::run::Worker> fleet() {
    std::vector<sh::run::Worker> workers(5);
    const char* groups[] = {"score", "score", "score", "push", "push"};
    int indexes[] = {1, 2, 3, 1, 2};
    for (std::size_t i = 0; i < workers.size(); ++i) {
        workers[i].group = groups[i];
        workers[i].index = indexes[i];
    }
    return workers;
}
bool any_worker(const sh::run::Worker&) {
    return true;
}
}  // namespace

TEST(ChaosTarget, IndexSelectsThatConsumer) {
    std::mt19937_64 rng(1);
    auto picked = sh::chaos::select_targets("push/2", fleet(), any_worker, rng);
    EXPECT_EQ(picked, std::vector<std::size_t>{4});
}

TEST(ChaosTarget, AllSelectsEveryEligibleConsumerOfTheGroup) {
    std::mt19937_64 rng(1);
    auto picked = sh::chaos::select_targets("score/all", fleet(), any_worker, rng);
    EXPECT_EQ(picked, (std::vector<std::size_t>{0, 1, 2}));
    auto everyone = sh::chaos::select_targets("*/all", fleet(), any_worker, rng);
    EXPECT_EQ(everyone.size(), 5u);
}

TEST(ChaosTarget, AnyPicksOneEligibleConsumer) {
    std::mt19937_64 rng(1);
    auto only_second = [](const sh::run::Worker& worker) { return worker.index == 2; };
    for (int i = 0; i < 20; ++i) {
        auto picked = sh::chaos::select_targets("*/any", fleet(), only_second, rng);
        ASSERT_EQ(picked.size(), 1u);
        EXPECT_TRUE(picked[0] == 1 || picked[0] == 4);
    }
    auto none = sh::chaos::select_targets(
        "score/any", fleet(), [](const sh::run::Worker&) { return false; }, rng);
    EXPECT_TRUE(none.empty());
}
