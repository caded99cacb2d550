// What changes of primary (failover, primary-kill) did to a run (DESIGN §7.1): acknowledged
// writes missing from the stream afterwards, and duplicates of orders acknowledged before a
// change, each attributed to the change whose order watermark is the first above its number.
// Pure computation, like the verifier.
#pragma once

#include <cstdint>
#include <vector>

#include "harness/model/outcome_table.hpp"
#include "harness/verify/verifier.hpp"

namespace sh::verify {

struct LostWrites {
    std::vector<std::uint64_t> by_change;  // per change of primary
    std::uint64_t unattributed = 0;        // missing, and numbered above every watermark
    std::uint64_t total = 0;
    std::vector<std::uint64_t> sample;    // the first few order numbers
    std::uint64_t entries_in_stream = 0;  // the run's entries found in the stream at the end
};

// Orders whose XADD was acknowledged (produced ok) and that are not among the run's entries in
// the stream at the end. in_stream: the order numbers found there, in any order. Only valid
// when nothing deletes the run's entries (no retention, no dead_letter.delete: refused at load
// with replicas).
LostWrites find_lost_writes(const model::OutcomeTable& outcomes,
                            std::vector<std::uint64_t> in_stream,
                            const std::vector<std::uint64_t>& watermarks);

// Splits a group's verdict by cause: lost orders whose write itself was lost (lost_write_orders
// with the recovered indeterminate orders: a write that was never acknowledged as durable, a
// WAIT short of its replicas, is reported here but judged by no gate) and duplicates no hard kill
// explains, numbered below a change's watermark (duplicated_by_change). Fills
// GroupVerdict::lost_writes and duplicated_by_change.
// effects_outside: the group's effects live in a separate store, the only place a change of
// primary can cause a duplicate (in the stream's server the ledger bit rolls back with the
// XACK); in any other group every duplicate stays the consumers' own. A lost write that is a
// poison order is also counted (lost_writes_poison): it could not be dead-lettered either.
void attribute_to_changes(GroupVerdict& verdict, const GroupLedger& ledger,
                          const model::OrderAttributes& attributes,
                          const std::vector<std::uint64_t>& lost_write_orders,
                          const std::vector<std::uint64_t>& watermarks,
                          const std::vector<std::uint64_t>& held_at_hard_kills,
                          bool effects_outside);

// Orders produced ok, or among also_written (sorted: indeterminate orders shown to have been
// written), that are not in the stream: the orders find_lost_writes counts when also_written
// is empty, and every written order the server lost, for attribute_to_changes.
std::vector<std::uint64_t> lost_write_orders(const model::OutcomeTable& outcomes,
                                             std::vector<std::uint64_t> in_stream,
                                             const std::vector<std::uint64_t>& also_written = {});

}  // namespace sh::verify
