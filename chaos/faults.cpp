// What each fault kind does to its targets (the controller decides when and to whom).
#include <signal.h>

#include <algorithm>
#include <sstream>
#include <thread>

#include "chaos/controller.hpp"
#include "harness/measure/clock.hpp"
#include "harness/redis/streams.hpp"

namespace sh::chaos {

namespace {

constexpr std::int64_t ns_per_ms = 1'000'000;
constexpr std::int64_t stop_grace_ns = 10'000 * ns_per_ms;
constexpr auto relaxed = std::memory_order_relaxed;

}  // namespace

std::size_t index_of(const run::Fleet& fleet, const run::Worker& worker) {
    return static_cast<std::size_t>(&worker - fleet.workers().data());
}

void ChaosController::kill_worker(run::RunControl& control, std::size_t index,
                                  const workload::FaultEvent& event, double at_s, bool aimed) {
    const auto& worker = control.fleet.workers()[index];
    const auto& slot = control.fleet.slot(index);
    auto pending = pending_of(control, worker);
    run::EventFacts facts;
    facts.pending = static_cast<std::int64_t>(pending.size());
    if (!worker.external) {
        facts.in_flight = slot.state.in_flight.load(relaxed);
        facts.window = window_of(control.fleet, index);
        facts.applied_unacked = slot.state.applied_unacked.load(relaxed);
        facts.acked_unapplied = slot.state.acked_unapplied.load(relaxed);
    }
    if (aimed) facts.aimed = true;
    control.fleet.kill(index);
    // Read again once it is dead: it may have read a batch since the first look. What it held
    // is what the kill may have applied and left to be delivered again: a duplicate of one of
    // these orders is one the kill explains.
    pending.merge(pending_of(control, worker));
    auto& held = control.result.held_at_hard_kills[worker.group];
    for (auto seq : ordernos_of(control, pending)) held.push_back(seq);
    auto event_index = record(control, at_s, "kill", worker.name, std::move(facts));
    restart_worker(control, index, event.restart, control.result.events[event_index]);
    watch(event_index, worker, pending);
}

bool ChaosController::kill(run::RunControl& control, const workload::FaultEvent& event,
                           double at_s) {
    auto& fleet = control.fleet;
    const auto& workers = fleet.workers();
    // Only a worker in the middle of a batch (entries read, not yet finished) that holds entries
    // pending. The pending list alone cannot tell: with the seed's shared consumer name it holds
    // the other instance's batch too. In the `before` mode nothing is pending: the batch is
    // acknowledged on receipt.
    // An external consumer publishes nothing: its pending list is all there is to go by.
    auto holding = [&](const run::Worker& worker) {
        if (worker.external) return !pending_of(control, worker).empty();
        if (fleet.slot_of(worker).state.in_flight.load(relaxed) == 0) return false;
        return control.workload.groups[worker.group_index].ack == workload::AckMode::before ||
               !pending_of(control, worker).empty();
    };
    auto targets = select_targets(
        event.target, workers,
        [&](const run::Worker& worker) {
            return fleet.usable(index_of(fleet, worker)) && holding(worker);
        },
        rng_);
    bool killed_any = false;
    for (auto index : targets) {
        // Freeze it, let Redis finish what it already sent, and check again: what it holds now
        // is exactly what the kill orphans.
        fleet.freeze(index);
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
        if (!holding(workers[index])) {
            fleet.thaw(index);
            continue;
        }
        kill_worker(control, index, event, at_s, false);
        killed_any = true;
    }
    return killed_any;
}

void ChaosController::pause_worker(run::RunControl& control, std::size_t index,
                                   const workload::FaultEvent& event, double at_s, bool aimed) {
    const auto& worker = control.fleet.workers()[index];
    auto pending = pending_of(control, worker);
    // An aimed pause finds the worker stopped already, where it parked itself.
    if (aimed) {
        control.fleet.hold(index);
    } else {
        control.fleet.pause(index);
    }
    paused_.push_back({index, measure::monotonic_ns() + event.duration_ms * ns_per_ms});
    run::EventFacts facts;
    facts.pending = static_cast<std::int64_t>(pending.size());
    facts.duration_ms = event.duration_ms;
    facts.window = window_of(control.fleet, index);
    if (aimed) facts.aimed = true;
    auto event_index = record(control, at_s, "pause", worker.name, std::move(facts));
    watch(event_index, worker, pending);
}

bool ChaosController::pause(run::RunControl& control, const workload::FaultEvent& event,
                            double at_s) {
    const auto& fleet = control.fleet;
    auto targets = select_targets(
        event.target, fleet.workers(),
        [&](const run::Worker& worker) {
            return fleet.usable(index_of(fleet, worker)) && !pending_of(control, worker).empty();
        },
        rng_);
    for (auto index : targets) pause_worker(control, index, event, at_s, false);
    return !targets.empty();
}

std::vector<std::size_t> ChaosController::usable_targets(run::RunControl& control,
                                                         const workload::FaultEvent& event) {
    const auto& fleet = control.fleet;
    return select_targets(
        event.target, fleet.workers(),
        [&](const run::Worker& worker) { return fleet.usable(index_of(fleet, worker)); }, rng_);
}

bool ChaosController::disconnect(run::RunControl& control, const workload::FaultEvent& event,
                                 double at_s) {
    const auto& workers = control.fleet.workers();
    auto targets = usable_targets(control, event);
    auto clients = redis::client_list(control.redis);
    bool landed = false;
    for (auto index : targets) {
        auto& worker = workers[index];
        int killed = 0;
        for (const auto& client : control.fleet.clients_of(index, clients)) {
            auto reply = control.redis.command({"CLIENT", "KILL", "ID", client.id});
            killed += static_cast<int>(redis::ReplyView(reply.get()).integer());
        }
        // A consumer caught between connections had nothing to cut: that is no disconnect.
        if (killed == 0) continue;
        landed = true;
        run::EventFacts facts;
        facts.connections_killed = killed;
        facts.pending = static_cast<std::int64_t>(pending_of(control, worker).size());
        facts.window = window_of(control.fleet, index);
        record(control, at_s, "disconnect", worker.name, std::move(facts));
    }
    return landed;
}

bool ChaosController::stop(run::RunControl& control, const workload::FaultEvent& event,
                           double at_s) {
    const auto& workers = control.fleet.workers();
    auto targets = usable_targets(control, event);
    auto now = measure::monotonic_ns();
    for (auto index : targets) {
        const auto& worker = workers[index];
        auto pending = pending_of(control, worker);
        control.fleet.stop(index);
        run::EventFacts facts;
        facts.pending_before = static_cast<std::int64_t>(pending.size());
        facts.window = window_of(control.fleet, index);
        auto event_index = record(control, at_s, "stop", worker.name, std::move(facts));
        // An external consumer has the time its workload gives it to finish its batch.
        const auto& consumer = control.workload.groups[worker.group_index].consumer;
        auto grace_ns =
            consumer ? static_cast<std::int64_t>(consumer->stop_timeout_s * 1e9) : stop_grace_ns;
        stopping_.push_back({index, event.restart, event_index, now + grace_ns});
    }
    return !targets.empty();
}

bool ChaosController::slow(run::RunControl& control, const workload::FaultEvent& event,
                           double at_s) {
    const auto& workers = control.fleet.workers();
    auto targets = usable_targets(control, event);
    auto now = measure::monotonic_ns();
    for (auto index : targets) {
        const auto& worker = workers[index];
        control.fleet.control(index).service_override_us.store(event.service_us, relaxed);
        slowed_.push_back({index, now + event.duration_ms * ns_per_ms});
        run::EventFacts facts;
        facts.service_us = event.service_us;
        facts.duration_ms = event.duration_ms;
        facts.pending = static_cast<std::int64_t>(pending_of(control, worker).size());
        facts.window = window_of(control.fleet, index);
        record(control, at_s, "slow", worker.name, std::move(facts));
    }
    return !targets.empty();
}

void ChaosController::restart_redis(run::RunControl& control, const workload::FaultEvent& event,
                                    double at_s) {
    auto started = measure::monotonic_ns();
    // The watermark is read while no server runs: every order numbered below it was claimed
    // before the old server died, and producers drop what they claimed when their connection
    // breaks, so every order the new server sees is numbered at or above it.
    control.embedded->restart(event.hard, [&] {
        control.result.restart_watermarks.push_back(control.orders_allocated());
    });
    control.redis.reconnect({});
    // Without persistence the groups are gone. The built-in workers create theirs again on
    // NOGROUP; an external consumer is told the harness owns its group, so the harness does.
    for (const auto& group : control.workload.groups) {
        if (!group.consumer) continue;
        redis::create_group(control.redis, control.shards.front().stream(), group.name,
                            control.result.environment.group_start_id);
    }
    auto took_ms = (measure::monotonic_ns() - started) / ns_per_ms;
    run::EventFacts facts;
    facts.hard = event.hard;
    facts.persistence = std::string(redis::to_string(control.workload.persistence));
    facts.restart_ms = took_ms;
    facts.order_watermark = control.result.restart_watermarks.back();
    record(control, at_s, "redis-restart", "redis", std::move(facts));
    // What consumers held before a restart may be gone with the server: stop tracking it.
    recoveries_.clear();
}

}  // namespace sh::chaos
