#include "chaos/controller.hpp"

#include <signal.h>

#include <algorithm>
#include <sstream>
#include <thread>

#include "harness/errors.hpp"
#include "harness/measure/clock.hpp"
#include "harness/measure/percentile.hpp"
#include "harness/redis/streams.hpp"

namespace sh::chaos {

namespace {

constexpr std::int64_t ns_per_ms = 1'000'000;
// A due fault whose target holds nothing waits this long for one that does, then is skipped.
constexpr std::int64_t defer_ns = 2'000 * ns_per_ms;
constexpr std::int64_t stop_grace_ns = 10'000 * ns_per_ms;
constexpr auto relaxed = std::memory_order_relaxed;

double elapsed_s(const run::RunControl& control, std::int64_t now_ns) {
    return static_cast<double>(now_ns - control.start_ns) / 1e9;
}

bool usable(const run::Worker& worker) {
    return worker.process.running() && !worker.retired && !worker.controlled;
}

using measure::percentile;

}  // namespace

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
    for (const auto& entry : redis::xpending(control.control, control.keys.stream(), worker.group,
                                             0, 100000, worker.name)) {
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
                                     workload::FaultRestart restart, run::TimelineEvent& event) {
    auto& worker = control.fleet.workers()[index];
    worker.controlled = false;
    if (restart == workload::FaultRestart::none) {
        worker.retired = true;
        event.data["restarted_as"] = nullptr;
        return;
    }
    control.fleet.start(worker, restart == workload::FaultRestart::new_name);
    event.data["restarted_as"] = worker.name;
}

bool ChaosController::kill(run::RunControl& control, const workload::FaultEvent& event,
                           double at_s) {
    auto& workers = control.fleet.workers();
    // Only a worker in the middle of a batch (entries read, not yet finished) that holds entries
    // pending. The pending list alone cannot tell: with the seed's shared consumer name it holds
    // the other instance's batch too. In the `before` mode nothing is pending: the batch is
    // acknowledged on receipt.
    auto holding = [&](const run::Worker& worker) {
        if (control.stats.slots()[worker.slot].in_flight.load(relaxed) == 0) return false;
        return control.workload.groups[worker.group_index].ack == workload::AckMode::before ||
               !pending_of(control, worker).empty();
    };
    auto targets = select_targets(
        event.target, workers,
        [&](const run::Worker& worker) { return usable(worker) && holding(worker); }, rng_);
    bool killed_any = false;
    for (auto index : targets) {
        auto& worker = workers[index];
        // Freeze it, let Redis finish what it already sent, and check again: what it holds now
        // is exactly what the kill orphans.
        worker.process.signal(SIGSTOP);
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
        if (!holding(worker)) {
            worker.process.signal(SIGCONT);
            continue;
        }
        auto pending = pending_of(control, worker);
        auto in_flight = control.stats.slots()[worker.slot].in_flight.load(relaxed);
        worker.process.signal(SIGKILL);
        worker.process.wait();
        auto event_index = record(control, at_s, "kill", worker.name,
                                  {{"pending", pending.size()}, {"in_flight", in_flight}});
        restart_worker(control, index, event.restart, control.result.events[event_index]);
        watch(event_index, worker, std::move(pending));
        killed_any = true;
    }
    return killed_any;
}

bool ChaosController::pause(run::RunControl& control, const workload::FaultEvent& event,
                            double at_s) {
    auto& workers = control.fleet.workers();
    auto targets = select_targets(
        event.target, workers,
        [&](const run::Worker& worker) {
            return usable(worker) && !pending_of(control, worker).empty();
        },
        rng_);
    auto now = measure::monotonic_ns();
    for (auto index : targets) {
        auto& worker = workers[index];
        auto pending = pending_of(control, worker);
        worker.process.signal(SIGSTOP);
        worker.controlled = true;
        paused_.push_back({index, now + event.duration_ms * ns_per_ms});
        auto event_index =
            record(control, at_s, "pause", worker.name,
                   {{"pending", pending.size()}, {"duration_ms", event.duration_ms}});
        watch(event_index, worker, std::move(pending));
    }
    return !targets.empty();
}

bool ChaosController::disconnect(run::RunControl& control, const workload::FaultEvent& event,
                                 double at_s) {
    auto& workers = control.fleet.workers();
    auto targets = select_targets(event.target, workers, usable, rng_);
    auto list = control.control.command({"CLIENT", "LIST"});
    std::string clients(redis::ReplyView(list.get()).text());
    for (auto index : targets) {
        auto& worker = workers[index];
        int killed = 0;
        std::istringstream lines(clients);
        std::string line;
        while (std::getline(lines, line)) {
            if (line.find(" name=" + worker.client_name + " ") == std::string::npos) continue;
            auto id_start = line.find("id=") + 3;
            auto id = line.substr(id_start, line.find(' ', id_start) - id_start);
            auto reply = control.control.command({"CLIENT", "KILL", "ID", id});
            killed += static_cast<int>(redis::ReplyView(reply.get()).integer());
        }
        record(control, at_s, "disconnect", worker.name,
               {{"connections_killed", killed}, {"pending", pending_of(control, worker).size()}});
    }
    return !targets.empty();
}

bool ChaosController::stop(run::RunControl& control, const workload::FaultEvent& event,
                           double at_s) {
    auto& workers = control.fleet.workers();
    auto targets = select_targets(event.target, workers, usable, rng_);
    auto now = measure::monotonic_ns();
    for (auto index : targets) {
        auto& worker = workers[index];
        auto pending = pending_of(control, worker);
        worker.process.signal(SIGTERM);
        worker.controlled = true;
        auto event_index =
            record(control, at_s, "stop", worker.name, {{"pending_before", pending.size()}});
        stopping_.push_back({index, event.restart, event_index, now + stop_grace_ns});
    }
    return !targets.empty();
}

bool ChaosController::slow(run::RunControl& control, const workload::FaultEvent& event,
                           double at_s) {
    auto& workers = control.fleet.workers();
    auto targets = select_targets(event.target, workers, usable, rng_);
    auto now = measure::monotonic_ns();
    for (auto index : targets) {
        auto& worker = workers[index];
        control.stats.slots()[worker.slot].control.service_override_us.store(event.service_us,
                                                                             relaxed);
        slowed_.push_back({index, now + event.duration_ms * ns_per_ms});
        record(control, at_s, "slow", worker.name,
               {{"service_us", event.service_us},
                {"duration_ms", event.duration_ms},
                {"pending", pending_of(control, worker).size()}});
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
        control.result.restart_watermarks.push_back(control.producers.allocated());
    });
    control.control.reconnect({});
    auto took_ms = (measure::monotonic_ns() - started) / ns_per_ms;
    record(control, at_s, "redis-restart", "redis",
           {{"hard", event.hard},
            {"persistence", redis::to_string(control.workload.persistence)},
            {"restart_ms", took_ms},
            {"order_watermark", control.result.restart_watermarks.back()}});
    // What consumers held before a restart may be gone with the server: stop tracking it.
    recoveries_.clear();
}

