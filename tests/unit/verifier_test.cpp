// The verifier and gates over hand-built outcome tables and ledgers: exact counts, no Redis.
#include "harness/verify/verifier.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "harness/verify/gates.hpp"

using sh::model::OrderAttributes;
using sh::model::Outcome;
using sh::model::OutcomeTable;
using sh::verify::evaluate_gates;
using sh::verify::GateResult;
using sh::verify::GroupLedger;
using sh::verify::GroupVerdict;
using sh::verify::verify_group;

namespace {

OutcomeTable table_of(std::size_t orders, Outcome outcome = Outcome::ok) {
    OutcomeTable table;
    for (std::uint64_t seq = 0; seq < orders; ++seq) table.set(seq, outcome);
    return table;
}

// SETBIT semantics: bit n lives in byte n/8, most significant bit first.
void set_bit(std::string& bitmap, std::uint64_t bit) {
    if (bitmap.size() <= bit / 8) bitmap.resize(bit / 8 + 1, '\0');
    bitmap[bit / 8] =
        static_cast<char>(static_cast<unsigned char>(bitmap[bit / 8]) | (0x80U >> (bit % 8)));
}

GroupLedger ledger_with_bits(std::uint64_t first, std::uint64_t end) {
    GroupLedger ledger;
    ledger.group = "score";
    for (auto seq = first; seq < end; ++seq) set_bit(ledger.applied_bitmap, seq);
    return ledger;
}

// Sequence numbers below `limit` that are (or are not) poison under these attributes.
std::vector<std::uint64_t> seqs_where(const OrderAttributes& attributes, bool poison,
                                      std::uint64_t limit) {
    std::vector<std::uint64_t> seqs;
    for (std::uint64_t seq = 0; seq < limit; ++seq) {
        if (attributes.is_poison(seq) == poison) seqs.push_back(seq);
    }
    return seqs;
}

const OrderAttributes plain{7, 1000, 0};

}  // namespace

TEST(Verifier, AllAppliedMeansNothingLost) {
    auto table = table_of(100);
    auto ledger = ledger_with_bits(0, 100);
    ledger.pending_left = 3;
    ledger.lag_left = 9;
    ledger.shares = {{"score-1-1", 60}, {"score-2-1", 40}};
    auto verdict = verify_group(table, plain, ledger);
    EXPECT_EQ(verdict.group, "score");
    EXPECT_EQ(verdict.produced_ok, 100U);
    EXPECT_EQ(verdict.applied, 100U);
    EXPECT_EQ(verdict.applied_ok, 100U);
    EXPECT_EQ(verdict.lost, 0U);
    EXPECT_TRUE(verdict.lost_sample.empty());
    EXPECT_EQ(verdict.unexpected, 0U);
    EXPECT_EQ(verdict.duplicated, 0U);
    EXPECT_EQ(verdict.dead_lettered, 0U);
    EXPECT_EQ(verdict.poison_not_dead_lettered, 0U);  // poison_ratio 0: nothing is poison
    EXPECT_EQ(verdict.pending_left, 3);               // copied from the ledger
    EXPECT_EQ(verdict.lag_left, 9);
    EXPECT_EQ(verdict.shares, ledger.shares);
}

TEST(Verifier, MissingBitsForOkOrdersAreLost) {
    auto table = table_of(100);
    auto ledger = ledger_with_bits(0, 0);
    for (std::uint64_t seq = 0; seq < 100; ++seq) {
        if (seq != 3 && seq != 50 && seq != 99) set_bit(ledger.applied_bitmap, seq);
    }
    auto verdict = verify_group(table, plain, ledger);
    EXPECT_EQ(verdict.applied, 97U);
    EXPECT_EQ(verdict.lost, 3U);
    EXPECT_EQ(verdict.lost_sample, (std::vector<std::uint64_t>{3, 50, 99}));
    EXPECT_EQ(verdict.lost_unattributed, 3U);
    EXPECT_EQ(verdict.unexpected, 0U);

    verdict = verify_group(table, plain, ledger_with_bits(0, 0));  // nothing applied
    EXPECT_EQ(verdict.lost, 100U);
    ASSERT_EQ(verdict.lost_sample.size(), 20U);  // the first few only
    EXPECT_EQ(verdict.lost_sample.back(), 19U);
}

