// Per-consumer counters and latency histograms, laid out in a shared memory region the
// supervisor creates and every worker maps: a SIGKILLed worker's numbers stay readable.
#pragma once

#include <atomic>
#include <cstdint>

#include "harness/measure/consumer_control.hpp"
#include "harness/measure/histogram.hpp"

namespace sh::measure {

// A consumer's counters (or their sum over a group) as plain numbers, once the run is over.
struct CounterValues {
    std::uint64_t read = 0;
    std::uint64_t replayed = 0;
    std::uint64_t claimed = 0;
    std::uint64_t applied = 0;
    std::uint64_t duplicates = 0;
    std::uint64_t deduplicated = 0;
    std::uint64_t ack_not_owned = 0;
    std::uint64_t failures = 0;
    std::uint64_t dead_lettered = 0;
    std::uint64_t malformed = 0;
    std::uint64_t deleted_entries = 0;
    std::uint64_t consumers_removed = 0;
    std::uint64_t batches = 0;
    std::uint64_t reconnects = 0;
    std::uint64_t errors = 0;
    std::uint64_t starts = 0;
    std::uint64_t group_recreated = 0;
    std::uint64_t foreign_skipped = 0;
    std::uint64_t ack_wait_short = 0;
    std::uint64_t no_primary_ms = 0;
    std::uint64_t refused_no_replicas = 0;
    std::uint64_t not_primary_replies = 0;
    std::uint64_t cluster_moved = 0;
    std::uint64_t cluster_ask = 0;
    std::uint64_t cluster_tryagain = 0;
    std::uint64_t cluster_down = 0;
    std::uint64_t cluster_readonly_unblocked = 0;

    CounterValues& operator+=(const CounterValues& other);
};

// Every counter with its name, in one order: counters and their snapshots alike.
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
    visit("ack_wait_short", c.ack_wait_short);
    visit("no_primary_ms", c.no_primary_ms);
    visit("refused_no_replicas", c.refused_no_replicas);
    visit("not_primary_replies", c.not_primary_replies);
    visit("cluster_moved", c.cluster_moved);
    visit("cluster_ask", c.cluster_ask);
    visit("cluster_tryagain", c.cluster_tryagain);
    visit("cluster_down", c.cluster_down);
    visit("cluster_readonly_unblocked", c.cluster_readonly_unblocked);
}

struct ConsumerCounters {
    std::atomic<std::uint64_t> read{0};           // entries delivered by XREADGROUP ">"
    std::atomic<std::uint64_t> replayed{0};       // entries re-read from the own pending list
    std::atomic<std::uint64_t> claimed{0};        // entries taken over with XCLAIM/XAUTOCLAIM
    std::atomic<std::uint64_t> applied{0};        // effects applied for the first time
    std::atomic<std::uint64_t> duplicates{0};     // effects applied again (ledger bit was set)
    std::atomic<std::uint64_t> deduplicated{0};   // duplicates skipped by a dedupe group
    std::atomic<std::uint64_t> ack_not_owned{0};  // XACK returned 0: someone acked it already
    std::atomic<std::uint64_t> failures{0};       // processing failed (poison or injected)
    std::atomic<std::uint64_t> dead_lettered{0};
    std::atomic<std::uint64_t> malformed{0};
    std::atomic<std::uint64_t> deleted_entries{0};  // pending entries whose stream entry is gone
    std::atomic<std::uint64_t> consumers_removed{0};
    std::atomic<std::uint64_t> batches{0};
    std::atomic<std::uint64_t> reconnects{0};
    std::atomic<std::uint64_t> errors{0};
    std::atomic<std::uint64_t> starts{0};
    std::atomic<std::uint64_t> group_recreated{0};  // NOGROUP seen: the group was created again
    // Entries without the run's stamp (someone else's, on a shared stream): acknowledged in the
    // run's own group and otherwise left alone.
    std::atomic<std::uint64_t> foreign_skipped{0};
    // ack_wait: WAITs that returned fewer replicas than asked (the ack may not survive a
    // failover).
    std::atomic<std::uint64_t> ack_wait_short{0};
    // Time without a server to talk to, from a broken connection to the next one that works
    // (after a failover: until Sentinel named the new primary and it answered).
    std::atomic<std::uint64_t> no_primary_ms{0};
    // NOREPLICAS replies (min-replicas-to-write): the consumer waited 100 ms and tried again.
    std::atomic<std::uint64_t> refused_no_replicas{0};
    // READONLY, MASTERDOWN or UNBLOCKED: the node it talked to was no longer the primary.
    std::atomic<std::uint64_t> not_primary_replies{0};
    // On a Redis Cluster: the redirections and retries the connection layer absorbed (MOVED,
    // ASK, TRYAGAIN, CLUSTERDOWN replies).
    std::atomic<std::uint64_t> cluster_moved{0};
    std::atomic<std::uint64_t> cluster_ask{0};
    std::atomic<std::uint64_t> cluster_tryagain{0};
    std::atomic<std::uint64_t> cluster_down{0};
    std::atomic<std::uint64_t> cluster_readonly_unblocked{0};
    std::atomic<std::int64_t> pid{0};

    CounterValues values() const;
};

struct ConsumerSlot {
    ConsumerCounters counters;
    ConsumerControl control;
    ConsumerState state;
    Histogram latency_first;      // end to end, first delivery
    Histogram latency_recovered;  // end to end, delivered again (claimed or replayed)
};

// The region's layout: a header and one slot per consumer of the workload.
struct StatsRegion {
    static constexpr std::uint64_t expected_magic = 0x5348535441545331ULL;  // "SHSTATS1"
    std::uint64_t magic = expected_magic;
    std::uint64_t slot_count = 0;

    static std::size_t bytes_for(std::size_t slots) {
        return sizeof(StatsRegion) + slots * sizeof(ConsumerSlot);
    }
    ConsumerSlot* slots() { return reinterpret_cast<ConsumerSlot*>(this + 1); }
    const ConsumerSlot* slots() const { return reinterpret_cast<const ConsumerSlot*>(this + 1); }
    // Placement-constructs the header and slots in zeroed memory.
    static StatsRegion* initialise(void* memory, std::size_t slots);
    // Validates a region mapped from an inherited fd.
    static StatsRegion* from_mapping(void* memory, std::size_t bytes);
};

}  // namespace sh::measure
