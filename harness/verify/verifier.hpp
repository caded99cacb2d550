// The verifier (DESIGN §7): per group, the producers' record against the ledger Redis holds.
// Pure computation over plain data, so it can be tested and benchmarked without a server.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "harness/model/order.hpp"
#include "harness/model/outcome_table.hpp"

namespace sh::verify {

struct DeadLetter {
    std::optional<std::uint64_t> seq;  // nullopt: the entry had no readable orderno
    std::string reason;
    std::int64_t deliveries = 0;
};

// SETBIT semantics: bit n lives in byte n/8, most significant bit first.
void set_bit(std::string& bitmap, std::uint64_t bit);
bool bit_set(const std::string& bitmap, std::uint64_t bit);

// What Redis holds for one group after the drain.
struct GroupLedger {
    std::string group;
    bool points_effect = false;
    std::string applied_bitmap;  // GET of the acked bitmap: bit n (MSB first) = order n
    std::unordered_map<std::uint64_t, std::int64_t> extra_applications;  // the dup hash
    std::uint64_t applications_of_no_order = 0;  // ledger entries that name no order number
    std::vector<DeadLetter> dead_letters;
    std::int64_t pending_left = 0;
    std::int64_t lag_left = 0;
    // Pending entries idle for three claim idle times or more: nobody works on them.
    std::int64_t stuck = 0;
    std::map<std::string, std::int64_t> stuck_by_consumer;
    // Consumers that hold entries and have not touched Redis for as long: they stopped
    // consuming (dead and never claimed from, or hung). Name -> idle ms.
    std::map<std::string, std::int64_t> stalled_consumers;
    std::int64_t points_total = 0;
    std::unordered_map<std::string, std::int64_t> shares;  // consumer -> orders applied
};

// Adds one shard's ledger of a group to the ledger of the shards before it (stream.shards):
// applied bitmaps OR-ed, and an order applied in two shards counted as one more application
// (each order lives in one shard, so that is a duplicate); every count summed.
void add_shard_ledger(GroupLedger& ledger, const GroupLedger& shard);

struct GroupVerdict {
    std::string group;
    std::uint64_t produced_ok = 0;
    // Indeterminate orders shown to have been written (Jepsen's "recovered"): held to the same
    // rules as orders produced ok from here on.
    std::uint64_t recovered = 0;
    std::uint64_t applied = 0;     // distinct orders whose effect was applied
    std::uint64_t applied_ok = 0;  // of those, produced ok
    std::uint64_t applied_indeterminate = 0;
    std::uint64_t lost = 0;                  // ok or recovered, neither applied nor dead-lettered
    std::uint64_t lost_recovered = 0;        // of those, recovered indeterminate orders
    std::vector<std::uint64_t> lost_sample;  // the first few lost order numbers
    std::vector<std::uint64_t> lost_by_restart;  // per server restart: lost orders numbered
                                                 // below its watermark, at or above the one
                                                 // before
    std::uint64_t lost_unattributed = 0;         // lost with no restart to blame
    // Of the lost orders, those whose acknowledged XADD the server itself lost (absent from the
    // stream after a change of primary, §7.1): judged by max_lost_writes, not max_lost.
    std::uint64_t lost_writes = 0;
    std::uint64_t lost_writes_poison = 0;  // of those, poison orders: not dead-lettered either
    // Per change of primary: duplicates no hard kill explains of orders numbered below its
    // watermark (re-delivered after their ack was lost): judged by max_redelivered_after_ack.
    std::vector<std::uint64_t> duplicated_by_change;
    std::uint64_t duplicated = 0;                    // orders applied more than once
    std::uint64_t duplicated_after_hard_kill = 0;    // of those, pending at a SIGKILL
    std::uint64_t duplicated_without_hard_kill = 0;  // the rest: no hard kill explains them
    std::uint64_t extra_applications = 0;
    std::vector<std::uint64_t> duplicated_sample;
    std::uint64_t unexpected = 0;  // applied but never (successfully or maybe) produced
    std::uint64_t dead_lettered = 0;
    std::uint64_t dead_lettered_poison = 0;
    std::uint64_t dead_lettered_healthy = 0;      // non-poison orders in the DLQ
    std::uint64_t applied_and_dead_lettered = 0;  // applied, and in the DLQ too
    std::uint64_t dead_lettered_unattributed = 0;
    std::unordered_map<std::string, std::uint64_t> dead_letter_reasons;
    std::uint64_t poison_not_dead_lettered = 0;
    std::uint64_t poison_applied = 0;
    std::int64_t pending_left = 0;
    std::int64_t lag_left = 0;
    std::int64_t stuck = 0;
    std::map<std::string, std::int64_t> stuck_by_consumer;
    std::map<std::string, std::int64_t> stalled_consumers;  // see GroupLedger
    bool points_checked = false;
    std::int64_t points_expected = 0;
    std::int64_t points_actual = 0;
    bool points_consistent = true;
    std::unordered_map<std::string, std::int64_t> shares;  // consumer -> orders applied
};

// What became of the orders whose XADD reply was lost, once every group has drained.
struct IndeterminateResolution {
    std::vector<std::uint64_t> recovered;  // sorted: found in the stream or in a group's ledger
    std::uint64_t unknown = 0;             // found nowhere: maybe never written, maybe lost
};

// An indeterminate order is recovered when it is in the stream (found_in_stream: order numbers
// of the run's own entries), or when any group applied or dead-lettered it: either proves the
// XADD was executed.
IndeterminateResolution resolve_indeterminate(const model::OutcomeTable& outcomes,
                                              const std::vector<std::uint64_t>& found_in_stream,
                                              const std::vector<GroupLedger>& ledgers);

// Verifies one group. Recovered indeterminate orders count like orders produced ok; the others
// may be present or absent and are never lost.
// restart_watermarks: per Redis restart, how many order numbers had been handed out while no
// server ran (RunResult::restart_watermarks): orders below it went to the old server or to none,
// orders at or above it to a later one. A lost order is attributed to the first restart whose
// watermark is above its number. held_at_hard_kills: orders pending for consumers the chaos
// controller SIGKILLed; a duplicate among them is one a hard kill explains.
GroupVerdict verify_group(const model::OutcomeTable& outcomes,
                          const model::OrderAttributes& attributes, const GroupLedger& ledger,
                          const std::vector<std::uint64_t>& restart_watermarks = {},
                          const IndeterminateResolution& resolution = {},
                          const std::vector<std::uint64_t>& held_at_hard_kills = {});

}  // namespace sh::verify