TEST(Verifier, IndeterminateOrdersAreNeverLost) {
    auto table = table_of(40, Outcome::indeterminate);
    auto verdict = verify_group(table, plain, ledger_with_bits(0, 15));
    EXPECT_EQ(verdict.lost, 0U);
    EXPECT_EQ(verdict.produced_ok, 0U);
    EXPECT_EQ(verdict.applied, 15U);
    EXPECT_EQ(verdict.applied_indeterminate, 15U);
    EXPECT_EQ(verdict.applied_ok, 0U);
    EXPECT_EQ(verdict.unexpected, 0U);
}

TEST(Verifier, BitsForFailedUnsentOrBeyondTheTableAreUnexpected) {
    auto table = table_of(10);
    table.set(8, Outcome::failed);
    table.set(9, Outcome::unsent);
    auto ledger = ledger_with_bits(0, 10);  // 0..7 ok and applied, 8 and 9 applied
    set_bit(ledger.applied_bitmap, 12);     // beyond the table, same byte as order 9 + 1
    set_bit(ledger.applied_bitmap, 15);
    set_bit(ledger.applied_bitmap, 40);  // beyond the table, in a later byte
    set_bit(ledger.applied_bitmap, 47);
    auto verdict = verify_group(table, plain, ledger);
    EXPECT_EQ(verdict.unexpected, 6U);
    EXPECT_EQ(verdict.applied, 10U);
    EXPECT_EQ(verdict.applied_ok, 8U);
    EXPECT_EQ(verdict.lost, 0U);

    // Without their bits, failed and unsent orders are neither lost nor unexpected.
    verdict = verify_group(table, plain, ledger_with_bits(0, 8));
    EXPECT_EQ(verdict.unexpected, 0U);
    EXPECT_EQ(verdict.lost, 0U);
}

TEST(Verifier, DupHashCountsDuplicatedOrdersAndExtraApplications) {
    auto table = table_of(20);
    auto ledger = ledger_with_bits(0, 20);
    ledger.extra_applications = {{5, 2}, {7, 1}, {9, 0}, {3, 4}};
    auto verdict = verify_group(table, plain, ledger);
    EXPECT_EQ(verdict.duplicated, 3U);
    EXPECT_EQ(verdict.extra_applications, 7U);
    EXPECT_EQ(verdict.duplicated_sample, (std::vector<std::uint64_t>{3, 5, 7}));
    EXPECT_EQ(verdict.lost, 0U);
}

TEST(Verifier, DeadLettersSplitIntoPoisonTransientAndUnattributed) {
    OrderAttributes attributes{20200425, 1000, 0.5};
    auto poison = seqs_where(attributes, true, 64);
    auto healthy = seqs_where(attributes, false, 64);
    ASSERT_GE(poison.size(), 3U);
    ASSERT_GE(healthy.size(), 2U);

    auto table = table_of(64);
    auto ledger = ledger_with_bits(0, 0);
    // Dead-lettered orders have no bit; they are neither lost nor applied.
    for (std::uint64_t seq = 0; seq < 64; ++seq) {
        if (seq != poison[0] && seq != poison[1] && seq != healthy[0]) {
            set_bit(ledger.applied_bitmap, seq);
        }
    }
    ledger.dead_letters = {{poison[0], "poison", 5},
                           {poison[1], "poison", 5},
                           {healthy[0], "max-deliveries", 6},
                           {std::nullopt, "malformed", 1},
                           {64, "max-deliveries", 5}};
    auto verdict = verify_group(table, attributes, ledger);
    EXPECT_EQ(verdict.dead_lettered, 5U);
    EXPECT_EQ(verdict.dead_lettered_poison, 2U);
    EXPECT_EQ(verdict.dead_lettered_healthy, 1U);
    EXPECT_EQ(verdict.dead_lettered_unattributed, 2U);
    EXPECT_EQ(verdict.dead_letter_reasons.size(), 3U);
    EXPECT_EQ(verdict.dead_letter_reasons.at("poison"), 2U);
    EXPECT_EQ(verdict.dead_letter_reasons.at("max-deliveries"), 2U);
    EXPECT_EQ(verdict.dead_letter_reasons.at("malformed"), 1U);
    EXPECT_EQ(verdict.lost, 0U);
    EXPECT_EQ(verdict.applied, 61U);
    // Poison orders other than the two dead-lettered ones were applied instead.
    EXPECT_EQ(verdict.poison_not_dead_lettered, poison.size() - 2);
    EXPECT_EQ(verdict.poison_applied, poison.size() - 2);
}

