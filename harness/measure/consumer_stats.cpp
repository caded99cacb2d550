#include "harness/measure/consumer_stats.hpp"

#include <new>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <vector>

namespace sh::measure {

namespace {
constexpr auto relaxed = std::memory_order_relaxed;

// Counters is ConsumerCounters or const ConsumerCounters.
template <typename Counters, typename Visit>
void each_counter(Counters& c, Visit visit) {
    visit("read", c.read);
    visit("replayed", c.replayed);
    visit("claimed", c.claimed);
    visit("applied", c.applied);
    visit("duplicates", c.duplicates);
    visit("deduplicated", c.deduplicated);
    visit("ack_not_owned", c.ack_not_owned);
    visit("failures", c.failures);
    visit("dead_lettered", c.dead_lettered);
    visit("malformed", c.malformed);
    visit("deleted_entries", c.deleted_entries);
    visit("consumers_removed", c.consumers_removed);
    visit("batches", c.batches);
    visit("reconnects", c.reconnects);
    visit("errors", c.errors);
    visit("starts", c.starts);
    visit("group_recreated", c.group_recreated);
    visit("foreign_skipped", c.foreign_skipped);
}
}  // namespace

nlohmann::json ConsumerCounters::to_json() const {
    nlohmann::json result = nlohmann::json::object();
    each_counter(*this,
                 [&](const char* name, const auto& value) { result[name] = value.load(relaxed); });
    return result;
}

void ConsumerCounters::add_to(ConsumerCounters& total) const {
    // Both sides have the same fields: walk them in step.
    std::vector<std::uint64_t> mine;
    each_counter(*this,
                 [&](const char*, const auto& value) { mine.push_back(value.load(relaxed)); });
    std::size_t i = 0;
    each_counter(total, [&](const char*, auto& value) { value.fetch_add(mine[i++], relaxed); });
}

StatsRegion* StatsRegion::initialise(void* memory, std::size_t slots) {
    auto* region = new (memory) StatsRegion();
    region->slot_count = slots;
    for (std::size_t i = 0; i < slots; ++i) new (region->slots() + i) ConsumerSlot();
    return region;
}

StatsRegion* StatsRegion::from_mapping(void* memory, std::size_t bytes) {
    auto* region = static_cast<StatsRegion*>(memory);
    if (bytes < sizeof(StatsRegion) || region->magic != expected_magic ||
        bytes < bytes_for(region->slot_count)) {
        throw std::runtime_error("inherited stats region is not a streamharness stats region");
    }
    return region;
}

}  // namespace sh::measure
