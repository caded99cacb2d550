#include "harness/workload/workload_checks.hpp"

#include <algorithm>
#include <set>
#include <sstream>

namespace sh::workload {

namespace {

std::string seconds_text(double seconds) {
    std::ostringstream text;
    text << seconds;
    return text.str();
}

void check_groups(const Workload& workload, std::set<std::string>& names, Problems& problems) {
    if (workload.groups.empty()) problems.add("groups", "at least one consumer group is needed");
    for (std::size_t i = 0; i < workload.groups.size(); ++i) {
        const auto& group = workload.groups[i];
        auto path = "groups." + std::to_string(i);
        if (group.name.empty()) problems.add(path + ".name", "required");  // it has no default
        if (!group.name.empty() && !names.insert(group.name).second) {
            problems.add(path + ".name", "duplicate group name '" + group.name + "'");
        }
        if (group.name.find_first_of(":{} ") != std::string::npos) {
            problems.add(path + ".name", "must not contain ':', '{', '}' or spaces");
        }
        if (group.name == "produced") {
            problems.add(path + ".name",
                         "'produced' names the producers' series in the report's charts");
        }
        if (group.claim.enabled && group.claim.interval_ms > group.claim.min_idle_ms) {
            problems.add(path + ".claim.interval_ms",
                         "must not exceed claim.min_idle_ms (entries would wait a whole interval "
                         "after becoming claimable)");
        }
    }
}

// The groups a target selector names ("*" is all of them).
std::vector<const GroupSpec*> targeted_groups(const Workload& workload, const std::string& group) {
    std::vector<const GroupSpec*> groups;
    for (const auto& spec : workload.groups) {
        if (group == "*" || spec.name == group) groups.push_back(&spec);
    }
    return groups;
}

// A window only some ack modes pass through: a fault aimed at it elsewhere would never land.
std::optional<AckMode> mode_with_window(model::ConsumerWindow window) {
    if (window == model::ConsumerWindow::applied_unacked) return AckMode::after;
    if (window == model::ConsumerWindow::acked_unapplied) return AckMode::before;
    return std::nullopt;
}

void check_window(const Workload& workload, const FaultEvent& event, const std::string& group,
                  const std::string& path, Problems& problems) {
    if (!event.window) return;
    if (event.fault != FaultKind::kill && event.fault != FaultKind::pause) {
        problems.add(path + ".window", "only kill and pause aim at a window of the batch");
        return;
    }
    auto mode = mode_with_window(*event.window);
    if (!mode) return;
    for (const auto* spec : targeted_groups(workload, group)) {
        if (spec->ack == *mode) return;
    }
    problems.add(path + ".window", std::string(model::to_string(*event.window)) +
                                       " happens only in groups with ack: " + to_string(*mode) +
                                       ", and the target '" + event.target + "' has none");
}

// Faults run while the producers do: one that can only come due after they stop never happens,
// and a run that was meant to test it must not look as if it had.
void check_timing(const Workload& workload, const FaultEvent& event, const std::string& path,
                  Problems& problems) {
    if (event.every_s && event.until_s > 0 && event.until_s <= event.start_s) {
        problems.add(path + ".until_s", "must be after start_s, or 0 (until the producers stop)");
    }
    if (workload.producers.orders > 0) return;  // the run's length is not known in advance
    auto producing = " s is not before the producers stop (duration_s " +
                     seconds_text(workload.duration_s) + "): the fault would never happen";
    if (event.at_s && *event.at_s >= workload.duration_s) {
        problems.add(path + ".at_s", seconds_text(*event.at_s) + producing);
    }
    if (event.every_s && event.start_s >= workload.duration_s) {
        problems.add(path + ".start_s", seconds_text(event.start_s) + producing);
    }
}

// "3" names the third consumer of a group; "03" or an index past the group's size none.
void check_index(const Workload& workload, const std::string& group, const std::string& which,
                 const std::string& path, Problems& problems) {
    if (which.size() > 1 && which[0] == '0') {
        problems.add(path + ".target", "index '" + which + "' has a leading zero");
        return;
    }
    auto index = std::stoll(which.substr(0, 9));
    std::int64_t largest = 0;
    for (const auto* spec : targeted_groups(workload, group)) {
        largest = std::max(largest, spec->consumers);
    }
    if (index < 1 || index > largest) {
        problems.add(path + ".target", "no consumer " + which + " in '" + group + "' (it has " +
                                           std::to_string(largest) + ")");
    }
}

// Faults an external consumer cannot take: it publishes no window and has no slow channel.
void check_external_targets(const Workload& workload, const FaultEvent& event,
                            const std::string& group, const std::string& path, Problems& problems) {
    if (!event.window && event.fault != FaultKind::slow) return;
    for (const auto* spec : targeted_groups(workload, group)) {
        if (!spec->consumer) continue;
        problems.add(path + (event.window ? ".window" : ".fault"),
                     "group '" + spec->name + "' runs an external consumer, which " +
                         (event.window ? "publishes no window of its batch to aim at"
                                       : "has no channel to slow it down"));
        return;
    }
}

void check_events(const Workload& workload, const std::set<std::string>& names,
                  Problems& problems) {
    for (std::size_t i = 0; i < workload.chaos.events.size(); ++i) {
        const auto& event = workload.chaos.events[i];
        auto path = "chaos.events." + std::to_string(i);
        if (event.at_s.has_value() == event.every_s.has_value()) {
            problems.add(path, "needs exactly one of at_s and every_s");
        }
        check_timing(workload, event, path, problems);
        if (event.fault == FaultKind::redis_restart || changes_primary(event.fault) ||
            event.fault == FaultKind::replica_stall || on_cluster(event.fault)) {
            continue;  // they act on the servers, not on a consumer
        }
        auto slash = event.target.find('/');
        if (slash == std::string::npos) {
            problems.add(path + ".target", "expected group/index, group/any or group/all, got '" +
                                               event.target + "'");
            continue;
        }
        auto group = event.target.substr(0, slash);
        auto which = event.target.substr(slash + 1);
        bool known = group == "*" || names.count(group) > 0;
        if (!known) problems.add(path + ".target", "no group named '" + group + "'");
        bool index = !which.empty() && which.find_first_not_of("0123456789") == std::string::npos;
        if (which != "any" && which != "all" && !index) {
            problems.add(path + ".target",
                         "expected index, any or all after '/', got '" + which + "'");
        }
        if (known && index) check_index(workload, group, which, path, problems);
        if (known) check_window(workload, event, group, path, problems);
        if (known) check_external_targets(workload, event, group, path, problems);
    }
}

// Settings of the built-in consumer mean nothing to a consumer the user brings: one set there
// would be a test the run does not perform.
void check_external(const Workload& workload, Problems& problems) {
    const GroupSpec builtin;
    bool any_external = false;
    for (std::size_t i = 0; i < workload.groups.size(); ++i) {
        const auto& group = workload.groups[i];
        if (!group.consumer) continue;
        any_external = true;
        auto path = "groups." + std::to_string(i);
        auto own = [&](bool differs, const char* field) {
            if (differs) {
                problems.add(path + "." + field,
                             "applies to the built-in consumer only: an external consumer's "
                             "own code decides it");
            }
        };
        own(group.ack != builtin.ack, "ack");
        own(group.dedupe != builtin.dedupe, "dedupe");
        own(group.effect != builtin.effect, "effect");
        own(group.batch != builtin.batch, "batch");
        own(group.block_ms != builtin.block_ms, "block_ms");
        own(group.sleep_after_batch_ms != builtin.sleep_after_batch_ms, "sleep_after_batch_ms");
        own(group.claim.enabled != builtin.claim.enabled, "claim.enabled");
        own(group.claim.count != builtin.claim.count, "claim.count");
        own(group.service_time.mean_us != builtin.service_time.mean_us, "service_time");
        own(group.fail_ratio != builtin.fail_ratio, "fail_ratio");
        own(group.naming != builtin.naming, "naming");
        own(group.dead_letter.delete_entry != builtin.dead_letter.delete_entry, "dead_letter");
        own(group.replay_pending != builtin.replay_pending, "replay_pending");
        own(group.remove_idle_consumers != builtin.remove_idle_consumers, "remove_idle_consumers");
        for (const auto& [name, value] : group.consumer->env) {
            if (name.rfind("STREAMHARNESS_", 0) == 0) {
                problems.add(path + ".consumer.env." + name,
                             "reserved: the harness sets the STREAMHARNESS_ variables");
            } else if (name.empty() || name.find('=') != std::string::npos) {
                problems.add(path + ".consumer.env." + name, "not a variable name");
            }
        }
    }
    if (any_external && workload.gates.max_p99_ms) {
        problems.add("gates.max_p99_ms",
                     "latency is not measured for an external consumer (only its effects in "
                     "Redis are seen): set it to null, or gate throughput with "
                     "min_applied_per_s");
    }
}

bool has_consumer_faults(const Workload& workload) {
    for (const auto& event : workload.chaos.events) {
        if (event.fault != FaultKind::redis_restart) return true;
    }
    return false;
}

// After the last order is sent the drain must leave time for the claim loop to finish it: an
// orphan of a fault waits min_idle + interval to be claimed, and a poison order (or one that
// keeps failing) is delivered max_deliveries times, each after going idle, before it is
// dead-lettered. A shorter drain times out and blames the consumer for the harness's haste.
void check_drain(const Workload& workload, Problems& problems) {
    bool failing_orders = workload.producers.poison_ratio > 0;
    for (std::size_t i = 0; i < workload.groups.size(); ++i) {
        const auto& group = workload.groups[i];
        const auto& claim = group.claim;
        if (!claim.enabled) continue;
        auto path = "groups." + std::to_string(i);
        double wait_s = static_cast<double>(claim.min_idle_ms + claim.interval_ms) / 1000.0;
        if ((failing_orders || group.fail_ratio > 0) && claim.max_deliveries > 0) {
            double need_s = static_cast<double>(claim.max_deliveries) * wait_s;
            if (workload.drain_timeout_s < need_s) {
                problems.add("drain_timeout_s",
                             seconds_text(workload.drain_timeout_s) +
                                 " s is too short to dead-letter an order group '" + group.name +
                                 "' keeps failing: that takes up to " + path +
                                 ".claim.max_deliveries " + std::to_string(claim.max_deliveries) +
                                 " x (min_idle_ms " + std::to_string(claim.min_idle_ms) +
                                 " + interval_ms " + std::to_string(claim.interval_ms) +
                                 ") = " + seconds_text(need_s) + " s after its first delivery");
            }
        } else if (has_consumer_faults(workload) && workload.drain_timeout_s < wait_s) {
            problems.add("drain_timeout_s",
                         seconds_text(workload.drain_timeout_s) +
                             " s is too short to claim what a fault orphans in group '" +
                             group.name + "': that takes up to " + path + ".claim.min_idle_ms " +
                             std::to_string(claim.min_idle_ms) + " + interval_ms " +
                             std::to_string(claim.interval_ms) + " = " + seconds_text(wait_s) +
                             " s");
        }
    }
}

// Replicas and failovers (DESIGN §3.3): what the topology can do, and what would hide a lost
// write from the verifier, which finds one as an acknowledged order missing from the stream.
void check_replication(const Workload& workload, Problems& problems) {
    const auto& topology = workload.topology;
    if (topology.sentinels != 0 && topology.sentinels != 3) {
        problems.add("topology.sentinels", "0 or 3 (a quorum of 2 needs three)");
    }
    if (topology.sentinels > 0 && topology.replicas == 0) {
        problems.add("topology.sentinels", "Sentinels need a replica to promote: set replicas");
    }
    if (topology.min_replicas_to_write > topology.replicas) {
        problems.add("topology.min_replicas_to_write",
                     "exceeds topology.replicas: the primary would refuse every write");
    }
    for (std::size_t i = 0; i < workload.chaos.events.size(); ++i) {
        const auto& event = workload.chaos.events[i];
        auto path = "chaos.events." + std::to_string(i) + ".fault";
        if (changes_primary(event.fault) && topology.sentinels == 0) {
            problems.add(path, std::string(to_string(event.fault)) +
                                   " needs topology.sentinels 3 (and a replica): clients find "
                                   "the new primary through Sentinel");
        }
        if (event.fault == FaultKind::replica_stall && topology.replicas == 0) {
            problems.add(path, "replica-stall needs topology.replicas");
        }
        if (event.fault == FaultKind::redis_restart && topology.replicas > 0) {
            problems.add(path,
                         "redis-restart restarts a lone server; with replicas use "
                         "primary-kill or failover");
        }
    }
    if (topology.replicas > 0) check_for_replicas(workload, topology.sentinels > 0, problems);
}

void check_effect_stores(const Workload& workload, Problems& problems) {
    for (std::size_t i = 0; i < workload.groups.size(); ++i) {
        const auto& group = workload.groups[i];
        if (group.consumer && group.effect_store != EffectStore::redis) {
            problems.add("groups." + std::to_string(i) + ".effect_store",
                         "an external consumer writes its own ledger (applied:<group>) in the "
                         "run's Redis");
        }
    }
}

// Each consumer instance reads one shard; the rest of the harness reads one stream per shard.
void check_shards(const Workload& workload, Problems& problems) {
    auto shards = workload.stream.shards;
    if (shards == 1) return;
    if (!workload.stream.key.empty()) {
        problems.add("stream.key", "names one stream, and stream.shards " + std::to_string(shards) +
                                       " needs one per shard");
    }
    for (std::size_t i = 0; i < workload.groups.size(); ++i) {
        const auto& group = workload.groups[i];
        auto path = "groups." + std::to_string(i);
        if (group.consumer) {
            problems.add(path + ".consumer",
                         "an external consumer is given one stream (STREAMHARNESS_STREAM): use "
                         "stream.shards 1");
        }
    }
    if (workload.topology.replicas > 0) {
        problems.add("topology.replicas",
                     "a change of primary is judged on one stream: use stream.shards 1");
    }
}

// The shard a cluster fault aims at: "*/any" (the shards in turn) or "shard/<n>".
void check_shard_target(const Workload& workload, const FaultEvent& event, const std::string& path,
                        Problems& problems) {
    if (event.target == "*/any") return;
    auto number = event.target.rfind("shard/", 0) == 0 ? event.target.substr(6) : "";
    bool index = !number.empty() && number.size() < 6 &&
                 number.find_first_not_of("0123456789") == std::string::npos;
    if (!index || std::stoll(number) >= workload.stream.shards) {
        problems.add(path + ".target", "a cluster fault aims at a shard: */any or shard/0.." +
                                           std::to_string(workload.stream.shards - 1) + ", got '" +
                                           event.target + "'");
    }
}

// An embedded Redis Cluster (DESIGN §11) and the faults that need one.
void check_cluster(const Workload& workload, Problems& problems) {
    const auto& cluster = workload.topology.cluster;
    for (std::size_t i = 0; i < workload.chaos.events.size(); ++i) {
        const auto& event = workload.chaos.events[i];
        auto path = "chaos.events." + std::to_string(i);
        if (!on_cluster(event.fault)) {
            bool lone_server = event.fault == FaultKind::redis_restart ||
                               changes_primary(event.fault) ||
                               event.fault == FaultKind::replica_stall;
            if (cluster.enabled() && lone_server) {
                problems.add(path + ".fault", std::string(to_string(event.fault)) +
                                                  " acts on one server: on a cluster use "
                                                  "cluster-failover, slot-migration or node-kill");
            }
            continue;
        }
        if (!cluster.enabled()) {
            problems.add(path + ".fault", std::string(to_string(event.fault)) +
                                              " needs topology.cluster (an embedded cluster)");
            continue;
        }
        check_shard_target(workload, event, path, problems);
        if (event.fault == FaultKind::cluster_failover && cluster.replicas_per_primary == 0) {
            problems.add(path + ".fault",
                         "cluster-failover promotes a replica: set "
                         "topology.cluster.replicas_per_primary 1");
        }
        if (event.fault == FaultKind::slot_migration && cluster.primaries < 2) {
            problems.add(path + ".fault",
                         "slot-migration moves a slot to another primary: set "
                         "topology.cluster.primaries 2 or more");
        }
    }
    if (!cluster.enabled()) return;
    if (workload.topology.replicas > 0 || workload.topology.sentinels > 0) {
        problems.add("topology.cluster",
                     "a cluster has its own replicas (replicas_per_primary) and failover: "
                     "leave topology.replicas and topology.sentinels at 0");
    }
    check_for_cluster(workload, problems);
}

}  // namespace

void check_for_cluster(const Workload& workload, Problems& problems) {
    if (!workload.stream.key.empty()) {
        problems.add("stream.key",
                     "lies outside the run's hash tag, so on a cluster the ack script would "
                     "touch two slots (CROSSSLOT): use the run's own stream");
    }
    for (std::size_t i = 0; i < workload.chaos.events.size(); ++i) {
        if (workload.chaos.events[i].fault == FaultKind::disconnect) {
            problems.add("chaos.events." + std::to_string(i) + ".fault",
                         "disconnect finds connections in one server's CLIENT LIST, not yet "
                         "across a cluster's nodes");
        }
    }
    if (workload.producers.wait.enabled()) {
        problems.add("producers.wait",
                     "WAIT acts on one node, and a pipeline spans the cluster's primaries");
    }
    for (std::size_t i = 0; i < workload.groups.size(); ++i) {
        const auto& group = workload.groups[i];
        auto path = "groups." + std::to_string(i);
        if (group.ack_wait.enabled()) {
            problems.add(path + ".ack_wait", "not on a cluster yet (WAIT acts on one node)");
        }
        if (group.consumer) {
            problems.add(path + ".consumer",
                         "external consumers are given one node's address, not a cluster's");
        }
    }
}

void check_for_agents(const Workload& workload, int agents, Problems& problems) {
    auto count = std::to_string(agents);
    if (workload.producers.count < agents) {
        problems.add("producers.count", std::to_string(workload.producers.count) +
                                            " producers cannot be shared by " + count +
                                            " agents (each runs at least one)");
    }
    // Every producer gets an order at least, so no agent's share is 0 (which reads as
    // "unlimited").
    if (workload.producers.orders > 0 && workload.producers.orders < workload.producers.count) {
        problems.add("producers.orders", "fewer orders than producers.count (" +
                                             std::to_string(workload.producers.count) +
                                             "), shared by " + count + " agents");
    }
    for (std::size_t i = 0; i < workload.groups.size(); ++i) {
        if (workload.groups[i].effect_store == EffectStore::separate) {
            problems.add("groups." + std::to_string(i) + ".effect_store",
                         "separate starts an embedded effect store per harness: agents would "
                         "each have their own, and merge could read none");
        }
    }
    if (workload.producers.mode == RateMode::max) {
        problems.add("producers.rate",
                     "0 (max-rate) has one rate controller per process, and agents would each "
                     "run one: give agents a fixed rate");
    }
    for (std::size_t i = 0; i < workload.chaos.events.size(); ++i) {
        // "group/K": consumer instance K, which runs on agent ((K - 1) % N) + 1.
        const auto& target = workload.chaos.events[i].target;
        auto slash = target.find('/');
        if (slash == std::string::npos) continue;
        auto instance = target.substr(slash + 1);
        if (instance.empty() || instance.size() > 9 ||
            instance.find_first_not_of("0123456789") != std::string::npos) {
            continue;
        }
        if ((std::stoll(instance) - 1) % agents != 0) {
            problems.add("chaos.events." + std::to_string(i) + ".target",
                         "'" + target + "' runs on agent " +
                             std::to_string((std::stoll(instance) - 1) % agents + 1) + "/" + count +
                             ", and faults act on agent 1's consumers");
        }
    }
}

void check_for_replicas(const Workload& workload, bool through_sentinel, Problems& problems) {
    if (through_sentinel && workload.stream.shards > 1) {
        problems.add("stream.shards",
                     "a change of primary is judged on one stream: use stream.shards 1");
    }
    if (workload.stream.retention.mode != RetentionMode::off) {
        problems.add("stream.retention.mode",
                     "trims entries, and with replicas a lost write is found as an acknowledged "
                     "order missing from the stream");
    }
    for (std::size_t i = 0; i < workload.groups.size(); ++i) {
        const auto& group = workload.groups[i];
        auto path = "groups." + std::to_string(i);
        if (group.dead_letter.delete_entry) {
            problems.add(path + ".dead_letter.delete",
                         "deletes entries, and with replicas a lost write is found as an "
                         "acknowledged order missing from the stream");
        }
        if (group.consumer && through_sentinel) {
            problems.add(path + ".consumer",
                         "external consumers are not given a Sentinel address yet: use "
                         "built-in groups with topology.sentinels");
        }
    }
}

void check_consistency(const Workload& workload, Problems& problems) {
    std::set<std::string> names;
    check_groups(workload, names, problems);
    check_events(workload, names, problems);
    if (workload.stream.name.find_first_of(":{} ") != std::string::npos) {
        problems.add("stream.name", "must not contain ':', '{', '}' or spaces");
    }
    if (!workload.stream.key.empty() && workload.stream.retention.mode != RetentionMode::off) {
        problems.add("stream.retention.mode",
                     "trims the stream, and a stream named by stream.key may hold entries this "
                     "run did not create: retention works on the run's own stream only");
    }
    if (workload.producers.orders == 0 && workload.duration_s <= 0) {
        problems.add("duration_s", "must be > 0 unless producers.orders limits the run");
    }
    check_drain(workload, problems);
    check_external(workload, problems);
    check_replication(workload, problems);
    check_effect_stores(workload, problems);
    check_shards(workload, problems);
    check_cluster(workload, problems);
}

}  // namespace sh::workload