TEST(Verifier, PoisonOkOrdersOutsideTheDlqAreCounted) {
    OrderAttributes attributes{11, 1000, 0.3};
    auto poison = seqs_where(attributes, true, 200);
    ASSERT_GE(poison.size(), 4U);
    auto table = table_of(200);
    table.set(poison[0], Outcome::failed);  // never in the stream: nothing to dead-letter
    table.set(poison[1], Outcome::indeterminate);
    auto ledger = ledger_with_bits(0, 0);
    for (std::uint64_t seq = 0; seq < 200; ++seq) {
        if (!attributes.is_poison(seq)) set_bit(ledger.applied_bitmap, seq);
    }
    ledger.dead_letters = {{poison[2], "poison", 5}};
    auto verdict = verify_group(table, attributes, ledger);
    EXPECT_EQ(verdict.poison_not_dead_lettered, poison.size() - 3);
    EXPECT_EQ(verdict.poison_applied, 0U);
    // Unapplied poison ok orders outside the DLQ are lost as well.
    EXPECT_EQ(verdict.lost, poison.size() - 3);
}

TEST(Verifier, PointsExpectedAreAmountsOfAppliedPlusExtraApplications) {
    OrderAttributes attributes{42, 1000, 0};
    auto table = table_of(30);
    auto ledger = ledger_with_bits(0, 25);  // 25..29 lost
    ledger.points_effect = true;
    ledger.extra_applications = {{4, 2}, {10, 1}};
    std::int64_t expected = 0;
    for (std::uint64_t seq = 0; seq < 25; ++seq) expected += attributes.amount_of(seq);
    expected += 2 * attributes.amount_of(4) + attributes.amount_of(10);
    ledger.points_total = expected;

    auto verdict = verify_group(table, attributes, ledger);
    EXPECT_TRUE(verdict.points_checked);
    EXPECT_EQ(verdict.points_expected, expected);
    EXPECT_EQ(verdict.points_actual, expected);
    EXPECT_TRUE(verdict.points_consistent);

    ledger.points_total = expected + 1;
    verdict = verify_group(table, attributes, ledger);
    EXPECT_EQ(verdict.points_expected, expected);
    EXPECT_EQ(verdict.points_actual, expected + 1);
    EXPECT_FALSE(verdict.points_consistent);

    ledger.points_effect = false;  // no points effect: nothing to check
    verdict = verify_group(table, attributes, ledger);
    EXPECT_FALSE(verdict.points_checked);
    EXPECT_TRUE(verdict.points_consistent);
}

TEST(Verifier, LostOrdersAreAttributedToTheFirstRestartWhoseWatermarkIsAboveThem) {
    auto table = table_of(4);
    // Order 0 was handed out before the first restart, 1 and 2 before the second, 3 after both.
    auto verdict = verify_group(table, plain, ledger_with_bits(0, 0), {1, 3});
    EXPECT_EQ(verdict.lost, 4U);
    EXPECT_EQ(verdict.lost_by_restart, (std::vector<std::uint64_t>{1, 2}));
    EXPECT_EQ(verdict.lost_unattributed, 1U);
}

// ---- gates ----

namespace {

const GateResult* find_gate(const std::vector<GateResult>& results, const std::string& gate) {
    for (const auto& result : results) {
        if (result.gate == gate) return &result;
    }
    return nullptr;
}

GroupVerdict clean_verdict() {
    GroupVerdict verdict;
    verdict.group = "score";
    return verdict;
}

}  // namespace

