// Replicas and failover (issue 14), the parts without a server: the workload's topology, WAIT
// and effect-store settings with what is refused; lost writes and re-deliveries attributed to
// the change of primary that caused them; and the gates that judge them apart from the
// consumers' own losses and duplicates.
#include <gtest/gtest.h>

#include "harness/verify/gates.hpp"
#include "harness/verify/primary_changes.hpp"
#include "harness/workload/workload_json.hpp"
#include "tests/unit/workload_problems.hpp"

using nlohmann::json;
using sh::testing::has_problem_starting;
using sh::testing::joined;
using sh::testing::problems_of;

namespace {

json replicated(json topology = {{"replicas", 1}, {"sentinels", 3}}) {
    return {{"topology", std::move(topology)}, {"groups", {{{"name", "score"}}}}};
}

json with_fault(json document, const std::string& fault) {
    document["chaos"] = {{"events", {{{"fault", fault}, {"at_s", 1}}}}};
    return document;
}

sh::model::OutcomeTable ok_orders(std::uint64_t count) {
    sh::model::OutcomeTable outcomes;
    {
        sh::model::OutcomeTable::Writer writer(outcomes);
        for (std::uint64_t seq = 0; seq < count; ++seq) writer.record(seq, sh::model::Outcome::ok);
    }
    outcomes.resize(count);
    return outcomes;
}

}  // namespace

TEST(ReplicationWorkload, TopologyWaitAndEffectStoreAreReadAndWrittenBack) {
    auto document = replicated({{"replicas", 2}, {"sentinels", 3}, {"min_replicas_to_write", 1}});
    document["producers"] = {{"wait", {{"replicas", 1}, {"timeout_ms", 50}}}};
    document["groups"][0]["effect_store"] = "separate";
    document["groups"][0]["ack_wait"] = {{"replicas", 2}};
    auto workload = sh::workload::parse_workload(document);
    EXPECT_EQ(workload.topology.replicas, 2);
    EXPECT_EQ(workload.topology.min_replicas_to_write, 1);
    EXPECT_EQ(workload.producers.wait.replicas, 1);
    EXPECT_EQ(workload.producers.wait.timeout_ms, 50);
    EXPECT_EQ(workload.groups[0].effect_store, sh::workload::EffectStore::separate);
    EXPECT_EQ(workload.groups[0].ack_wait.replicas, 2);
    auto written = sh::workload::to_json(workload);
    EXPECT_EQ(sh::workload::parse_workload(written).topology.replicas, 2);
    EXPECT_EQ(written["groups"][0]["effect_store"], "separate");
    EXPECT_EQ(written["gates"]["max_lost_writes"], 0);
}

TEST(ReplicationWorkload, ImpossibleTopologiesAreRefusedByField) {
    EXPECT_TRUE(has_problem_starting(problems_of(replicated({{"replicas", 1}, {"sentinels", 2}})),
                                     "topology.sentinels"));
    EXPECT_TRUE(has_problem_starting(problems_of(replicated({{"replicas", 0}, {"sentinels", 3}})),
                                     "topology.sentinels"));
    EXPECT_TRUE(has_problem_starting(
        problems_of(replicated({{"replicas", 1}, {"min_replicas_to_write", 2}})),
        "topology.min_replicas_to_write"));
}

TEST(ReplicationWorkload, ServerFaultsNeedTheTopologyTheyActOn) {
    auto no_sentinels = replicated({{"replicas", 1}});
    EXPECT_TRUE(has_problem_starting(problems_of(with_fault(no_sentinels, "failover")),
                                     "chaos.events.0.fault"));
    EXPECT_TRUE(has_problem_starting(problems_of(with_fault(no_sentinels, "primary-kill")),
                                     "chaos.events.0.fault"));
    json lone = {{"groups", {{{"name", "score"}}}}};
    EXPECT_TRUE(
        has_problem_starting(problems_of(with_fault(lone, "replica-stall")), "chaos.events.0"));
    EXPECT_TRUE(has_problem_starting(problems_of(with_fault(replicated(), "redis-restart")),
                                     "chaos.events.0.fault"));
    auto accepted = problems_of(with_fault(replicated(), "primary-kill"));
    EXPECT_TRUE(accepted.empty()) << joined(accepted);
}

TEST(ReplicationWorkload, WhatWouldHideALostWriteIsRefusedWithReplicas) {
    auto trimmed = replicated();
    trimmed["stream"] = {{"retention", {{"mode", "safe"}}}};
    EXPECT_TRUE(has_problem_starting(problems_of(trimmed), "stream.retention.mode"));
    auto deleting = replicated();
    deleting["groups"][0]["dead_letter"] = {{"delete", true}};
    EXPECT_TRUE(has_problem_starting(problems_of(deleting), "groups.0.dead_letter.delete"));
    json external = {{"groups",
                      {{{"name", "score"},
                        {"effect_store", "separate"},
                        {"consumer", {{"command", {"python3", "c.py"}}}}}}}};
    EXPECT_TRUE(has_problem_starting(problems_of(external), "groups.0.effect_store"));
}

TEST(LostWrites, AcknowledgedOrdersMissingFromTheStreamGoToTheFirstChangeAboveThem) {
    auto outcomes = ok_orders(10);
    // 2, 3 lost before the first change (watermark 4), 6 before the second (8), 9 after both.
    auto lost = sh::verify::find_lost_writes(outcomes, {0, 1, 4, 5, 7, 8}, {4, 8});
    EXPECT_EQ(lost.total, 4u);
    EXPECT_EQ(lost.by_change, (std::vector<std::uint64_t>{2, 1}));
    EXPECT_EQ(lost.unattributed, 1u);
    EXPECT_EQ(lost.sample, (std::vector<std::uint64_t>{2, 3, 6, 9}));
    EXPECT_EQ(lost.entries_in_stream, 6u);
}

