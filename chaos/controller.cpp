#include "chaos/controller.hpp"

#include <signal.h>

#include <algorithm>
#include <thread>

#include "harness/errors.hpp"
#include "harness/measure/clock.hpp"
#include "harness/measure/percentile.hpp"
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

std::string window_of(const measure::ConsumerSlot& slot) {
    auto window = model::window_from_int(slot.state.window.load(std::memory_order_relaxed));
    return window ? std::string(model::to_string(*window)) : "unknown";
}

void ChaosController::check(const workload::Workload& workload, bool embedded_redis) {
    for (std::size_t i = 0; i < workload.chaos.events.size(); ++i) {
        if (workload.chaos.events[i].fault == workload::FaultKind::redis_restart &&
            !embedded_redis) {
            throw WorkloadError({"chaos.events." + std::to_string(i) +
                                 ".fault: redis-restart restarts the embedded redis-server only; "
                                 "streamharness never restarts a server it did not start"});
        }
    }
}

std::size_t ChaosController::record(run::RunControl& control, double at_s, const std::string& kind,
                                    const std::string& target, nlohmann::json data) {
    control.result.events.push_back({at_s, kind, target, "", std::move(data)});
    return control.result.events.size() - 1;
}

std::set<std::string> ChaosController::pending_of(run::RunControl& control,
                                                  const run::Worker& worker) {
    std::set<std::string> ids;
    for (const auto& entry : redis::xpending(control.redis, control.keys.stream(), worker.group, 0,
                                             100000, worker.name)) {
        ids.insert(entry.id);
    }
    return ids;
}

void ChaosController::watch(std::size_t event_index, const run::Worker& worker,
                            std::set<std::string> ids) {
    if (ids.empty()) return;
    recoveries_.push_back({event_index, worker.group, std::move(ids), measure::monotonic_ns()});
}

void ChaosController::restart_worker(run::RunControl& control, std::size_t index,
                                     workload::RestartPolicy restart, run::TimelineEvent& event) {
    auto name = control.fleet.release(index, restart);
    event.data["restarted_as"] = name ? nlohmann::json(*name) : nlohmann::json(nullptr);
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
    }
    if (landed) ++tallies_[fault.event].landed;
    return landed ? Outcome::landed : Outcome::no_target;
}

void ChaosController::give_up(run::RunControl& control, const ScheduledFault& fault,
                              const std::string& why) {
    const auto& event = control.workload.chaos.events[fault.event];
    ++tallies_[fault.event].skipped;
    record(control, fault.at_s, workload::to_string(event.fault), event.target, {{"skipped", why}});
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
            event.data["timed_out"] = true;
        }
        event.data["exit"] = os::describe_wait_status(*status);
        // A clean stop acknowledged its batch: nothing of it may be delivered again.
        event.data["pending_after"] = pending_of(control, worker).size();
        restart_worker(control, stopping.worker, stopping.restart, event);
        return true;
    });
}

void ChaosController::track_recoveries(run::RunControl& control, std::int64_t now_ns) {
    std::erase_if(recoveries_, [&](Recovery& recovery) {
        auto reply =
            control.redis.command({"XPENDING", control.keys.stream(), recovery.group,
                                   *recovery.ids.begin(), *recovery.ids.rbegin(), "100000"});
        redis::ReplyView entries(reply.get());
        std::set<std::string> still;
        for (std::size_t i = 0; i < entries.size(); ++i) {
            std::string id(entries.element(i).element(0).text());
            if (recovery.ids.count(id) > 0) still.insert(id);
        }
        if (!still.empty()) {
            recovery.ids = std::move(still);
            return false;
        }
        auto ms = static_cast<double>(now_ns - recovery.since_ns) / 1e6;
        control.result.events[recovery.event_index].data["recovery_ms"] = ms;
        recovery_ms_.push_back(ms);
        return true;
    });
}

void ChaosController::tick(run::RunControl& control, bool producing) {
    auto now = measure::monotonic_ns();
    if (!scheduled_) {
        schedule_ = expand_schedule(control.workload.chaos, control.workload.duration_s);
        rng_.seed(control.workload.chaos.seed);
        control.result.chaos["schedule"] = schedule_to_json(schedule_, control.workload.chaos);
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
                give_up(control, deferred.fault, "no eligible target held entries within 2 s");
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
    auto now = measure::monotonic_ns();
    serve_aimed(control, now, true);
    end_timed_faults(control, now, true);
    finish_stops(control, now, true);
    track_recoveries(control, measure::monotonic_ns());
    for (const auto& recovery : recoveries_) {
        control.result.events[recovery.event_index].data["unrecovered"] = recovery.ids.size();
    }
    nlohmann::json counts = nlohmann::json::object();
    std::size_t kills_with_pending = 0;
    for (const auto& event : control.result.events) {
        // Only the faults themselves: a worker that died by itself is not one.
        if (event.data.contains("skipped") || event.kind == "worker-exit") continue;
        counts[event.kind] = counts.value(event.kind, 0) + 1;
        if (event.kind == "kill" && event.data.value("pending", 0) > 0) ++kills_with_pending;
    }
    // Per event, and summed per kind for people; the gates judge each event.
    nlohmann::json landing = nlohmann::json::object();
    nlohmann::json per_event = nlohmann::json::array();
    for (std::size_t i = 0; i < tallies_.size(); ++i) {
        const auto& tally = tallies_[i];
        const auto& event = control.workload.chaos.events[i];
        std::string kind = workload::to_string(event.fault);
        // Faults due after the producers stopped never came due.
        auto not_reached =
            tally.scheduled - std::min(tally.scheduled, tally.landed + tally.skipped);
        nlohmann::json counts_of_event = {{"scheduled", tally.scheduled},
                                          {"landed", tally.landed},
                                          {"skipped", tally.skipped},
                                          {"not_reached", not_reached}};
        per_event.push_back(counts_of_event);
        per_event.back()["event"] = i;
        per_event.back()["fault"] = kind;
        per_event.back()["target"] = event.target;
        auto& sum = landing[kind];
        if (sum.is_null()) sum = nlohmann::json::object();
        for (const auto& [name, value] : counts_of_event.items()) {
            sum[name] = sum.value(name, 0) + value.get<std::uint64_t>();
        }
        control.result.faults.push_back({i, kind, tally.scheduled, tally.landed, tally.skipped});
    }
    control.result.chaos["summary"] = {
        {"faults", counts},
        {"landing", landing},
        {"landing_per_event", per_event},
        {"kills_with_pending", kills_with_pending},
        {"recovered", recovery_ms_.size()},
        {"unrecovered", recoveries_.size()},
        {"recovery_ms",
         {{"p50", percentile(recovery_ms_, 50)}, {"max", percentile(recovery_ms_, 100)}}}};
}

}  // namespace sh::chaos
