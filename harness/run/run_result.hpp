// Everything a run produced, typed, handed from the supervisor to the report writers
// (reports/report_json.cpp maps it to report.json and back; nothing here knows JSON).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "harness/measure/consumer_stats.hpp"
#include "harness/measure/histogram.hpp"
#include "harness/run/timeline.hpp"
#include "harness/verify/gates.hpp"
#include "harness/verify/primary_changes.hpp"
#include "harness/verify/verifier.hpp"
#include "harness/workload/workload.hpp"

namespace sh::run {

// What the target Redis runs with that changes a run's numbers, for the report's provenance
// (§9.1). A value the server would not tell (CONFIG refused to a least-privilege user) stays
// empty rather than guessed.
struct RedisConfig {
    std::string mode;  // "standalone" or "cluster"
    std::optional<std::int64_t> maxmemory_bytes;
    std::string appendfsync;
    std::optional<int> io_threads;
};

// Where the run ran: the server, and what the run created or found on it.
struct Environment {
    std::string redis_version;
    std::string redis;        // "embedded", or the URL with its password redacted
    std::string persistence;  // the embedded server's, or what an external one runs with
    std::string maxmemory_policy;
    unsigned host_cores = 0;
    std::string stream_key;
    std::string entry_stamp;
    bool stream_created = false;
    std::string group_start_id;
    RedisConfig config;
};

struct ConsumerResult {
    std::string group;
    std::string name;
    measure::CounterValues counters;
};

struct GroupResult {
    std::string name;
    verify::GroupVerdict verdict;
    measure::CounterValues counters;  // summed over the group's consumers
    std::unique_ptr<measure::Histogram> latency_first = std::make_unique<measure::Histogram>();
    std::unique_ptr<measure::Histogram> latency_recovered = std::make_unique<measure::Histogram>();
    std::unique_ptr<measure::Histogram> latency_all = std::make_unique<measure::Histogram>();
    double applied_per_s = 0;
    // The user's consumer process: only its effects in Redis are seen (no latency, no counters).
    bool external = false;
};

// What a fault (or a worker's own exit) did, as far as it applies to its kind: absent facts
// are not written.
struct EventFacts {
    std::optional<std::string> skipped;  // why it did not happen (then nothing else is set)
    std::optional<std::string> window;   // where in its batch the target was
    std::optional<bool> aimed;           // it waited for the target to enter that window
    std::optional<std::int64_t> pending;
    std::optional<std::int64_t> pending_before;  // stop: pending when asked to stop
    std::optional<std::int64_t> pending_after;   // stop: still pending once it exited
    std::optional<std::int64_t> in_flight;
    std::optional<std::int64_t> applied_unacked;
    std::optional<std::int64_t> acked_unapplied;
    std::optional<std::int64_t> duration_ms;  // pause, slow
    std::optional<std::int64_t> service_us;   // slow
    std::optional<std::int64_t> connections_killed;
    std::optional<std::string> exit;  // stop: how the process ended
    std::optional<bool> timed_out;    // stop: killed after its grace
    // kill, stop: the name it runs under after, or null (std::nullopt inside) when retired.
    std::optional<std::optional<std::string>> restarted_as;
    std::optional<double> recovery_ms;         // until everything it held was acknowledged
    std::optional<std::uint64_t> unrecovered;  // held entries never acknowledged
    // redis-restart
    std::optional<bool> hard;
    std::optional<std::string> persistence;
    std::optional<std::int64_t> restart_ms;  // node-kill: from the kill until the cluster is ok
    std::optional<std::uint64_t> order_watermark;
    // failover, primary-kill, replica-stall (§7.1)
    std::optional<std::string> old_primary;  // host:port
    std::optional<std::string> new_primary;
    std::optional<std::int64_t> to_new_primary_ms;  // from the request or the kill
    std::optional<std::string> replica;             // replica-stall: the node stopped
    // cluster-failover, slot-migration, node-kill (§11): the shard aimed at and its slot
    std::optional<std::int64_t> shard;
    std::optional<std::int64_t> slot;
    std::optional<std::string> from;  // slot-migration: the slot's owner before (host:port)
    std::optional<std::string> to;    // and after
    std::optional<std::uint64_t> keys_moved;
    std::optional<std::int64_t> migration_ms;  // from SETSLOT IMPORTING to SETSLOT NODE
    std::optional<std::string> mode;           // cluster-failover: graceful, force, takeover
};

struct TimelineEvent {
    double at_s = 0;
    std::string kind;    // "worker-exit", "kill", "pause", ...
    std::string target;  // consumer name
    std::string detail;
    EventFacts facts;
};

// A fault that happened, as chaos.summary, the progress line, the timeline and the live metrics
// count them: not a worker's own exit, not a fault skipped.
inline bool is_fault(const TimelineEvent& event) {
    return event.kind != "worker-exit" && !event.facts.skipped;
}

struct ScheduledFaultRecord {
    double at_s = 0;
    std::string fault;
    std::string target;
};

// The chaos controller's summary of what it did.
struct ChaosOutcome {
    std::vector<ScheduledFaultRecord> schedule;
    std::map<std::string, std::uint64_t> faults;  // faults that happened, per kind
    std::size_t kills_with_pending = 0;
    std::size_t recovered = 0;    // faults whose held entries were all acknowledged again
    std::size_t unrecovered = 0;  // faults with held entries still pending at the end
    double recovery_p50_ms = 0;
    double recovery_max_ms = 0;
};

// One group on both sides of a change of primary, as the chaos controller read it.
struct GroupAcrossChange {
    std::string group;
    std::string last_delivered_before;     // on the old primary, just before the change
    std::string last_delivered_after;      // on the new one, once it was found
    std::int64_t rolled_back_entries = 0;  // the run's entries between the two IDs
    bool missing = false;                  // the group was not on the new primary
    std::vector<std::string> consumers_missing;
};

// What the run's clients went through, summed over producers and consumers: cumulative, so a
// change of primary's share is a difference of two readings.
struct ClientTally {
    std::uint64_t no_primary_ms = 0;
    std::uint64_t not_primary_replies = 0;  // READONLY, MASTERDOWN, UNBLOCKED
    std::uint64_t nogroup_replies = 0;      // consumers that recreated their group
    std::uint64_t no_replicas_replies = 0;  // NOREPLICAS: consumers waited