TEST(LostWrites, OnlyAcknowledgedOrdersAreLostWrites) {
    sh::model::OutcomeTable outcomes;
    {
        sh::model::OutcomeTable::Writer writer(outcomes);
        writer.record(0, sh::model::Outcome::ok);
        writer.record(1, sh::model::Outcome::indeterminate);  // a WAIT short of its replicas
        writer.record(2, sh::model::Outcome::failed);
    }
    outcomes.resize(3);
    EXPECT_EQ(sh::verify::find_lost_writes(outcomes, {}, {3}).total, 1u);
    // Shown to have been written (recovered): the server lost it, so it is not the group's.
    EXPECT_EQ(sh::verify::lost_write_orders(outcomes, {}, {1}), (std::vector<std::uint64_t>{0, 1}));
}

TEST(LostWrites, AGroupsLossesAndDuplicatesAreSplitByCauseAndJudgedOnce) {
    sh::verify::GroupLedger ledger;
    ledger.group = "score";
    sh::verify::set_bit(ledger.applied_bitmap, 5);  // applied before its entry was lost
    ledger.extra_applications = {{1, 1}, {2, 1}, {9, 1}};
    sh::verify::GroupVerdict verdict;
    verdict.group = "score";
    verdict.lost = 3;  // 5 is applied: the lost ones are 3, 4 (lost writes) and 7
    verdict.duplicated = 3;
    verdict.duplicated_without_hard_kill = 2;
    verdict.duplicated_after_hard_kill = 1;
    sh::model::OrderAttributes attributes{1, 10, 0};
    sh::verify::attribute_to_changes(verdict, ledger, attributes, {3, 4, 5}, {6}, /*held=*/{2},
                                     /*effects_outside=*/true);
    EXPECT_EQ(verdict.lost_writes, 2u);
    // 1 is below the watermark and no kill held it; 2 a kill explains; 9 came after.
    EXPECT_EQ(verdict.duplicated_by_change, (std::vector<std::uint64_t>{1}));

    sh::workload::Gates gates;
    auto results = sh::verify::evaluate_gates(gates, {verdict}, {}, true);
    auto actual_of = [&](const std::string& name) {
        for (const auto& result : results) {
            if (result.gate == name) return result.actual;
        }
        return -1.0;
    };
    EXPECT_EQ(actual_of("max_lost"), 1);        // 7 only: the consumers' own loss
    EXPECT_EQ(actual_of("max_duplicated"), 2);  // 2 and 9
    EXPECT_EQ(actual_of("max_duplicated_without_hard_kill"), 1);
    auto run = sh::verify::evaluate_run_gates(gates, {10, 0, 0, 0, {}, {{2, 1, 4, 0}}});
    std::map<std::string, double> run_actual;
    for (const auto& result : run) run_actual[result.gate] = result.actual;
    EXPECT_EQ(run_actual["max_lost_writes"], 2);
    EXPECT_EQ(run_actual["max_redelivered_after_ack"], 1);
    EXPECT_EQ(run_actual["max_rolled_back_entries"], 4);
    EXPECT_EQ(run_actual["max_missing_groups"], 0);
    EXPECT_FALSE(sh::verify::all_passed(run));
}

TEST(LostWrites, InAGroupWhoseEffectsLiveInRedisEveryDuplicateStaysTheConsumers) {
    sh::verify::GroupLedger ledger;
    ledger.extra_applications = {{1, 1}};
    sh::verify::GroupVerdict verdict;
    verdict.duplicated = verdict.duplicated_without_hard_kill = 1;
    sh::verify::attribute_to_changes(verdict, ledger, {1, 10, 0}, {}, {6}, {},
                                     /*effects_outside=*/false);
    EXPECT_EQ(verdict.duplicated_by_change, (std::vector<std::uint64_t>{0}));
    auto results = sh::verify::evaluate_gates({}, {verdict}, {}, true);
    for (const auto& result : results) {
        if (result.gate == "max_duplicated") {
            EXPECT_EQ(result.actual, 1);
        }
    }
}

TEST(LostWrites, APoisonOrderWhoseWriteWasLostIsNotAlsoAMissingDeadLetter) {
    sh::verify::GroupLedger ledger;
    sh::verify::GroupVerdict verdict;
    verdict.lost = 1;
    verdict.poison_not_dead_lettered = 1;
    // Every order is poison with a ratio of 1.
    sh::verify::attribute_to_changes(verdict, ledger, {1, 10, 1.0}, {3}, {6}, {}, true);
    EXPECT_EQ(verdict.lost_writes_poison, 1u);
    for (const auto& result : sh::verify::evaluate_gates({}, {verdict}, {}, true)) {
        if (result.gate == "poison_dead_lettered" || result.gate == "max_lost") {
            EXPECT_TRUE(result.passed) << result.gate;
        }
    }
}

TEST(LostWrites, WithoutReplicationFactsNoReplicationGateIsJudged) {
    auto run = sh::verify::evaluate_run_gates({}, {10, 0, 0, 0, {}, std::nullopt});
    for (const auto& result : run) EXPECT_NE(result.gate, "max_lost_writes");
}
