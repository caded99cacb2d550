#include "harness/verify/verifier.hpp"

#include <algorithm>

namespace sh::verify {

namespace {

constexpr std::size_t sample_size = 20;

void add_sample(std::vector<std::uint64_t>& sample, std::uint64_t seq) {
    if (sample.size() < sample_size) sample.push_back(seq);
}

}  // namespace

bool bit_set(const std::string& bitmap, std::uint64_t bit) {
    auto byte = bit >> 3;
    if (byte >= bitmap.size()) return false;
    return (static_cast<unsigned char>(bitmap[byte]) >> (7 - (bit & 7))) & 1U;
}

void set_bit(std::string& bitmap, std::uint64_t bit) {
    if (bitmap.size() <= bit / 8) bitmap.resize(bit / 8 + 1, '\0');
    bitmap[bit / 8] =
        static_cast<char>(static_cast<unsigned char>(bitmap[bit / 8]) | (0x80U >> (bit % 8)));
}

void add_shard_ledger(GroupLedger& ledger, const GroupLedger& shard) {
    auto& bitmap = ledger.applied_bitmap;
    if (bitmap.size() < shard.applied_bitmap.size()) bitmap.resize(shard.applied_bitmap.size());
    for (std::size_t byte = 0; byte < shard.applied_bitmap.size(); ++byte) {
        auto mine = static_cast<unsigned char>(bitmap[byte]);
        auto theirs = static_cast<unsigned char>(shard.applied_bitmap[byte]);
        for (unsigned bit = 0; bit < 8; ++bit) {
            if ((mine & theirs & (0x80U >> bit)) != 0) ++ledger.extra_applications[byte * 8 + bit];
        }
        bitmap[byte] = static_cast<char>(mine | theirs);
    }
    for (const auto& [seq, extra] : shard.extra_applications) {
        ledger.extra_applications[seq] += extra;
    }
    ledger.applications_of_no_order += shard.applications_of_no_order;
    ledger.dead_letters.insert(ledger.dead_letters.end(), shard.dead_letters.begin(),
                               shard.dead_letters.end());
    ledger.pending_left += shard.pending_left;
    ledger.lag_left += shard.lag_left;
    ledger.stuck += shard.stuck;
    for (const auto& [consumer, n] : shard.stuck_by_consumer)
        ledger.stuck_by_consumer[consumer] += n;
    for (const auto& [consumer, idle_ms] : shard.stalled_consumers) {
        auto& longest = ledger.stalled_consumers[consumer];
        longest = std::max(longest, idle_ms);
    }
    ledger.points_total += shard.points_total;
    for (const auto& [consumer, n] : shard.shares) ledger.shares[consumer] += n;
}

IndeterminateResolution resolve_indeterminate(const model::OutcomeTable& outcomes,
                                              const std::vector<std::uint64_t>& found_in_stream,
                                              const std::vector<GroupLedger>& ledgers) {
    IndeterminateResolution resolution;
    // Every order number some group holds a trace of: in the stream or in a dead-letter stream.
    std::vector<std::uint64_t> traces = found_in_stream;
    for (const auto& ledger : ledgers) {
        for (const auto& letter : ledger.dead_letters) {
            if (letter.seq) traces.push_back(*letter.seq);
        }
    }
    std::sort(traces.begin(), traces.end());
    for (auto seq : outcomes.list(model::Outcome::indeterminate)) {
        bool written = std::binary_search(traces.begin(), traces.end(), seq) ||
                       std::any_of(ledgers.begin(), ledgers.end(), [&](const GroupLedger& ledger) {
                           return bit_set(ledger.applied_bitmap, seq);
                       });
        if (written) {
            resolution.recovered.push_back(seq);
        } else {
            ++resolution.unknown;
        }
    }
    return resolution;
}

GroupVerdict verify_group(const model::OutcomeTable& outcomes,
                          const model::OrderAttributes& attributes, const GroupLedger& ledger,
                          const std::vector<std::uint64_t>& restart_watermarks,
                          const IndeterminateResolution& resolution,
                          const std::vector<std::uint64_t>& held_at_hard_kills) {
    using model::Outcome;
    GroupVerdict verdict;
    verdict.lost_by_restart.assign(restart_watermarks.size(), 0);
    auto attribute_loss = [&](std::uint64_t seq) {
        for (std::size_t r = 0; r < restart_watermarks.size(); ++r) {
            if (seq < restart_watermarks[r]) {
                ++verdict.lost_by_restart[r];
                return;
            }
        }
        ++verdict.lost_unattributed;
    };
    verdict.group = ledger.group;
    verdict.pending_left = ledger.pending_left;
    verdict.lag_left = ledger.lag_left;
    verdict.stuck = ledger.stuck;
    verdict.stuck_by_consumer = ledger.stuck_by_consumer;
    verdict.stalled_consumers = ledger.stalled_consumers;
    verdict.shares = ledger.shares;

    const std::uint64_t orders = outcomes.size();
    std::vector<bool> in_dlq(orders, false);
    for (const auto& letter : ledger.dead_letters) {
        ++verdict.dead_lettered;
        ++verdict.dead_letter_reasons[letter.reason];
        if (!letter.seq || *letter.seq >= orders) {
            ++verdict.dead_lettered_unattributed;
            continue;
        }
        in_dlq[*letter.seq] = true;
        if (attributes.is_poison(*letter.seq)) {
            ++verdict.dead_lettered_poison;
        } else {
            ++verdict.dead_lettered_healthy;
        }
        if (bit_set(ledger.applied_bitmap, *letter.seq)) ++verdict.applied_and_dead_lettered;
    }
    const auto& recovered = resolution.recovered;
    auto written = [&](std::uint64_t seq, Outcome outcome) {
        return outcome == Outcome::ok ||
               (outcome == Outcome::indeterminate &&
                std::binary_search(recovered.begin(), recovered.end(), seq));
    };

    std::int64_t points_expected = 0;
    for (std::uint64_t seq = 0; seq < orders; ++seq) {
        auto outcome = outcomes.at(seq);
        bool applied = bit_set(ledger.applied_bitmap, seq);
        bool poison = attributes.is_poison(seq);
        bool was_written = written(seq, outcome);
        if (outcome == Outcome::ok) ++verdict.produced_ok;
        if (outcome == Outcome::indeterminate && was_written) ++verdict.recovered;
        if (applied) {
            ++verdict.applied;
            if (outcome == Outcome::ok) ++verdict.applied_ok;
            if (outcome == Outcome::indeterminate) ++verdict.applied_indeterminate;
            if (outcome == Outcome::unsent || outcome == Outcome::failed) ++verdict.unexpected;
            if (poison) ++verdict.poison_applied;
            if (ledger.points_effect) points_expected += attributes.amount_of(seq);
        } else if (was_written && !in_dlq[seq]) {
            ++verdict.lost;
            if (outcome == Outcome::indeterminate) ++verdict.lost_recovered;
            add_sample(verdict.lost_sample, seq);
            attribute_loss(seq);
        }
        if (poison && was_written && !in_dlq[seq]) ++verdict.poison_not_dead_lettered;
    }
    // Bits beyond the record: orders nobody produced in this run.
    for (std::uint64_t byte = (orders + 7) / 8; byte < ledger.applied_bitmap.size(); ++byte) {
        verdict.unexpected += static_cast<std::uint64_t>(
            __builtin_popcount(static_cast<unsigned char>(ledger.applied_bitmap[byte])));
    }
    for (std::uint64_t bit = orders; bit < ((orders + 7) / 8) * 8; ++bit) {
        if (bit_set(ledger.applied_bitmap, bit)) ++verdict.unexpected;
    }
    verdict.unexpected += ledger.applications_of_no_order;

    std::vector<std::uint64_t> held = held_at_hard_kills;
    std::sort(held.begin(), held.end());
    for (const auto& [seq, extra] : ledger.extra_applications) {
        if (extra <= 0) continue;
        ++verdict.duplicated;
        if (std::binary_search(held.begin(), held.end(), seq)) {
            ++verdict.duplicated_after_hard_kill;
        } else {
            ++verdict.duplicated_without_hard_kill;
        }
        verdict.extra_applications += static_cast<std::uint64_t>(extra);
        add_sample(verdict.duplicated_sample, seq);
        if (ledger.points_effect && seq < orders)
            points_expected += extra * attributes.amount_of(seq);
    }
    std::sort(verdict.duplicated_sample.begin(), verdict.duplicated_sample.end());

    verdict.points_checked = ledger.points_effect;
    if (ledger.points_effect) {
        verdict.points_expected = points_expected;
        verdict.points_actual = ledger.points_total;
        verdict.points_consistent = points_expected == ledger.points_total;
    }
    return verdict;
}

}  // namespace sh::verify