    ClientTally operator-(const ClientTally& earlier) const {
        return {no_primary_ms - earlier.no_primary_ms,
                not_primary_replies - earlier.not_primary_replies,
                nogroup_replies - earlier.nogroup_replies,
                no_replicas_replies - earlier.no_replicas_replies};
    }
};

// A failover or primary-kill (§7.1): every order numbered at or above order_watermark was handed
// out after the old primary stopped taking writes.
struct PrimaryChange {
    std::size_t event_index = 0;  // into RunResult::events
    std::string kind;
    std::uint64_t order_watermark = 0;
    std::vector<GroupAcrossChange> groups;
    // From this change until the next one (or the end of the run).
    ClientTally clients;
};

// How long the run's clients went without a primary (sum over a role, and the longest one).
struct ClientOutage {
    std::int64_t producers_total_ms = 0;
    std::int64_t producers_max_ms = 0;
    std::int64_t consumers_total_ms = 0;
    std::int64_t consumers_max_ms = 0;
    std::uint64_t producer_wait_short = 0;  // producers.wait: WAITs short of their replicas
};

// The redirections and retries a Redis Cluster's clients absorbed (DESIGN §11).
struct ClusterRetries {
    std::uint64_t moved = 0;
    std::uint64_t ask = 0;
    std::uint64_t tryagain = 0;
    std::uint64_t clusterdown = 0;
    std::uint64_t readonly_unblocked = 0;  // UNBLOCKED and READONLY replies

