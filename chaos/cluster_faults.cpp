// Faults on an embedded Redis Cluster (DESIGN §11), each aimed at one shard: the slot its keys
// hash to is migrated to another primary, its primary fails over to its replica, or its primary
// is SIGKILLed. What takes long is followed tick by tick, never blocking the supervisor for it:
// a migration stays open for duration_ms (clients meet ASK and TRYAGAIN meanwhile), a killed
// primary waits for its replica's election (node timeout and vote) or for duration_ms, then is
// started again and followed until the cluster is ok. Only CLUSTER FAILOVER is waited for in
// place: the nodes agree within 50-150 ms.
#include <thread>

#include "chaos/controller.hpp"
#include "harness/errors.hpp"
#include "harness/measure/clock.hpp"
#include "harness/redis/cluster_slots.hpp"
#include "harness/workload/replication_json.hpp"

namespace sh::chaos {

namespace {

constexpr std::int64_t ns_per_ms = 1'000'000;
// CLUSTER FAILOVER waits until every node agrees (50-150 ms graceful on 7.0): longer is a
// failover that did not happen.
constexpr std::chrono::milliseconds failover_timeout{5000};
// A killed primary whose replica is not elected within this is reported without a new primary.
constexpr std::int64_t promotion_timeout_ns = 60'000 * ns_per_ms;
// A restarted node the cluster has not taken back within this is noted on its event.
constexpr std::int64_t rejoin_timeout_ns = 60'000 * ns_per_ms;

redis::EmbeddedCluster::FailoverMode failover_mode(workload::ClusterFailoverMode mode) {
    switch (mode) {
        case workload::ClusterFailoverMode::force:
            return redis::EmbeddedCluster::FailoverMode::force;
        case workload::ClusterFailoverMode::takeover:
            return redis::EmbeddedCluster::FailoverMode::takeover;
        case workload::ClusterFailoverMode::graceful:
            break;
    }
    return redis::EmbeddedCluster::FailoverMode::graceful;
}

std::size_t target_shard(const run::RunControl& control, const workload::FaultEvent& event,
                         std::size_t next_shard) {
    // The workload checks allow "*/any" and "shard/<n>" only.
    if (event.target == "*/any") return next_shard % control.shards.size();
    return static_cast<std::size_t>(std::stoul(event.target.substr(6)));
}

// The shard a fault aims at, its slot and the slot's primary as the cluster sees it now.
struct Aim {
    std::size_t shard;
    int slot;
    std::vector<redis::ClusterNode> nodes;
    redis::ClusterNode owner;
};

Aim aim_at(run::RunControl& control, std::size_t shard) {
    auto slot = redis::key_slot(control.shards[shard].stream());
    auto nodes = control.cluster->nodes();
    const auto* owner = redis::owner_of_slot(nodes, slot);
    if (owner == nullptr) {
        throw EnvironmentError("no primary owns slot " + std::to_string(slot) + " of shard " +
                               std::to_string(shard) + " (" + control.shards[shard].stream() + ")");
    }
    auto copy = *owner;
    return {shard, slot, std::move(nodes), std::move(copy)};
}

// A running replica of the primary that is not flagged failing, or nullptr.
const redis::ClusterNode* replica_of(const Aim& aim) {
    for (const auto& node : aim.nodes) {
        if (!node.primary && node.primary_id == aim.owner.id && !node.failed &&
            node.flags.find("fail") == std::string::npos) {
            return &node;
        }
    }
    return nullptr;
}

// The primary after the owner in port order (wrapping): a stable choice, so that a run's
// migrations are repeatable.
std::string next_primary(const Aim& aim) {
    const redis::ClusterNode* first = nullptr;
    const redis::ClusterNode* next = nullptr;
    for (const auto& node : aim.nodes) {
        if (!node.primary || node.failed || node.id == aim.owner.id) continue;
        if (first == nullptr || node.port < first->port) first = &node;
        if (node.port > aim.owner.port && (next == nullptr || node.port < next->port)) next = &node;
    }
    if (next == nullptr) next = first;
    return next ? next->host_port() : "";
}

run::EventFacts shard_facts(const Aim& aim) {
    run::EventFacts facts;
    facts.shard = static_cast<std::int64_t>(aim.shard);
    facts.slot = aim.slot;
    return facts;
}

std::int64_t ms_since(std::int64_t since_ns, std::int64_t now_ns) {
    return (now_ns - since_ns) / ns_per_ms;
}

}  // namespace

ChaosController::Outcome ChaosController::run_cluster_fault(run::RunControl& control,
                                                            const ScheduledFault& fault) {
    if (cluster_fault_) return Outcome::no_target;  // one at a time: they would cross
    const auto& event = control.workload.chaos.events[fault.event];
    Outcome outcome = Outcome::no_target;
    switch (event.fault) {
        case workload::FaultKind::slot_migration:
            outcome = slot_migration(control, fault);
            break;
        case workload::FaultKind::cluster_failover:
            outcome = cluster_failover(control, fault);
            break;
        case workload::FaultKind::node_kill:
            outcome = node_kill(control, fault);
            break;
        default:
            throw std::logic_error(std::string(workload::to_string(event.fault)) +
                                   " is not a cluster fault");
    }
    // "*/any" moves on to the next shard once a fault has been tried on this one.
    if (outcome != Outcome::no_target && event.target == "*/any") ++next_shard_;
    return outcome;
}

ChaosController::Outcome ChaosController::slot_migration(run::RunControl& control,
                                                         const ScheduledFault& fault) {
    const auto& event = control.workload.chaos.events[fault.event];
    auto& cluster = *control.cluster;
    auto aim = aim_at(control, target_shard(control, event, next_shard_));
    auto target = next_primary(aim);
    if (target.empty()) return Outcome::no_target;
    auto started = measure::monotonic_ns();
    try {
        cluster.begin_slot_migration(aim.slot, target);
    } catch (const EnvironmentError& error) {
        give_up(control, fault, std::string("slot-migration did not begin: ") + error.what());
        return Outcome::skipped;
    }
    auto facts = shard_facts(aim);
    facts.from = aim.owner.host_port();
    facts.to = target;
    facts.duration_ms = event.duration_ms;
    try {
        facts.keys_moved = cluster.migrate_slot_keys(aim.slot);
    } catch (const EnvironmentError& error) {
        // Half the slot's keys may be on either node: no run can be judged from here.
        throw EnvironmentError("slot-migration of slot " + std::to_string(aim.slot) + " (shard " +
                               std::to_string(aim.shard) + ") from " + aim.owner.host_port() +
                               " to " + target + ": " + error.what());
    }
    auto index = record(control, fault.at_s, "slot-migration", event.target, std::move(facts));
    cluster_fault_ = ClusterFaultUnderWay{
        event.fault, index, fault.event, aim.slot,
        "",          false, started,     started + event.duration_ms * ns_per_ms,
        false};
    return Outcome::landed;
}

ChaosController::Outcome ChaosController::cluster_failover(run::RunControl& control,
                                                           const ScheduledFault& fault) {
    const auto& event = control.workload.chaos.events[fault.event];
    auto aim = aim_at(control, target_shard(control, event, next_shard_));
    const auto* replica = replica_of(aim);
    if (replica == nullptr) return Outcome::no_target;
    auto started = measure::monotonic_ns();
    std::pair<std::string, std::string> change;
    try {
        change = control.cluster->failover(replica->host_port(), failover_mode(event.mode),
                                           failover_timeout);
    } catch (const EnvironmentError& error) {
        give_up(control, fault,
                "shard " + std::to_string(aim.shard) + " (slot " + std::to_string(aim.slot) +
                    "): " + error.what());
        return Outcome::skipped;
    }
    auto facts = shard_facts(aim);
    facts.old_primary = change.first;
    facts.new_primary = change.second;
    facts.mode = workload::name_of(workload::cluster_failover_names, event.mode);
    facts.to_new_primary_ms = ms_since(started, measure::monotonic_ns());
    // The old primary took writes until it handed over, which it has by now.
    facts.order_watermark = control.orders_allocated();
    record(control, fault.at_s, "cluster-failover", event.target, std::move(facts));
    return Outcome::landed;
}

ChaosController::Outcome ChaosController::node_kill(run::RunControl& control,
                                                    const ScheduledFault& fault) {
    const auto& event = control.workload.chaos.events[fault.event];
    auto aim = aim_at(control, target_shard(control, event, next_shard_));
    bool promotes = replica_of(aim) != nullptr;
    auto node = aim.owner.host_port();
    auto started = measure::monotonic_ns();
    control.cluster->kill_node(node);
    auto facts = shard_facts(aim);
    facts.old_primary = node;
    // Read once the node is dead: every order it acknowledged is numbered below this.
    facts.order_watermark = control.orders_allocated();
    if (!promotes) facts.duration_ms = event.duration_ms;
    auto index = record(control, fault.at_s, "node-kill", event.target, std::move(facts));
    auto due = started + (promotes ? promotion_timeout_ns : event.duration_ms * ns_per_ms);
    cluster_fault_ = ClusterFaultUnderWay{event.fault, index,   fault.event, aim.slot, node,
                                          promotes,    started, due,         false};
    return Outcome::landed;
}

void ChaosController::restart_killed_node(run::RunControl& control, run::TimelineEvent& event,
                                          std::int64_t now_ns) {
    auto& fault = *cluster_fault_;
    try {
        // Not waited for here: a node back as a primary refuses writes for 2 s, and the others
        // take seconds more to clear its FAIL flag.
        control.cluster->start_node(fault.node);
    } catch (const EnvironmentError& error) {
        event.detail += std::string(event.detail.empty() ? "" : "; ") + "restart of " + fault.node +
                        ": " + error.what();
        cluster_fault_.reset();
        return;
    }
    fault.restarting = true;
    fault.due_ns = now_ns + rejoin_timeout_ns;
}

void ChaosController::serve_cluster_fault(run::RunControl& control, std::int64_t now_ns,
                                          bool all_now) {
    if (!cluster_fault_) return;
    auto& fault = *cluster_fault_;
    auto& event = control.result.events[fault.event_index];
    auto& cluster = *control.cluster;
    if (fault.kind == workload::FaultKind::slot_migration) {
        if (!all_now && now_ns < fault.due_ns) return;
        try {
            cluster.finish_slot_migration(fault.slot);
        } catch (const EnvironmentError& error) {
            throw EnvironmentError("slot-migration of slot " + std::to_string(fault.slot) +
                                   " did not finish: " + error.what());
        }
        event.facts.migration_ms = ms_since(fault.started_ns, measure::monotonic_ns());
        cluster_fault_.reset();
        return;
    }
    if (!fault.restarting && !fault.promotes) {
        if (all_now || now_ns >= fault.due_ns) restart_killed_node(control, event, now_ns);
        return;
    }
    // Both a replica's election (once the other primaries agree the node failed and vote) and
    // the killed node's rejoin end when every node sees the slots owned by a running node: one
    // look per tick.
    std::string lacking;
    try {
        cluster.wait_until_ok(std::chrono::milliseconds(0));
    } catch (const EnvironmentError& error) {
        lacking = error.what();
    }
    if (!lacking.empty() && now_ns < fault.due_ns) return;
    if (fault.restarting) {
        if (lacking.empty()) {
            event.facts.restart_ms = ms_since(fault.started_ns, now_ns);
        } else {
            event.detail += std::string(event.detail.empty() ? "" : "; ") + fault.node +
                            " restarted, the cluster not ok within 60 s: " + lacking;
        }
        cluster_fault_.reset();
        return;
    }
    if (lacking.empty()) {
        event.facts.to_new_primary_ms = ms_since(fault.started_ns, now_ns);
        auto owner = cluster.primary_for_slot(fault.slot);
        event.facts.new_primary = owner.host + ":" + std::to_string(owner.port);
    } else {
        event.detail = "no replica took over within 60 s: " + lacking;
        // Not a change of primary after all: the event did not land.
        --tallies_[fault.chaos_event].landed;
        ++tallies_[fault.chaos_event].skipped;
    }
    restart_killed_node(control, event, now_ns);
}

void ChaosController::finish_cluster_faults(run::RunControl& control) {
    // A migration still open is finished and a killed node without a replica restarted now;
    // a replica's election and the node's rejoin are waited for (60 s at most each).
    while (cluster_fault_) {
        serve_cluster_fault(
            control, measure::monotonic_ns(),
            cluster_fault_->kind != workload::FaultKind::node_kill || !cluster_fault_->promotes);
        if (cluster_fault_) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
}

}  // namespace sh::chaos
