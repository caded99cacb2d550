#include "harness/produce/outcome_log.hpp"

#include <algorithm>

namespace sh::produce {

std::pair<std::uint64_t, std::uint64_t> OrderSequencer::claim(std::uint64_t wanted) {
    auto first = next_.fetch_add(wanted);
    if (limit_ == 0) return {first, wanted};
    if (first >= limit_) {
        return {limit_, 0};
    }
    return {first, std::min(wanted, limit_ - first)};
}

std::uint64_t OutcomeTable::count(Outcome which) const {
    return static_cast<std::uint64_t>(std::count(outcome.begin(), outcome.end(), which));
}

void OutcomeBlocks::record(std::uint64_t seq, Outcome outcome, std::int64_t intended_send_ns) {
    entries_.push_back({seq, intended_send_ns, outcome});
}

void OutcomeBlocks::merge_into(OutcomeTable& table) const {
    for (const auto& entry : entries_) {
        if (entry.seq >= table.outcome.size()) table.resize(entry.seq + 1);
        table.outcome[entry.seq] = entry.outcome;
        table.set_intended_send_ns(entry.seq, entry.intended_send_ns);
    }
}

}  // namespace sh::produce
