#include "harness/verify/primary_changes.hpp"

#include <algorithm>

namespace sh::verify {

namespace {

constexpr std::size_t sample_size = 20;

// The index of the first change whose watermark is above seq; watermarks.size() if none.
std::size_t change_of(const std::vector<std::uint64_t>& watermarks, std::uint64_t seq) {
    for (std::size_t i = 0; i < watermarks.size(); ++i) {
        if (seq < watermarks[i]) return i;
    }
    return watermarks.size();
}

}  // namespace

std::vector<std::uint64_t> lost_write_orders(const model::OutcomeTable& outcomes,
                                             std::vector<std::uint64_t> in_stream,
                                             const std::vector<std::uint64_t>& also_written) {
    std::sort(in_stream.begin(), in_stream.end());
    std::vector<std::uint64_t> lost;
    for (std::uint64_t seq = 0; seq < outcomes.size(); ++seq) {
        if (outcomes.at(seq) != model::Outcome::ok &&
            !std::binary_search(also_written.begin(), also_written.end(), seq)) {
            continue;
        }
        if (!std::binary_search(in_stream.begin(), in_stream.end(), seq)) lost.push_back(seq);
    }
    return lost;
}

LostWrites find_lost_writes(const model::OutcomeTable& outcomes,
                            std::vector<std::uint64_t> in_stream,
                            const std::vector<std::uint64_t>& watermarks) {
    LostWrites result;
    result.by_change.assign(watermarks.size(), 0);
    result.entries_in_stream = in_stream.size();
    for (auto seq : lost_write_orders(outcomes, std::move(in_stream))) {
        ++result.total;
        if (result.sample.size() < sample_size) result.sample.push_back(seq);
        auto change = change_of(watermarks, seq);
        if (change < watermarks.size()) {
            ++result.by_change[change];
        } else {
            ++result.unattributed;
        }
    }
    return result;
}

void attribute_to_changes(GroupVerdict& verdict, const GroupLedger& ledger,
                          const model::OrderAttributes& attributes,
                          const std::vector<std::uint64_t>& lost_write_orders,
                          const std::vector<std::uint64_t>& watermarks,
                          const std::vector<std::uint64_t>& held_at_hard_kills,
                          bool effects_outside) {
    verdict.lost_writes = 0;
    verdict.lost_writes_poison = 0;
    // A lost write this group neither applied nor dead-lettered is one of its lost orders:
    // the server lost it, not the consumer.
    std::vector<std::uint64_t> lettered;
    for (const auto& letter : ledger.dead_letters) {
        if (letter.seq) lettered.push_back(*letter.seq);
    }
    std::sort(lettered.begin(), lettered.end());
    for (auto seq : lost_write_orders) {
        if (bit_set(ledger.applied_bitmap, seq) ||
            std::binary_search(lettered.begin(), lettered.end(), seq)) {
            continue;
        }
        ++verdict.lost_writes;
        if (attributes.is_poison(seq)) ++verdict.lost_writes_poison;
    }
    verdict.duplicated_by_change.assign(watermarks.size(), 0);
    if (!effects_outside) return;
    std::vector<std::uint64_t> held = held_at_hard_kills;
    std::sort(held.begin(), held.end());
    for (const auto& [seq, extra] : ledger.extra_applications) {
        if (extra <= 0 || std::binary_search(held.begin(), held.end(), seq)) continue;
        auto change = change_of(watermarks, seq);
        if (change < watermarks.size()) ++verdict.duplicated_by_change[change];
    }
}

}  // namespace sh::verify
