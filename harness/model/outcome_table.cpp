#include "harness/model/outcome_table.hpp"

#include <algorithm>

namespace sh::model {

void OutcomeTable::Writer::record(std::uint64_t seq, Outcome outcome) {
    auto index = seq >> chunk_shift;
    if (index != chunk_index_) {
        chunk_ = table_.chunk(index);
        chunk_index_ = index;
    }
    // Relaxed: readers look only after the writing threads were joined.
    chunk_[word_in_chunk(seq)].fetch_or(static_cast<std::uint64_t>(outcome) << shift_of(seq),
                                        std::memory_order_relaxed);
}

OutcomeTable::Word* OutcomeTable::chunk(std::uint64_t index) {
    std::lock_guard lock(mutex_);
    if (index >= chunks_.size()) chunks_.resize(index + 1);
    // make_unique value-initialises: every slot starts as unsent.
    if (!chunks_[index]) chunks_[index] = std::make_unique<Word[]>(words_per_chunk);
    return chunks_[index].get();
}

const OutcomeTable::Word* OutcomeTable::find_chunk(std::uint64_t index) const {
    return index < chunks_.size() ? chunks_[index].get() : nullptr;
}

void OutcomeTable::set(std::uint64_t seq, Outcome outcome) {
    auto& word = chunk(seq >> chunk_shift)[word_in_chunk(seq)];
    auto cleared = word.load() & ~(std::uint64_t{3} << shift_of(seq));
    word.store(cleared | static_cast<std::uint64_t>(outcome) << shift_of(seq));
    size_ = std::max(size_, seq + 1);
}

Outcome OutcomeTable::at(std::uint64_t seq) const {
    const auto* words = find_chunk(seq >> chunk_shift);
    if (words == nullptr) return Outcome::unsent;
    auto value = words[word_in_chunk(seq)].load(std::memory_order_relaxed);
    return static_cast<Outcome>((value >> shift_of(seq)) & 3U);
}

std::uint64_t OutcomeTable::count(Outcome which) const {
    std::uint64_t matching = 0;
    for (std::uint64_t seq = 0; seq < size_; ++seq) matching += at(seq) == which ? 1 : 0;
    return matching;
}

std::vector<std::uint64_t> OutcomeTable::list(Outcome which) const {
    std::vector<std::uint64_t> matching;
    for (std::uint64_t seq = 0; seq < size_; ++seq) {
        if (at(seq) == which) matching.push_back(seq);
    }
    return matching;
}

std::size_t OutcomeTable::memory_bytes() const {
    auto present = std::count_if(chunks_.begin(), chunks_.end(),
                                 [](const auto& words) { return words != nullptr; });
    return static_cast<std::size_t>(present) * words_per_chunk * sizeof(Word) +
           chunks_.capacity() * sizeof(chunks_[0]);
}

}  // namespace sh::model