TEST(Gates, CleanRunPassesEveryDefaultGate) {
    auto results = evaluate_gates({}, {clean_verdict()}, {{"score", 5, 1000}}, true);
    EXPECT_TRUE(sh::verify::all_passed(results));
    for (const char* gate : {"drained", "max_lost", "max_duplicated", "max_unexpected",
                             "max_pending_left", "max_lag_left", "poison_dead_lettered"}) {
        ASSERT_NE(find_gate(results, gate), nullptr) << gate;
        EXPECT_TRUE(find_gate(results, gate)->passed) << gate;
    }
    EXPECT_EQ(find_gate(results, "max_lost")->group, "score");
    EXPECT_EQ(find_gate(results, "max_p99_ms"), nullptr);  // no limit set
    EXPECT_EQ(find_gate(results, "min_applied_per_s"), nullptr);

    sh::workload::Gates unset;
    unset.max_lost.reset();
    auto verdict = clean_verdict();
    verdict.lost = 1000;
    results = evaluate_gates(unset, {verdict}, {}, true);
    EXPECT_EQ(find_gate(results, "max_lost"), nullptr);
    EXPECT_TRUE(sh::verify::all_passed(results));
}

TEST(Gates, NotDrainedFailsTheDrainedGate) {
    auto results = evaluate_gates({}, {clean_verdict()}, {}, false);
    ASSERT_NE(find_gate(results, "drained"), nullptr);
    EXPECT_FALSE(find_gate(results, "drained")->passed);
    EXPECT_FALSE(sh::verify::all_passed(results));
}

TEST(Gates, EachCountGateFailsOnlyWhenItsLimitIsExceeded) {
    sh::workload::Gates gates;
    gates.max_lost = gates.max_duplicated = gates.max_unexpected = 2;
    gates.max_pending_left = gates.max_lag_left = 2;
    auto with = [](const std::string& gate, int n) {
        auto v = clean_verdict();
        if (gate == "max_lost") v.lost = n;
        if (gate == "max_duplicated") v.duplicated = n;
        if (gate == "max_unexpected") v.unexpected = n;
        if (gate == "max_pending_left") v.pending_left = n;
        if (gate == "max_lag_left") v.lag_left = n;
        return v;
    };
    for (const std::string gate :
         {"max_lost", "max_duplicated", "max_unexpected", "max_pending_left", "max_lag_left"}) {
        SCOPED_TRACE(gate);
        auto passing = evaluate_gates(gates, {with(gate, 2)}, {}, true);
        ASSERT_NE(find_gate(passing, gate), nullptr);
        EXPECT_TRUE(find_gate(passing, gate)->passed);
        EXPECT_TRUE(sh::verify::all_passed(passing));
        auto failing = evaluate_gates(gates, {with(gate, 3)}, {}, true);
        EXPECT_FALSE(find_gate(failing, gate)->passed);
        EXPECT_EQ(find_gate(failing, gate)->actual, 3);
        EXPECT_EQ(find_gate(failing, gate)->limit, 2);
        EXPECT_FALSE(sh::verify::all_passed(failing));
    }
}

TEST(Gates, PointsAndPoisonGatesFailUnlessDisabled) {
    auto verdict = clean_verdict();
    verdict.points_checked = true;
    verdict.points_consistent = false;
    verdict.poison_not_dead_lettered = 1;
    auto results = evaluate_gates({}, {verdict}, {}, true);
    ASSERT_NE(find_gate(results, "points_consistent"), nullptr);
    EXPECT_FALSE(find_gate(results, "points_consistent")->passed);
    EXPECT_FALSE(find_gate(results, "poison_dead_lettered")->passed);
    EXPECT_EQ(find_gate(results, "poison_dead_lettered")->actual, 1);

    sh::workload::Gates off;
    off.points_consistent = off.poison_dead_lettered = false;
    EXPECT_TRUE(sh::verify::all_passed(evaluate_gates(off, {verdict}, {}, true)));
    verdict.points_checked = false;  // no points effect: no points gate at all
    EXPECT_EQ(find_gate(evaluate_gates({}, {verdict}, {}, true), "points_consistent"), nullptr);
}

TEST(Gates, LatencyAndThroughputGatesUseTheMeasurements) {
    sh::workload::Gates gates;
    gates.max_p99_ms = 10;
    gates.min_applied_per_s = 500;
    auto ok = evaluate_gates(gates, {clean_verdict()}, {{"score", 10, 500}}, true);
    EXPECT_TRUE(sh::verify::all_passed(ok));
    auto slow = evaluate_gates(gates, {clean_verdict()}, {{"score", 10.5, 500}}, true);
    EXPECT_FALSE(find_gate(slow, "max_p99_ms")->passed);
    EXPECT_TRUE(find_gate(slow, "min_applied_per_s")->passed);
    auto starved = evaluate_gates(gates, {clean_verdict()}, {{"score", 1, 499}}, true);
    EXPECT_FALSE(find_gate(starved, "min_applied_per_s")->passed);
    EXPECT_EQ(find_gate(starved, "min_applied_per_s")->group, "score");
}