bool ChaosController::run_fault(run::RunControl& control, const ScheduledFault& fault) {
    const auto& event = control.workload.chaos.events[fault.event];
    switch (event.fault) {
        case workload::FaultKind::kill:
            return kill(control, event, fault.at_s);
        case workload::FaultKind::pause:
            return pause(control, event, fault.at_s);
        case workload::FaultKind::disconnect:
            return disconnect(control, event, fault.at_s);
        case workload::FaultKind::stop:
            return stop(control, event, fault.at_s);
        case workload::FaultKind::slow:
            return slow(control, event, fault.at_s);
        case workload::FaultKind::redis_restart:
            restart_redis(control, event, fault.at_s);
            return true;
    }
    return true;
}

void ChaosController::end_timed_faults(run::RunControl& control, std::int64_t now_ns, bool all) {
    auto& workers = control.fleet.workers();
    std::erase_if(paused_, [&](const Timed& pause) {
        if (!all && pause.until_ns > now_ns) return false;
        workers[pause.worker].process.signal(SIGCONT);
        workers[pause.worker].controlled = false;
        return true;
    });
    std::erase_if(slowed_, [&](const Timed& slow) {
        if (!all && slow.until_ns > now_ns) return false;
        control.stats.slots()[workers[slow.worker].slot].control.service_override_us.store(-1,
                                                                                           relaxed);
        return true;
    });
}

void ChaosController::finish_stops(run::RunControl& control, std::int64_t now_ns, bool wait_all) {
    auto& workers = control.fleet.workers();
    std::erase_if(stopping_, [&](const Stopping& stopping) {
        auto& worker = workers[stopping.worker];
        auto& event = control.result.events[stopping.event_index];
        auto status = worker.process.poll();
        while (!status && wait_all && measure::monotonic_ns() < stopping.deadline_ns) {
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
            status = worker.process.poll();
        }
        if (!status) {
            if (now_ns < stopping.deadline_ns && !wait_all) return false;
            worker.process.signal(SIGKILL);
            status = worker.process.wait();
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
            control.control.command({"XPENDING", control.keys.stream(), recovery.group,
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
        scheduled_ = true;
    }
    try {
        if (producing) {
            auto at = elapsed_s(control, now);
            for (; next_ < schedule_.size() && schedule_[next_].at_s <= at; ++next_) {
                if (!run_fault(control, schedule_[next_])) {
                    deferred_.push_back({schedule_[next_], now + defer_ns});
                }
            }
            std::erase_if(deferred_, [&](const Deferred& deferred) {
                if (run_fault(control, deferred.fault)) return true;
                if (now < deferred.give_up_ns) return false;
                const auto& event = control.workload.chaos.events[deferred.fault.event];
                record(control, deferred.fault.at_s, workload::to_string(event.fault), event.target,
                       {{"skipped", "no eligible target held entries within 2 s"}});
                return true;
            });
        } else {
            deferred_.clear();
        }
        end_timed_faults(control, now, !producing);
        finish_stops(control, now, false);
        track_recoveries(control, now);
    } catch (const RedisIoError&) {
        // Redis is restarting or unreachable for a moment: reconnect and carry on next tick.
        control.control.reconnect({});
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
    end_timed_faults(control, measure::monotonic_ns(), true);
    finish_stops(control, measure::monotonic_ns(), true);
    track_recoveries(control, measure::monotonic_ns());
    for (const auto& recovery : recoveries_) {
        control.result.events[recovery.event_index].data["unrecovered"] = recovery.ids.size();
    }
    nlohmann::json counts = nlohmann::json::object();
    std::size_t kills_with_pending = 0;
    for (const auto& event : control.result.events) {
        if (event.data.contains("skipped")) continue;
        counts[event.kind] = counts.value(event.kind, 0) + 1;
        if (event.kind == "kill" && event.data.value("pending", 0) > 0) ++kills_with_pending;
    }
    control.result.chaos["summary"] = {
        {"faults", counts},
        {"kills_with_pending", kills_with_pending},
        {"recovered", recovery_ms_.size()},
        {"unrecovered", recoveries_.size()},
        {"recovery_ms",
         {{"p50", percentile(recovery_ms_, 50)}, {"max", percentile(recovery_ms_, 100)}}}};
}

}  // namespace sh::chaos