    ClusterRetries& operator+=(const ClusterRetries& other) {
        moved += other.moved;
        ask += other.ask;
        tryagain += other.tryagain;
        clusterdown += other.clusterdown;
        readonly_unblocked += other.readonly_unblocked;
        return *this;
    }
};

// A run on a Redis Cluster: where each shard of the stream lived, and what the clients' cluster
// layer went through.
struct ClusterFacts {
    struct Shard {
        std::string stream;
        int slot = 0;
        std::string primary_at_start;  // host:port
        std::string primary_at_end;    // empty when it could not be read
    };
    std::vector<std::string> primaries_at_start;  // host:port, sorted
    std::vector<Shard> shards;
    ClusterRetries producers;
    ClusterRetries consumers;
    ClusterRetries supervisor;  // the supervisor's own connection (setup, sampling, verification)
};

// The fleet's stop at the end of the run: how long workers had to finish the batch in hand,
// and which had to be killed (their unfinished work is then the harness's doing).
struct FinalStop {
    double grace_s = 0;
    std::vector<std::string> killed;
};

// A run that could not finish: why, and where it was. Its report says what was measured until
// then, and its verdict is "error" (exit 3), never pass or fail.
struct RunError {
    std::string message;
    std::string phase;
};

// One agent's part of a run it shared (--agent I/N, §11.1): what `merge` needs beyond the
// report's measurements to judge the whole run from Redis.
struct AgentPart {
    int index = 1;
    int count = 1;
    std::string host;
    std::string boot_id;
    std::vector<int> clock_agents;       // its consumers timed these agents' orders
    std::uint64_t orders_allocated = 0;  // numbers of its own sequence handed out
    // Its order numbers (k * count + index - 1) whose XADD did not return an ID, by outcome.
    std::vector<std::uint64_t> failed;
    std::vector<std::uint64_t> indeterminate;
    std::vector<std::uint64_t> unsent;
    // INFO evicted_keys per server process (run_id) when it started watching.
    std::map<std::string, std::int64_t> eviction_baselines;
};

struct RunResult {
    std::string run_id;
    // Where the run is: "set-up", "load", "drain", "verification" or "cleanup".
    std::string phase = "set-up";
    std::optional<RunError> error;
    // Judged by `verify --run-id` from Redis alone, after the run (see run/reverify.hpp).
    bool verified_after_the_run = false;
    std::string started_at;  // ISO 8601 UTC
    workload::Workload workload;
    Environment environment;
    std::uint64_t orders_allocated = 0;
    std::uint64_t produced_ok = 0;
    std::uint64_t produced_failed = 0;
    std::uint64_t produced_indeterminate = 0;
    std::uint64_t producer_reconnects = 0;
    verify::IndeterminateResolution indeterminate;  // what became of lost XADD replies
    std::int64_t evicted_keys = 0;                  // INFO evicted_keys grew by this much
    double producing_s = 0;
    double drain_s = 0;
    bool drained = false;
    std::int64_t retention_trimmed = 0;    // stream entries deleted by the retention setting
    std::vector<std::string> group_names;  // in workload order: the timeline's groups
    std::vector<TimelineRow> timeline;     // one row per second
    Bottleneck bottleneck;
    MemorySummary memory;
    std::optional<MaxRateSummary> max_rate;  // producers in max-rate mode only
    std::vector<std::unique_ptr<measure::Histogram>> xadd_latency_per_producer;
    std::unique_ptr<measure::Histogram> xadd_latency = std::make_unique<measure::Histogram>();
    std::vector<GroupResult> groups;
    std::vector<ConsumerResult> consumers;
    std::vector<TimelineEvent> events;
    // Per Redis restart: how many order numbers had been handed out while no server ran. Every
    // order the old server acknowledged is numbered below it, every one sent to the new server
    // at or above it.
    std::vector<std::uint64_t> restart_watermarks;
    // Changes of primary, in order, and what they cost (§7.1); lost_writes is set when the run
    // had replicas (the stream is then read for acknowledged orders it no longer holds).
    std::vector<PrimaryChange> primary_changes;
    std::optional<verify::LostWrites> lost_writes;
    std::optional<ClientOutage> client_outage;
    std::optional<ClusterFacts> cluster;  // set on a Redis Cluster
    std::optional<ChaosOutcome> chaos;    // when the workload has faults
    // Per group: the orders pending for consumers when a fault SIGKILLed them.
    std::map<std::string, std::vector<std::uint64_t>> held_at_hard_kills;
    std::vector<verify::FaultTally> faults;  // per chaos event, for the gates
    FinalStop final_stop;
    // What the cleanup of an external Redis could not remove, and why.
    std::vector<std::string> cleanup_notes;
    std::vector<verify::GateResult> gates;
    bool passed = false;
    // An agent's partial report (verdict "partial": `merge` judges), or a merged run's agents.
    std::optional<AgentPart> agent;
    std::vector<AgentPart> merged_agents;
};

}  // namespace sh::run