TEST(Gates, EveryGroupGetsItsOwnGates) {
    auto a = clean_verdict(), b = clean_verdict();
    b.group = "push";
    b.lost = 1;
    auto results = evaluate_gates({}, {a, b}, {}, true);
    int lost_gates = 0;
    for (const auto& result : results) {
        if (result.gate != "max_lost") continue;
        ++lost_gates;
        EXPECT_EQ(result.passed, result.group == "score") << result.group;
    }
    EXPECT_EQ(lost_gates, 2);
    EXPECT_FALSE(sh::verify::all_passed(results));
}

TEST(Verifier, HealthyDeadLettersAndAppliedDeadLettersAreCountedApart) {
    auto table = table_of(10);
    auto ledger = ledger_with_bits(0, 8);  // 8 and 9 never applied
    ledger.dead_letters = {{8, "max-deliveries", 1},
                           {9, "max-deliveries", 1},
                           {3, "max-deliveries", 1}};  // 3 applied, then dead-lettered
    auto verdict = verify_group(table, plain, ledger);
    EXPECT_EQ(verdict.dead_lettered_healthy, 3U);
    EXPECT_EQ(verdict.applied_and_dead_lettered, 1U);
    EXPECT_EQ(verdict.lost, 0U);
}

TEST(IndeterminateResolution, FoundInTheStreamOrInAnyLedgerIsRecovered) {
    auto table = table_of(10);
    for (std::uint64_t seq : {2U, 4U, 6U, 8U}) table.set(seq, Outcome::indeterminate);
    GroupLedger score = ledger_with_bits(0, 0);
    set_bit(score.applied_bitmap, 4);  // applied by one group
    GroupLedger push = ledger_with_bits(0, 0);
    push.dead_letters = {{6, "max-deliveries", 5}};  // dead-lettered by another
    auto resolution = sh::verify::resolve_indeterminate(table, {2}, {score, push});
    EXPECT_EQ(resolution.recovered, (std::vector<std::uint64_t>{2, 4, 6}));
    EXPECT_EQ(resolution.unknown, 1U);  // 8: found nowhere
}

TEST(IndeterminateResolution, RecoveredOrdersAreHeldToTheRulesOfOrdersProducedOk) {
    auto table = table_of(10);
    for (std::uint64_t seq : {2U, 8U}) table.set(seq, Outcome::indeterminate);
    auto ledger = ledger_with_bits(0, 10);
    ledger.applied_bitmap.assign(2, '\0');
    for (std::uint64_t seq : {0U, 1U, 3U, 4U, 5U, 6U, 7U, 9U}) set_bit(ledger.applied_bitmap, seq);
    // 2 is in the stream but this group never applied it: lost. 8 was never found: unknown.
    sh::verify::IndeterminateResolution resolution;
    resolution.recovered = {2};
    resolution.unknown = 1;
    auto verdict = verify_group(table, plain, ledger, {}, resolution);
    EXPECT_EQ(verdict.recovered, 1U);
    EXPECT_EQ(verdict.lost, 1U);
    EXPECT_EQ(verdict.lost_recovered, 1U);
    EXPECT_EQ(verdict.lost_sample, (std::vector<std::uint64_t>{2}));
    // Without the resolution the same ledger passes: the false pass this closes.
    EXPECT_EQ(verify_group(table, plain, ledger).lost, 0U);
}

TEST(IndeterminateResolution, RecoveredPoisonOrdersMustBeDeadLettered) {
    OrderAttributes attributes{7, 1000, 0.3};
    auto poison = seqs_where(attributes, true, 64);
    ASSERT_FALSE(poison.empty());
    auto table = table_of(64);
    table.set(poison[0], Outcome::indeterminate);
    auto ledger = ledger_with_bits(0, 0);
    sh::verify::IndeterminateResolution resolution;
    resolution.recovered = {poison[0]};
    auto with = verify_group(table, attributes, ledger, {}, resolution);
    auto without = verify_group(table, attributes, ledger);
    EXPECT_EQ(with.poison_not_dead_lettered, without.poison_not_dead_lettered + 1);
}
