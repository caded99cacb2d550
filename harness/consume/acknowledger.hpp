// Acknowledging a batch and applying its effects (DESIGN §5 ack modes). In atomic mode one Lua
// script does XACK and, only where XACK returned 1, sets the ledger bit and applies the effect,
// so an entry acked twice (a zombie and its claimer) is applied once.
#pragma once

#include <string>
#include <vector>

#include "harness/model/keys.hpp"
#include "harness/model/order.hpp"
#include "harness/redis/script.hpp"
#include "harness/workload/workload.hpp"

namespace sh::consume {

struct ProcessedEntry {
    std::string id;
    model::Order order;
};

// What happened to each entry of the batch, in order.
enum class AckStatus : char {
    applied = 'a',       // first application of the order's effect
    duplicate = 'd',     // the order's effect was already applied once: applied again
    deduplicated = 's',  // already applied; skipped because the group dedupes
    not_owned = 'n',     // XACK returned 0: another consumer acknowledged it first; nothing done
};

class Acknowledger {
  public:
    Acknowledger(const model::RunKeys& keys, const workload::GroupSpec& group,
                 std::string consumer);

    // Applies the batch's effects through the ledger; with_ack also XACKs each entry and skips
    // the entries whose XACK returned 0 (the atomic mode). With the ledger in the stream's
    // server (the same connection) that is one script. With a separate effect store the XACKs
    // go to the stream's server first and the effects to the store after, as with any real
    // side effect: an XACK a failover rolls back is then followed by a second application.
    std::vector<AckStatus> apply(redis::Connection& stream, redis::Connection& ledger,
                                 const std::vector<ProcessedEntry>& batch, bool with_ack);
    // groups[].ack_wait after an acknowledgement: true when enough replicas confirmed it (or
    // no wait is configured).
    bool wait_for_replicas(redis::Connection& stream);
    // Plain XACK, no effects: the second step of `after`, the first of `before`, and entries
    // deleted from the stream. Returns how many were still pending.
    std::int64_t xack(redis::Connection& connection, const std::vector<std::string>& ids);

  private:
    std::vector<AckStatus> run_script(redis::Connection& connection,
                                      const std::vector<ProcessedEntry>& batch, bool with_ack);
    const model::RunKeys& keys_;
    const workload::GroupSpec& group_;
    std::string consumer_;
    redis::Script script_;
};

// Builds the script's ARGV for a batch (exposed for the argument-building benchmark).
redis::Args ack_script_argv(const std::string& group, const std::string& consumer, bool with_ack,
                            bool dedupe, bool points, const std::vector<ProcessedEntry>& batch);

}  // namespace sh::consume
