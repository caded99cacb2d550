// The guard behind "the gate must never pass wrongly": every anomaly the verifier counts, and
// every run-wide fact that voids a verdict, fails the run under the default gates, with the
// anomaly's own number as the gate's actual value. A new bucket without a default-failing
// gate fails here.
#include "harness/verify/gates.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

using sh::verify::evaluate_gates;
using sh::verify::evaluate_run_gates;
using sh::verify::GateResult;
using sh::verify::GroupVerdict;
using sh::verify::RunFacts;

namespace {

const GateResult* failing(const std::vector<GateResult>& results) {
    for (const auto& result : results) {
        if (!result.passed) return &result;
    }
    return nullptr;
}

struct Anomaly {
    const char* name;
    const char* gate;
    std::function<void(GroupVerdict&)> make;
};

const std::vector<Anomaly> group_anomalies = {
    {"lost", "max_lost", [](GroupVerdict& v) { v.lost = 3; }},
    {"duplicated", "max_duplicated", [](GroupVerdict& v) { v.duplicated = 3; }},
    {"unexpected", "max_unexpected", [](GroupVerdict& v) { v.unexpected = 3; }},
    {"pending_left", "max_pending_left", [](GroupVerdict& v) { v.pending_left = 3; }},
    {"lag_left", "max_lag_left", [](GroupVerdict& v) { v.lag_left = 3; }},
    {"dead_lettered_healthy", "max_dead_lettered_healthy",
     [](GroupVerdict& v) { v.dead_lettered_healthy = 3; }},
    {"applied_and_dead_lettered", "max_applied_and_dead_lettered",
     [](GroupVerdict& v) { v.applied_and_dead_lettered = 3; }},
    {"poison_not_dead_lettered", "poison_dead_lettered",
     [](GroupVerdict& v) { v.poison_not_dead_lettered = 3; }},
};

RunFacts clean_run() {
    RunFacts facts;
    facts.produced_ok = 100;
    facts.faults = {{0, "kill", 4, 4, 0, "g/any"}};
    return facts;
}

}  // namespace

TEST(DefaultGates, EveryGroupAnomalyFailsTheRunWithItsOwnNumber) {
    for (const auto& anomaly : group_anomalies) {
        SCOPED_TRACE(anomaly.name);
        GroupVerdict verdict;
        verdict.group = "score";
        anomaly.make(verdict);
        auto results = evaluate_gates({}, {verdict}, {}, true);
        const auto* gate = failing(results);
        ASSERT_NE(gate, nullptr);
        EXPECT_EQ(gate->gate, anomaly.gate);
        EXPECT_EQ(gate->group, "score");
        EXPECT_EQ(gate->actual, 3);
        EXPECT_FALSE(sh::verify::all_passed(results));
    }
}

TEST(DefaultGates, InconsistentPointsFailTheRun) {
    GroupVerdict verdict;
    verdict.group = "score";
    verdict.points_checked = true;
    verdict.points_consistent = false;
    auto results = evaluate_gates({}, {verdict}, {}, true);
    const auto* gate = failing(results);
    ASSERT_NE(gate, nullptr);
    EXPECT_EQ(gate->gate, "points_consistent");
}

TEST(DefaultGates, ACleanRunPassesEveryRunWideGate) {
    auto results = evaluate_run_gates({}, clean_run());
    EXPECT_TRUE(sh::verify::all_passed(results));
    for (const char* gate : {"min_produced_ok", "max_produce_failed", "max_produce_indeterminate",
                             "max_evicted_keys", "min_faults_landed"}) {
        EXPECT_TRUE(std::any_of(results.begin(), results.end(), [&](const GateResult& result) {
            return result.gate == gate;
        })) << gate;
    }
}

TEST(DefaultGates, EveryRunWideAnomalyFailsTheRunWithItsOwnNumber) {
    struct RunAnomaly {
        const char* gate;
        std::function<void(RunFacts&)> make;
        double actual;
    };
    const std::vector<RunAnomaly> anomalies = {
        {"min_produced_ok", [](RunFacts& f) { f.produced_ok = 0; }, 0},
        {"max_produce_failed", [](RunFacts& f) { f.produce_failed = 7; }, 7},
        {"max_produce_indeterminate", [](RunFacts& f) { f.produce_indeterminate = 7; }, 7},
        {"max_evicted_keys", [](RunFacts& f) { f.evicted_keys = 7; }, 7},
        {"min_faults_landed",
         [](RunFacts& f) {
             f.faults = {{0, "pause", 5, 0, 5, "g/any"}};
         },
         0},
    };
    for (const auto& anomaly : anomalies) {
        SCOPED_TRACE(anomaly.gate);
        auto facts = clean_run();
        anomaly.make(facts);
        auto results = evaluate_run_gates({}, facts);
        const auto* gate = failing(results);
        ASSERT_NE(gate, nullptr);
        EXPECT_EQ(gate->gate, anomaly.gate);
        EXPECT_EQ(gate->actual, anomaly.actual);
    }
}

TEST(RunGates, NoOrderProducedOkNeverPassesWhateverTheWorkloadSays) {
    sh::workload::Gates lenient;
    lenient.min_produced_ok = 0;  // the parser refuses this; the gate holds anyway
    lenient.max_produce_failed.reset();
    auto facts = clean_run();
    facts.produced_ok = 0;
    facts.produce_failed = 3000;
    auto results = evaluate_run_gates(lenient, facts);
    EXPECT_FALSE(sh::verify::all_passed(results));
    EXPECT_EQ(failing(results)->gate, "min_produced_ok");
    EXPECT_EQ(failing(results)->limit, 1);
}

TEST(RunGates, FaultsLandedIsJudgedPerEventAndCappedAtWhatWasScheduled) {
    sh::workload::Gates gates;
    gates.min_faults_landed = 3;
    gates.min_faults_landed_ratio.reset();
    auto facts = clean_run();
    // Two kill events: one landing often must not hide the other that never did.
    facts.faults = {{0, "kill", 10, 3, 7, "g/any"},
                    {1, "stop", 2, 2, 0, "g/any"},
                    {2, "pause", 4, 2, 2, "g/any"},
                    {3, "kill", 1, 0, 1, "g/any"},
                    {4, "slow", 0, 0, 0, "g/any"}};
    auto results = evaluate_run_gates(gates, facts);
    std::vector<std::pair<int, bool>> judged;
    for (const auto& result : results) {
        if (result.gate == "min_faults_landed") judged.emplace_back(result.event, result.passed);
    }
    // stop came due twice: both landing is enough. slow never came due: it fails.
    EXPECT_EQ(judged, (std::vector<std::pair<int, bool>>{
                          {0, true}, {1, true}, {2, false}, {3, false}, {4, false}}));
    gates.min_faults_landed.reset();
    for (const auto& result : evaluate_run_gates(gates, facts)) {
        EXPECT_NE(result.gate, "min_faults_landed");
    }
}

TEST(RunGates, MostFaultsOfAnEventMustLandByDefault) {
    auto facts = clean_run();
    facts.faults = {{0, "kill", 56, 16, 40, "g/any"}, {1, "kill", 10, 5, 5, "g/any"}};
    std::vector<std::pair<int, bool>> judged;
    for (const auto& result : evaluate_run_gates({}, facts)) {
        if (result.gate == "min_faults_landed_ratio") {
            judged.emplace_back(result.event, result.passed);
        }
    }
    EXPECT_EQ(judged, (std::vector<std::pair<int, bool>>{{0, false}, {1, true}}));
}
