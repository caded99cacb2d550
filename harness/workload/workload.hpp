// The workload model: plain structs with defaults. Parsing and validation live in
// workload_json.cpp; nothing else in the harness reads workload JSON.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "harness/model/consumer_window.hpp"
#include "harness/redis/persistence.hpp"

namespace sh::workload {

using redis::Persistence;

enum class Arrival { constant, poisson };
enum class AckMode { atomic, after, before };
enum class Effect { points, none };
enum class ConsumerNaming { unique, shared };
enum class ServiceDistribution { constant, uniform, exponential };
enum class RetentionMode { off, safe, unsafe };
// Where a built-in group's ledger (its effect) lives: in the Redis that holds the stream, or in
// a separate embedded redis-server outside the topology, as a real side effect would (§7.1).
enum class EffectStore { redis, separate };
// What becomes of a worker that exited: on its own (groups[].restart, written "never" for no
// restart) or ended by a fault (chaos.events[].restart, written "none").
enum class RestartPolicy { same_name, new_name, never };

struct Retention {
    RetentionMode mode = RetentionMode::off;
    std::int64_t max_len = 100000;  // entries kept by the unsafe MAXLEN trim
    std::int64_t interval_ms = 1000;
};

struct StreamSpec {
    std::string name = "ordermq";
    // An exact key to use instead of the run-scoped one (external Redis); empty by default.
    std::string key;
    std::int64_t payload_bytes = 64;
    Retention retention;
    // The stream split in shards (DESIGN §11): each order goes to the shard of its user, so one
    // user's orders stay in order; each consumer instance reads one shard.
    std::int64_t shards = 1;
};

// WAIT (and WAITAOF) after a write: replicas must acknowledge it within timeout_ms.
struct WaitSpec {
    std::int64_t replicas = 0;  // WAIT numreplicas; 0 = no WAIT
    std::int64_t timeout_ms = 1000;
    std::int64_t aof_local = 0;     // WAITAOF numlocal (Redis 7.2 and later)
    std::int64_t aof_replicas = 0;  // WAITAOF numreplicas
    bool enabled() const { return replicas > 0 || aof_local > 0 || aof_replicas > 0; }
    bool needs_waitaof() const { return aof_local > 0 || aof_replicas > 0; }
};

// The embedded server's replication: replicas follow the primary, Sentinels fail over (§3.3).
struct TopologySpec {
    std::int64_t replicas = 0;   // 0..2
    std::int64_t sentinels = 0;  // 0 or 3
    std::int64_t min_replicas_to_write = 0;
    std::int64_t min_replicas_max_lag_s = 10;
    std::int64_t down_after_ms = 1000;  // Sentinel's down-after-milliseconds
    // An embedded Redis Cluster instead (DESIGN §11): primaries share the 16384 slots; its own
    // replicas (replicas_per_primary) take over, not Sentinels. primaries 0: no cluster.
    struct Cluster {
        std::int64_t primaries = 0;
        std::int64_t replicas_per_primary = 0;
        std::int64_t node_timeout_ms = 2000;  // cluster-node-timeout
        bool enabled() const { return primaries > 0; }
    } cluster;
};

// fixed: producers.rate orders/s on an open-loop schedule. max: a controller moves the rate to
// the highest the consumer fleet keeps up with (written as producers.rate 0).
enum class RateMode { fixed, max };

struct ProducerSpec {
    std::int64_t count = 1;  // producer threads
    RateMode mode = RateMode::fixed;
    double rate = 1000;  // orders/s over all producers (mode fixed)
    Arrival arrival = Arrival::constant;
    std::int64_t orders = 0;  // stop after this many orders in total; 0 = run for duration_s
    std::int64_t pipeline = 16;
    double poison_ratio = 0;
    std::int64_t users = 1000;
    WaitSpec wait;  // after every pipeline of XADDs
};

struct ServiceTime {
    ServiceDistribution distribution = ServiceDistribution::constant;
    std::int64_t mean_us = 0;
};

struct ClaimSpec {
    bool enabled = true;
    std::int64_t interval_ms = 200;
    std::int64_t min_idle_ms = 1000;
    std::int64_t max_deliveries = 5;  // 0 = no delivery limit (XAUTOCLAIM, no dead letters)
    std::int64_t count = 100;
};

struct DeadLetterSpec {
    bool delete_entry = false;  // XDEL the entry from the stream once dead-lettered
};

// A consumer the user brings (any language): the harness starts `command` once per consumer
// instance, tells it where to read and what to record through STREAMHARNESS_* variables (see
// docs/consumer-contract.md), and judges it from Redis alone.
struct ExternalConsumer {
    std::vector<std::string> command;        // argv; the first word is searched on PATH
    std::string cwd;                         // empty: the harness's own working directory
    std::map<std::string, std::string> env;  // added to the STREAMHARNESS_* variables
    double start_timeout_s = 10;             // until it reads the group for the first time
    double stop_timeout_s = 10;              // from SIGTERM to SIGKILL
};

struct GroupSpec {
    std::string name;
    std::int64_t consumers = 1;
    AckMode ack = AckMode::atomic;
    bool dedupe = false;
    Effect effect = Effect::none;
    std::int64_t batch = 50;
    std::int64_t block_ms = 100;
    // Pause after every batch: the seed's Thread.sleep(1000) defect when non-zero.
    std::int64_t sleep_after_batch_ms = 0;
    ServiceTime service_time;
    double fail_ratio = 0;
    ConsumerNaming naming = ConsumerNaming::unique;
    ClaimSpec claim;
    DeadLetterSpec dead_letter;
    bool remove_idle_consumers = true;
    RestartPolicy restart = RestartPolicy::same_name;
    // Drain the own pending list at start-up; the seed's consumers never do (they read ">" only).
    bool replay_pending = true;
    EffectStore effect_store = EffectStore::redis;
    WaitSpec ack_wait;  // after every batch's acknowledgement
    // Set: the group's consumers are the user's processes, not the built-in consumer (whose
    // settings above then do not apply, except claim's interval_ms, min_idle_ms and
    // max_deliveries, which the consumer is told; the verifier's stuck check uses min_idle_ms).
    std::optional<ExternalConsumer> consumer;
};

// Every anomaly the verifier counts has a gate here whose default fails the run when it
// happens (tests/unit/gates_test.cpp holds each to that).
struct Gates {
    // Per group.
    std::optional<std::int64_t> max_lost = 0;
    std::optional<std::int64_t> max_duplicated = 0;
    std::optional<std::int64_t> max_unexpected = 0;
    std::optional<std::int64_t> max_pending_left = 0;
    std::optional<std::int64_t> max_lag_left = 0;
    // Non-poison orders in the dead-letter stream: never applied, so failed by default.
    std::optional<std::int64_t> max_dead_lettered_healthy = 0;
    // Orders whose effect was applied and that were also dead-lettered.
    std::optional<std::int64_t> max_applied_and_dead_lettered = 0;
    // Duplicates no hard kill explains: orders applied again that were not pending for a
    // consumer when it was SIGKILLed (at-least-once tolerates the others, never these).
    std::optional<std::int64_t> max_duplicated_without_hard_kill = 0;
    // Entries still pending at the end, idle for three claim idle times or more: nobody works
    // on them and nobody claims them.
    std::optional<std::int64_t> max_stuck = 0;
    bool points_consistent = true;
    bool poison_dead_lettered = true;
    std::optional<double> max_p99_ms;
    std::optional<double> min_applied_per_s;
    // Run-wide. A run with no order produced ok never passes, whatever this says (>= 1).
    std::int64_t min_produced_ok = 1;
    // XADDs Redis refused, and XADDs whose reply was lost; a workload that restarts Redis
    // states its own limits.
    std::optional<std::int64_t> max_produce_failed = 0;
    std::optional<std::int64_t> max_produce_indeterminate = 0;
    // Keys Redis evicted during the run (INFO evicted_keys): a ledger may be among them.
    std::optional<std::int64_t> max_evicted_keys = 0;
    // Per chaos event: at least this many of its faults (all of them, if it came due fewer
    // times) and at least this share of them must have landed.
    std::optional<std::int64_t> min_faults_landed = 1;
    std::optional<double> min_faults_landed_ratio = 0.5;
    // Per primary change (failover, primary-kill): acknowledged XADDs absent from the stream
    // afterwards; entries re-delivered although acknowledged before; entries a group's
    // last-delivered ID moved back over; groups and consumers missing on the new primary.
    std::optional<std::int64_t> max_lost_writes = 0;
    std::optional<std::int64_t> max_redelivered_after_ack = 0;
    std::optional<std::int64_t> max_rolled_back_entries = 0;
    std::optional<std::int64_t> max_missing_groups = 0;
};

enum class FaultKind {
    kill,
    pause,
    disconnect,
    stop,
    slow,
    redis_restart,
    failover,
    primary_kill,
    replica_stall,
    cluster_failover,  // CLUSTER FAILOVER on a replica of a shard's primary
    slot_migration,    // a live shard's slot moved to another primary
    node_kill          // SIGKILL of the primary of a shard's slot
};

// CLUSTER FAILOVER's variants: graceful (the primary hands over its writes first), FORCE (the
// replica does not wait for the primary), TAKEOVER (nor for the other primaries' votes).
enum class ClusterFailoverMode { graceful, force, takeover };

// One line of the chaos schedule: a fault at a time or every N seconds (DESIGN §6).
struct FaultEvent {
    FaultKind fault = FaultKind::kill;
    std::string target = "*/any";   // "group/index", "group/any", "group/all", "*/any", "*/all"
    std::optional<double> at_s;     // once, at this time after the start
    std::optional<double> every_s;  // repeatedly, from start_s
    double start_s = 0;
    double until_s = 0;                                // 0: until the producers stop
    double jitter_s = 0;                               // +- uniform, from the chaos seed
    std::int64_t duration_ms = 1000;                   // pause, slow and replica-stall
    std::int64_t service_us = 100000;                  // slow: the service time per order meanwhile
    RestartPolicy restart = RestartPolicy::same_name;  // after a kill or stop
    bool hard = true;  // redis-restart: SIGKILL (true) or SHUTDOWN-like SIGTERM (false)
    ClusterFailoverMode mode = ClusterFailoverMode::graceful;  // cluster-failover
    // kill and pause: land only while the target is in this window of its batch (none: any).
    std::optional<model::ConsumerWindow> window;
};

struct ChaosSpec {
    std::uint64_t seed = 1;
    std::vector<FaultEvent> events;
};

struct Workload {
    std::string name = "unnamed";
    double duration_s = 20;
    Persistence persistence = Persistence::none;
    TopologySpec topology;
    std::uint64_t seed = 1;
    double drain_timeout_s = 30;
    StreamSpec stream;
    ProducerSpec producers;
    std::vector<GroupSpec> groups;
    ChaosSpec chaos;
    Gates gates;
};

const char* to_string(AckMode mode);
const char* to_string(FaultKind fault);
const char* to_string(EffectStore store);
// A fault that changes which node is the primary.
bool changes_primary(FaultKind fault);
// cluster-failover, slot-migration and node-kill: they need topology.cluster.
bool on_cluster(FaultKind fault);

}  // namespace sh::workload
