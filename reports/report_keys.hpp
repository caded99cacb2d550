// The names of the fields of the documents streamharness writes and reads back: report.json
// (a run, or the aggregate of --repeat runs) and capacity.json. Each is spelled here and
// nowhere else; the writers (report_json.cpp, the capacity search) and every reader (the HTML
// and JUnit pages, compare, the aggregate, the printed summaries) name fields through these.
// Three parts of a report keep the names of the module they come from: a consumer's counters
// (measure::each_counter), a serialised histogram (measure::Histogram::to_json) and the
// effective workload (workload_json).
#pragma once

namespace sh::reports::key {

// Redis Cluster (§11)
inline constexpr const char* cluster = "cluster";
inline constexpr const char* primaries_at_start = "primaries_at_start";
inline constexpr const char* shards = "shards";
inline constexpr const char* slot = "slot";
inline constexpr const char* primary_at_start = "primary_at_start";
inline constexpr const char* primary_at_end = "primary_at_end";
inline constexpr const char* retries = "retries";
inline constexpr const char* producers = "producers";
inline constexpr const char* supervisor = "supervisor";
inline constexpr const char* moved = "moved";
inline constexpr const char* ask = "ask";
inline constexpr const char* tryagain = "tryagain";
inline constexpr const char* clusterdown = "clusterdown";
inline constexpr const char* readonly_unblocked = "readonly_unblocked";

// Replication (§7.1)
inline constexpr const char* no_primary_ms = "no_primary_ms";
inline constexpr const char* not_primary_replies = "not_primary_replies";
inline constexpr const char* nogroup_replies = "nogroup_replies";
inline constexpr const char* no_replicas_replies = "no_replicas_replies";
inline constexpr const char* entries_in_stream = "entries_in_stream";
inline constexpr const char* changes = "changes";
inline constexpr const char* clients = "clients";
inline constexpr const char* consumers_max_no_primary_ms = "consumers_max_no_primary_ms";
inline constexpr const char* consumers_missing = "consumers_missing";
inline constexpr const char* consumers_no_primary_ms = "consumers_no_primary_ms";
inline constexpr const char* duplicated_by_change = "duplicated_by_change";
inline constexpr const char* effect_stores = "effect_stores";
inline constexpr const char* last_delivered_after = "last_delivered_after";
inline constexpr const char* last_delivered_before = "last_delivered_before";
inline constexpr const char* lost_writes = "lost_writes";
inline constexpr const char* missing = "missing";
inline constexpr const char* new_primary = "new_primary";
inline constexpr const char* old_primary = "old_primary";
inline constexpr const char* producer_wait_short = "producer_wait_short";
inline constexpr const char* producers_max_no_primary_ms = "producers_max_no_primary_ms";
inline constexpr const char* producers_no_primary_ms = "producers_no_primary_ms";
inline constexpr const char* redelivered_after_ack = "redelivered_after_ack";
inline constexpr const char* replica = "replica";
inline constexpr const char* replication = "replication";
inline constexpr const char* rolled_back_entries = "rolled_back_entries";
inline constexpr const char* sample = "sample";
inline constexpr const char* to_new_primary_ms = "to_new_primary_ms";
inline constexpr const char* topology = "topology";
inline constexpr const char* total = "total";
inline constexpr const char* unattributed = "unattributed";
inline constexpr const char* event_index = "event_index";

// Cluster faults (§11): an event's shard, slot (key::slot, above) and what moved
inline constexpr const char* shard = "shard";
inline constexpr const char* from = "from";
inline constexpr const char* to = "to";
inline constexpr const char* keys_moved = "keys_moved";
inline constexpr const char* migration_ms = "migration_ms";

inline constexpr const char* achieved_per_s = "achieved_per_s";
inline constexpr const char* acked_unapplied = "acked_unapplied";
inline constexpr const char* actual = "actual";
inline constexpr const char* after_warm_up = "after_warm_up";
inline constexpr const char* aimed = "aimed";
inline constexpr const char* allocated = "allocated";
inline constexpr const char* answer = "answer";
inline constexpr const char* applied = "applied";
inline constexpr const char* applied_and_dead_lettered = "applied_and_dead_lettered";
inline constexpr const char* applied_indeterminate = "applied_indeterminate";
inline constexpr const char* applied_ok = "applied_ok";
inline constexpr const char* applied_per_s = "applied_per_s";
inline constexpr const char* applied_unacked = "applied_unacked";
inline constexpr const char* at_ceiling = "at_ceiling";
inline constexpr const char* at_s = "at_s";
inline constexpr const char* backlog = "backlog";
inline constexpr const char* backlog_bound = "backlog_bound";
inline constexpr const char* best = "best";
inline constexpr const char* best_run = "best_run";
inline constexpr const char* bottleneck = "bottleneck";
inline constexpr const char* chaos = "chaos";
inline constexpr const char* checked = "checked";
inline constexpr const char* cleanup = "cleanup";
inline constexpr const char* confirmed = "confirmed";
inline constexpr const char* connections_killed = "connections_killed";
inline constexpr const char* consistent = "consistent";
inline constexpr const char* consumer = "consumer";
inline constexpr const char* consumers = "consumers";
inline constexpr const char* count = "count";
inline constexpr const char* counters = "counters";
inline constexpr const char* cuts = "cuts";
inline constexpr const char* dead_letter_reasons = "dead_letter_reasons";
inline constexpr const char* dead_lettered = "dead_lettered";
inline constexpr const char* dead_lettered_healthy = "dead_lettered_healthy";
inline constexpr const char* dead_lettered_poison = "dead_lettered_poison";
inline constexpr const char* dead_lettered_unattributed = "dead_lettered_unattributed";
inline constexpr const char* detail = "detail";
inline constexpr const char* drain = "drain";
inline constexpr const char* drained = "drained";
inline constexpr const char* duplicated = "duplicated";
inline constexpr const char* duplicated_after_hard_kill = "duplicated_after_hard_kill";
inline constexpr const char* duplicated_sample = "duplicated_sample";
inline constexpr const char* duplicated_without_hard_kill = "duplicated_without_hard_kill";
inline constexpr const char* duration_ms = "duration_ms";
inline constexpr const char* end = "end";
inline constexpr const char* end_to_end = "end_to_end";
inline constexpr const char* entry_stamp = "entry_stamp";
inline constexpr const char* environment = "environment";
inline constexpr const char* error = "error";
inline constexpr const char* event = "event";
inline constexpr const char* events = "events";
inline constexpr const char* evicted_keys = "evicted_keys";
inline constexpr const char* exit = "exit";
inline constexpr const char* expected = "expected";
inline constexpr const char* external_cpu = "external_cpu";
inline constexpr const char* extra_applications = "extra_applications";
inline constexpr const char* extremes = "extremes";
inline constexpr const char* failed = "failed";
inline constexpr const char* fault = "fault";
inline constexpr const char* faults = "faults";
inline constexpr const char* final_rate = "final_rate";
inline constexpr const char* final_stop = "final_stop";
inline constexpr const char* first_delivery = "first_delivery";
inline constexpr const char* first_failing_rate = "first_failing_rate";
inline constexpr const char* first_passing_consumers = "first_passing_consumers";
inline constexpr const char* gate = "gate";
inline constexpr const char* gates = "gates";
inline constexpr const char* grace_s = "grace_s";
inline constexpr const char* group = "group";
inline constexpr const char* group_start_id = "group_start_id";
inline constexpr const char* groups = "groups";
inline constexpr const char* hard = "hard";
inline constexpr const char* harness_cpu = "harness_cpu";
inline constexpr const char* harness_cpu_cores = "harness_cpu_cores";
inline constexpr const char* harness_share_of_remaining_cores = "harness_share_of_remaining_cores";
inline constexpr const char* histograms = "histograms";
inline constexpr const char* host_cores = "host_cores";
inline constexpr const char* in_flight = "in_flight";
inline constexpr const char* indeterminate = "indeterminate";
inline constexpr const char* indeterminate_resolved = "indeterminate_resolved";
inline constexpr const char* killed = "killed";
inline constexpr const char* kills_with_pending = "kills_with_pending";
inline constexpr const char* kind = "kind";
inline constexpr const char* knee = "knee";
inline constexpr const char* lag = "lag";
inline constexpr const char* lag_left = "lag_left";
inline constexpr const char* landed = "landed";
inline constexpr const char* landing = "landing";
inline constexpr const char* landing_per_event = "landing_per_event";
inline constexpr const char* last_failing_consumers = "last_failing_consumers";
inline constexpr const char* last_passing_rate = "last_passing_rate";
inline constexpr const char* latency = "latency";
inline constexpr const char* limit = "limit";
inline constexpr const char* lost = "lost";
inline constexpr const char* lost_by_restart = "lost_by_restart";
inline constexpr const char* lost_recovered = "lost_recovered";
inline constexpr const char* lost_sample = "lost_sample";
inline constexpr const char* lost_unattributed = "lost_unattributed";
inline constexpr const char* max = "max";
inline constexpr const char* max_consumers = "max_consumers";
inline constexpr const char* max_lag = "max_lag";
inline constexpr const char* max_lost = "max_lost";
inline constexpr const char* max_ms = "max_ms";
inline constexpr const char* max_p99_ms = "max_p99_ms";
inline constexpr const char* max_rate = "max_rate";
inline constexpr const char* maxmemory_policy = "maxmemory_policy";
inline constexpr const char* mean_ms = "mean_ms";
inline constexpr const char* message = "message";
inline constexpr const char* memory = "memory";
inline constexpr const char* min_achieved = "min_achieved";
inline constexpr const char* min_consumers = "min_consumers";
inline constexpr const char* min_rate = "min_rate";
inline constexpr const char* mode = "mode";
inline constexpr const char* name = "name";
inline constexpr const char* not_reached = "not_reached";
inline constexpr const char* not_removed = "not_removed";
inline constexpr const char* note = "note";
inline constexpr const char* ok = "ok";
inline constexpr const char* ok_per_s = "ok_per_s";
inline constexpr const char* order_watermark = "order_watermark";
inline constexpr const char* orders_after_warm_up = "orders_after_warm_up";
inline constexpr const char* outcome_record_bytes = "outcome_record_bytes";
inline constexpr const char* p50 = "p50";
inline constexpr const char* p50_ms = "p50_ms";
inline constexpr const char* p90_ms = "p90_ms";
inline constexpr const char* p99_9_ms = "p99_9_ms";
inline constexpr const char* p99_ms = "p99_ms";
inline constexpr const char* passed = "passed";
inline constexpr const char* pending = "pending";
inline constexpr const char* pending_after = "pending_after";
inline constexpr const char* pending_before = "pending_before";
inline constexpr const char* pending_left = "pending_left";
inline constexpr const char* persistence = "persistence";
inline constexpr const char* phase = "phase";
inline constexpr const char* points = "points";
inline constexpr const char* poison_applied = "poison_applied";
inline constexpr const char* poison_not_dead_lettered = "poison_not_dead_lettered";
inline constexpr const char* produced = "produced";
inline constexpr const char* produced_ok = "produced_ok";
inline constexpr const char* produced_per_s = "produced_per_s";
inline constexpr const char* producer_behind_ms = "producer_behind_ms";
inline constexpr const char* producing_s = "producing_s";
inline constexpr const char* raises = "raises";
inline constexpr const char* range = "range";
inline constexpr const char* rate = "rate";
inline constexpr const char* reason = "reason";
inline constexpr const char* reconnects = "reconnects";
inline constexpr const char* recovered = "recovered";
inline constexpr const char* recovery_ms = "recovery_ms";
inline constexpr const char* redis = "redis";
inline constexpr const char* redis_cpu = "redis_cpu";
inline constexpr const char* redis_cpu_busy = "redis_cpu_busy";
inline constexpr const char* redis_memory_bytes = "redis_memory_bytes";
inline constexpr const char* redis_version = "redis_version";
inline constexpr const char* repeat = "repeat";
inline constexpr const char* report = "report";
inline constexpr const char* resolution = "resolution";
inline constexpr const char* restart_ms = "restart_ms";
inline constexpr const char* restarted_as = "restarted_as";
inline constexpr const char* retention = "retention";
inline constexpr const char* run_id = "run_id";
inline constexpr const char* runs = "runs";
inline constexpr const char* saturated = "saturated";
inline constexpr const char* schedule = "schedule";
inline constexpr const char* scheduled = "scheduled";
inline constexpr const char* schema_version = "schema_version";
inline constexpr const char* search = "search";
inline constexpr const char* search_id = "search_id";
inline constexpr const char* seconds = "seconds";
inline constexpr const char* service_us = "service_us";
inline constexpr const char* shares = "shares";
inline constexpr const char* skipped = "skipped";
inline constexpr const char* slo = "slo";
inline constexpr const char* span_s = "span_s";
inline constexpr const char* stalled_consumers = "stalled_consumers";
inline constexpr const char* started_at = "started_at";
inline constexpr const char* steady_rows = "steady_rows";
inline constexpr const char* step_duration_s = "step_duration_s";
inline constexpr const char* step_rate = "step_rate";
inline constexpr const char* steps = "steps";
inline constexpr const char* stopped = "stopped";
inline constexpr const char* stream = "stream";
inline constexpr const char* stream_created = "stream_created";
inline constexpr const char* stream_key = "stream_key";
inline constexpr const char* stream_length = "stream_length";
inline constexpr const char* stuck = "stuck";
inline constexpr const char* stuck_by_consumer = "stuck_by_consumer";
inline constexpr const char* summary = "summary";
inline constexpr const char* supervisor_growth_bytes_per_order =
    "supervisor_growth_bytes_per_order";
inline constexpr const char* supervisor_growth_kib_per_s = "supervisor_growth_kib_per_s";
inline constexpr const char* supervisor_growth_mib = "supervisor_growth_mib";
inline constexpr const char* supervisor_rss_mib = "supervisor_rss_mib";
inline constexpr const char* sustained_orders_per_s = "sustained_orders_per_s";
inline constexpr const char* t_s = "t_s";
inline constexpr const char* target = "target";
inline constexpr const char* timed_out = "timed_out";
inline constexpr const char* timeline = "timeline";
inline constexpr const char* tool = "tool";
inline constexpr const char* trimmed = "trimmed";
inline constexpr const char* unexpected = "unexpected";
inline constexpr const char* unknown = "unknown";
inline constexpr const char* unrecovered = "unrecovered";
inline constexpr const char* verdict = "verdict";
inline constexpr const char* verified = "verified";
inline constexpr const char* verification = "verification";
inline constexpr const char* version = "version";
inline constexpr const char* warm_up_s = "warm_up_s";
inline constexpr const char* window = "window";
inline constexpr const char* workers_private_mib = "workers_private_mib";
inline constexpr const char* workload = "workload";
inline constexpr const char* worst = "worst";
inline constexpr const char* worst_p99_ms = "worst_p99_ms";
inline constexpr const char* worst_run = "worst_run";
inline constexpr const char* xadd = "xadd";
inline constexpr const char* xadd_latency = "xadd_latency";
inline constexpr const char* xadd_latency_per_producer = "xadd_latency_per_producer";

// Agents (§11.1): an agent's part of a shared run, and a merged run's agents.
inline constexpr const char* agent = "agent";
inline constexpr const char* agents = "agents";
inline constexpr const char* host = "host";
inline constexpr const char* boot_id = "boot_id";
inline constexpr const char* clock_agents = "clock_agents";
inline constexpr const char* orders_allocated = "orders_allocated";
inline constexpr const char* unsent = "unsent";
inline constexpr const char* eviction_baselines = "eviction_baselines";
inline constexpr const char* index = "index";
inline constexpr const char* held_at_hard_kills = "held_at_hard_kills";
inline constexpr const char* fault_tallies = "fault_tallies";

// Provenance (§9.1): what produced a report, so a number can be traced and two runs' settings
// compared. `provenance.host` is a section; `key::host` (above) is an agent's host name.
inline constexpr const char* finished_at = "finished_at";
inline constexpr const char* provenance = "provenance";
inline constexpr const char* command_line = "command_line";
inline constexpr const char* overrides = "overrides";
inline constexpr const char* tags = "tags";
inline constexpr const char* build = "build";
inline constexpr const char* commit = "commit";
inline constexpr const char* commit_dirty = "commit_dirty";
inline constexpr const char* build_type = "build_type";
inline constexpr const char* compiler = "compiler";
inline constexpr const char* hostname = "hostname";
inline constexpr const char* cpu_model = "cpu_model";
inline constexpr const char* cores = "cores";
inline constexpr const char* kernel = "kernel";
inline constexpr const char* appendfsync = "appendfsync";
inline constexpr const char* maxmemory_bytes = "maxmemory_bytes";
inline constexpr const char* io_threads = "io_threads";

// Review of issue 16: a consumer's environment in the report's workload, values hidden.
inline constexpr const char* env = "env";
inline constexpr const char* hidden_value = "***";

// HTML report (issue 16): a gate that holds or not (actual 1 or 0).
inline constexpr const char* points_consistent = "points_consistent";

}  // namespace sh::reports::key

// The values of the fields that name a state rather than a measure.
namespace sh::reports::value {

inline constexpr const char* pass = "pass";  // verdict
inline constexpr const char* fail = "fail";
inline constexpr const char* error = "error";      // the run could not finish (exit 3)
inline constexpr const char* partial = "partial";  // an agent's part: `merge` judges the run
inline constexpr const char* during_the_run = "during the run";  // verified
inline constexpr const char* after_the_run = "after the run, from Redis alone";
inline constexpr const char* by_merge = "by merge, from Redis, after every agent finished";
inline constexpr const char* not_yet = "not by an agent: merge judges the run";
inline constexpr const char* load = "load";  // timeline phase
inline constexpr const char* drain = "drain";
inline constexpr const char* aggregate = "aggregate";  // kind
inline constexpr const char* capacity = "capacity";

}  // namespace sh::reports::value
