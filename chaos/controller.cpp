#include "chaos/controller.hpp"

#include <signal.h>

#include <algorithm>
#include <thread>

#include "harness/errors.hpp"
#include "harness/measure/clock.hpp"
#include "harness/measure/percentile.hpp"
#include "harness/model/order.hpp"
#include "harness/redis/streams.hpp"

namespace sh::chaos {

namespace {

constexpr std::int64_t ns_per_ms = 1'000'000;
// A due fault whose target holds nothing (or, aimed at a window, never enters it) waits this
// long, then is skipped.
constexpr std::int64_t defer_ns = 2'000 * ns_per_ms;

double elapsed_s(const run::RunControl& control, std::int64_t now_ns) {
    return static_cast<double>(now_ns - control.start_ns) / 1e9;
}

using measure::percentile;

}  // namespace

std::optional<std::string> window_of(const run::Fleet& fleet, std::size_t worker) {
    if (fleet.workers()[worker].external) return std::nullopt;
    const auto& slot = fleet.slot(worker);
    // Where it parked itself, when it did: another loop of the process (several shards) may
    // have published a window of its own since.
    auto parked = slot.state.parked.load();
    auto window = model::window_from_int(
        parked >= 0 ? parked : slot.state.window.load(std::memory_order_relaxed));
    return window ? std::string(model::to_string(*window)) : "unknown";
}

void ChaosController::check(const workload::Workload& workload, bool embedded_redis) {
    for (std::size_t i = 0; i < workload.chaos.events.size(); ++i) {
        auto fault = workload.chaos.events[i].fault;
        bool on_servers =
            fault == workload::FaultKind::redis_restart || workload::changes_primary(fault) ||
            fault == workload::FaultKind::replica_stall || workload::on_cluster(fault);
        if (on_servers && !embedded_redis) {
            throw WorkloadError({"chaos.events." + std::to_string(i) +
                                 ".fault: " + workload::to_string(fault) +
                                 " acts on the embedded servers only; streamharness never "
                                 "kills, stops or fails over a server it did not start"});
        }
    }
}

std::size_t ChaosController::record(run::RunControl& control, double at_s, const std::string& kind,
                                    const std::string& target, run::EventFacts facts) {
    control.result.events.push_back({at_s, kind, target, "", std::move(facts)});
    return control.result.events.size() - 1;
}

ChaosController::PendingIds ChaosController::pending_of(run::RunControl& control,
                                                        const run::Worker& worker) {
    PendingIds ids;
    for (const auto* keys : control.keys_of(worker)) {
        const auto& stream = keys->stream();
        std::vector<std::string> names{worker.name};
        // An external consumer may read under a name of its own (the seed's shared one): what
        // is pending under a name the fleet never handed out may be any of the group's.
        if (worker.external) {
            for (const auto& consumer :
                 redis::xinfo_consumers(control.redis, stream, worker.group)) {
                if (consumer.pending > 0 && !control.fleet.assigned(consumer.name)) {
                    names.push_back(consumer.name);
                }
            }
        }
        for (const auto& name : names) {
            for (const auto& entry :
                 redis::xpending(control.redis, stream, worker.group, 0, 100000, name)) {
                ids.emplace(stream, entry.id);
            }
        }
    }
    return ids;
}

std::vector<std::uint64_t> ChaosController::ordernos_of(run::RunControl& control,
                                                        const PendingIds& ids) {
    const auto& stamp = control.shards.front().stamp();
    std::vector<std::uint64_t> ordernos;
    for (const auto& [stream, id] : ids) {
        auto reply = control.redis.command({"XRANGE", stream, id, id});
        for (const auto& entry : redis::parse_entries(redis::ReplyView(reply.get()))) {
            if (!model::stamped_by(entry.fields, stamp)) continue;
            if (auto order = model::decode_order(entry.fields)) ordernos.push_back(order->seq);
        }
    }
    return ordernos;
}

void ChaosController::watch(std::size_t event_index, const run::Worker& worker,
                            const PendingIds& ids) {
    if (ids.empty()) return;
    std::map<std::string, std::set<std::string>> by_stream;
    for (const auto& [stream, id] : ids) by_stream[stream].insert(id);
    recoveries_.push_back(
        {event_index, worker.group, std::move(by_stream), measure::monotonic_ns()});
}

void ChaosController::restart_worker(run::RunControl& control, std::size_t index,
                                     workload::RestartPolicy restart, run::TimelineEvent& event) {
    auto name = control.fleet.release(index, restart);
    event.facts.restarted_as = name;
}

ChaosController::Outcome ChaosController::run_fault(run::RunControl& control,
                                                    const ScheduledFault& fault) {
    const auto& event = control.workload.chaos.events[fault.event];
    if (event.window) return arm(control, fault) ? Outcome::armed : Outcome::no_target;
    bool landed = true;
    switch (event.fault) {
        case workload::FaultKind::kill:
            landed = kill(control, event, fault.at_s);
            break;
        case workload::FaultKind::pause:
            landed = pause(control, event, fault.at_s);
            break;
        case workload::FaultKind::disconnect:
            landed = disconnect(control, event, fault.at_s);
            break;
        case workload::FaultKind::stop:
            landed = stop(control, event, fault.at_s);
            break;
        case workload::FaultKind::slow:
            landed = slow(control, event, fault.at_s);
            break;
        case workload::FaultKind::redis_restart:
            restart_redis(control, event, fault.at_s);
            break;
        case workload::FaultKind::failover:
            landed = failover(control, event, fault.at_s);
            break;
        case workload::FaultKind::primary_kill:
            landed = primary_kill(control, event, fault.at_s);
            break;
        case workload::FaultKind::replica_stall:
            landed = replica_stall(control, event, fault.at_s);
            break;
        case workload::FaultKind::cluster_failover:
        case workload::FaultKind::slot_migration:
        case workload::FaultKind::node_kill: {
            auto outcome = run_cluster_fault(control, fault);
            if (outcome == Outcome::landed) ++tallies_[fault.event].landed;
            return outcome;
        }
    }
    if (landed) ++tallies_[fault.event].landed;
    return landed ? Outcome::landed : Outcome::no_target;
}

void ChaosController::give_up(run::RunControl& control, const ScheduledFault& fault,
                              const std::string& why) {
    const auto& event = control.workload.chaos.events[fault.event];
    ++tallies_[fault.event].skipped;
    run::EventFacts facts;
    facts.skipped = why;
    record(control, fault.at_s, workload::to_string(event.fault), event.target, std::move(facts));
}

void ChaosController::end_timed_faults(run::RunControl& control, std::int64_t now_ns, bool all) {
    std::erase_if(paused_, [&](const Timed& pause) {
        if (!all && pause.until_ns > now_ns) return false;
        control.fleet.resume(pause.worker);
        return true;
    });
    std::erase_if(slowed_, [&](const Timed& slow) {
        if (!all && slow.until_ns > now_ns) return false;
        control.fleet.control(slow.worker).service_override_us.store(-1, std::memory_order_relaxed);
        return true;
    });
}

void ChaosController::finish_stops(run::RunControl& control, std::int64_t now_ns, bool wait_all) {
    auto& fleet = control.fleet;
    std::erase_if(stopping_, [&](const Stopping& stopping) {
        const auto& worker = fleet.workers()[stopping.worker];
        auto& event = control.result.events[stopping.event_index];
        auto status = fleet.poll(stopping.worker);
        while (!status && wait_all && measure::monotonic_ns() < stopping.deadline_ns) {
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
            status = fleet.poll(stopping.worker);
        }
        if (!status) {
            if (now_ns < stopping.deadline_ns && !wait_all) return false;
            status = fleet.force_exit(stopping.worker);
            event.facts.timed_out = true;
        }
        event.facts.exit = os::describe_wait_status(*status);
        // A clean stop acknowledged its batch: nothing of it may be delivered again.
        event.facts.pending_after = static_cast<std::int64_t>(pending_of(control, worker).size());
        restart_worker(control, stopping.worker, stopping.restart, event);
        return true;
    });
}

void ChaosController::track_recoveries(run::RunControl& control, std::int64_t now_ns) {
    std::erase_if(recoveries_, [&](Recovery& recovery) {
        for (auto it = recovery.ids.begin(); it != recovery.ids.end();) {
            auto& [stream, ids] = *it;
            // The whole pending list: IDs in text order ("...-10" < "...-9") are no range.
            auto reply =
                control.redis.command({"XPENDING", stream, recovery.group, "-", "+", "100000"});
            redis::ReplyView entries(reply.get());
            std::set<std::string> still;
            for (std::size_t i = 0; i < entries.size(); ++i) {
                std::string id(entries.element(i).element(0).text());
                if (ids.count(id) > 0) still.insert(id);
            }
            ids = std::move(still);
            it = ids.empty() ? recovery.ids.erase(it) : std::next(it);
        }
        if (!recovery.ids.empty()) return false;
        auto ms = static_cast<double>(now_ns - recovery.since_ns) / 1e6;
        control.result.events[recovery.event_index].facts.recovery_ms = ms;
        recovery_ms_.push_back(ms);
        return true;
    });
}

void ChaosController::tick(run::RunControl& control, bool producing) {
    auto now = measure::monotonic_ns();
    if (!scheduled_) {
        schedule_ = expand_schedule(control.workload.chaos, control.workload.duration_s);
        rng_.seed(control.workload.chaos.seed);
        control.result.chaos.emplace();
        for (const auto& fault : schedule_) {
            const auto& event = control.workload.chaos.events[fault.event];
            control.result.chaos->schedule.push_back(
                {fault.at_s, workload::to_string(event.fault), event.target});
        }
        tallies_.assign(control.workload.chaos.events.size(), {});
        for (const auto& fault : schedule_) ++tallies_[fault.event].scheduled;
        scheduled_ = true;
    }
    try {
        if (producing) {
            auto at = elapsed_s(control, now);
            for (; next_ < schedule_.size() && schedule_[next_].at_s <= at; ++next_) {
                if (run_fault(control, schedule_[next_]) == Outcome::no_target) {
                    deferred_.push_back({schedule_[next_], now + defer_ns});
                }
            }
            std::erase_if(deferred_, [&](const Deferred& deferred) {
                if (run_fault(control, deferred.fault) != Outcome::no_target) return true;
                if (now < deferred.give_up_ns) return false;
                const auto& kind = control.workload.chaos.events[deferred.fault.event].fault;
                give_up(control, deferred.fault,
                        workload::changes_primary(kind)
                            ? "another change of primary was still under way after 2 s"
                        : workload::on_cluster(kind)
                            ? "another cluster fault was still under way, or the shard's primary "
                              "had no replica to promote, after 2 s"
                        : kind == workload::FaultKind::replica_stall
                            ? "no running replica to stall within 2 s"
                            : "no eligible target held entries within 2 s");
                return true;
            });
        } else {
            for (const auto& deferred : deferred_) {
                give_up(control, deferred.fault, "the producers stopped before it found a target");
            }
            deferred_.clear();
        }
        serve_aimed(control, now, !producing);
        end_timed_faults(control, now, !producing);
        finish_stops(control, now, false);
        serve_primary_changes(control, now);
        if (control.cluster != nullptr) serve_cluster_fault(control, now, false);
        track_recoveries(control, now);
    } catch (const RedisIoError&) {
        // Redis is restarting or unreachable for a moment: reconnect and carry on next tick.
        control.redis.reconnect({});
    } catch (const RedisReplyError& error) {
        // NOGROUP/no such key after a restart without persistence: what was held is gone.
        if (error.redis_message().rfind("NOGROUP", 0) != 0 &&
            error.redis_message().find("no such key") == std::string::npos) {
            throw;
        }
        recoveries_.clear();
    }
}

void ChaosController::finish(run::RunControl& control) {
    if (control.topology != nullptr) finish_server_faults(control);
    if (control.cluster != nullptr) finish_cluster_faults(control);
    auto now = measure::monotonic_ns();
    serve_aimed(control, now, true);
    end_timed_faults(control, now, true);
    finish_stops(control, now, true);
    track_recoveries(control, measure::monotonic_ns());
    for (const auto& recovery : recoveries_) {
        std::uint64_t unrecovered = 0;
        for (const auto& [stream, ids] : recovery.ids) unrecovered += ids.size();
        control.result.events[recovery.event_index].facts.unrecovered = unrecovered;
    }
    auto& outcome = control.result.chaos ? *control.result.chaos : control.result.chaos.emplace();
    for (const auto& event : control.result.events) {
        // Only the faults themselves: a worker that died by itself is not one.
        if (event.facts.skipped || event.kind == "worker-exit") continue;
        ++outcome.faults[event.kind];
        if (event.kind == "kill" && event.facts.pending.value_or(0) > 0) {
            ++outcome.kills_with_pending;
        }
    }
    for (std::size_t i = 0; i < tallies_.size(); ++i) {
        const auto& tally = tallies_[i];
        const auto& event = control.workload.chaos.events[i];
        control.result.faults.push_back({i, workload::to_string(event.fault), tally.scheduled,
                                         tally.landed, tally.skipped, event.target});
    }
    outcome.recovered = recovery_ms_.size();
    outcome.unrecovered = recoveries_.size();
    outcome.recovery_p50_ms = percentile(recovery_ms_, 50);
    outcome.recovery_max_ms = percentile(recovery_ms_, 100);
}

}  // namespace sh::chaos
