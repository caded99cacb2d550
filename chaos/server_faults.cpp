// Faults on the servers of an embedded replicated topology (DESIGN §6, §7.1): a graceful
// failover, a SIGKILLed primary, a stalled replica. A change of primary is followed tick by
// tick, never blocking the supervisor for it: the Sentinels need seconds, and a stalled replica
// they are to promote must be resumed meanwhile.
#include <condition_variable>
#include <csignal>
#include <mutex>
#include <thread>

#include "chaos/controller.hpp"
#include "harness/errors.hpp"
#include "harness/measure/clock.hpp"
#include "harness/redis/streams.hpp"

namespace sh::chaos {

namespace {

constexpr std::int64_t ns_per_ms = 1'000'000;

// The event's index in chaos.events (its tally's).
std::size_t event_number(const run::RunControl& control, const workload::FaultEvent& event) {
    return static_cast<std::size_t>(&event - control.workload.chaos.events.data());
}
// A change of primary that takes longer is reported without a new primary.
constexpr std::int64_t change_timeout_ns = 60'000 * ns_per_ms;

std::string address_of(const redis::EmbeddedTopology& topology, int node) {
    auto endpoint = topology.node_endpoint(node);
    return endpoint.host + ":" + std::to_string(endpoint.port);
}

// The run's entries after `after` up to and including `before`: what a group's last-delivered
// ID moved back over.
std::int64_t entries_between(redis::Connection& connection, const std::string& key,
                             const std::string& after, const std::string& before) {
    std::int64_t count = 0;
    std::string start = "(" + after;
    for (;;) {
        auto reply = connection.command({"XRANGE", key, start, before, "COUNT", "1000"});
        redis::ReplyView entries(reply.get());
        count += static_cast<std::int64_t>(entries.size());
        if (entries.size() < 1000) return count;
        start = "(" + std::string(entries.element(entries.size() - 1).element(0).text());
    }
}

}  // namespace

ChaosController::GroupsSnapshot ChaosController::read_groups(redis::Connection& connection,
                                                             const std::string& stream) {
    GroupsSnapshot snapshot;
    for (const auto& info : redis::xinfo_groups(connection, stream)) {
        snapshot[info.name].last_delivered_id = info.last_delivered_id;
    }
    for (auto& [group, seen] : snapshot) {
        for (const auto& consumer : redis::xinfo_consumers(connection, stream, group)) {
            seen.consumers.insert(consumer.name);
        }
    }
    return snapshot;
}

bool ChaosController::failover(run::RunControl& control, const workload::FaultEvent& event,
                               double at_s) {
    if (!changes_.empty()) return false;  // one change of primary at a time
    auto& topology = *control.topology;
    auto before = read_groups(control.redis, control.shards.front().stream());
    auto old_primary = topology.primary();
    auto started = measure::monotonic_ns();
    close_client_tally(control);
    topology.request_failover();
    run::EventFacts facts;
    facts.old_primary = address_of(topology, old_primary);
    auto index = record(control, at_s, "failover", "primary", std::move(facts));
    changes_.push_back(
        {index, event_number(control, event), old_primary, started, std::move(before), {}});
    return true;
}

bool ChaosController::primary_kill(run::RunControl& control, const workload::FaultEvent& event,
                                   double at_s) {
    if (!changes_.empty()) return false;
    auto& topology = *control.topology;
    auto before = read_groups(control.redis, control.shards.front().stream());
    auto started = measure::monotonic_ns();
    close_client_tally(control);
    std::uint64_t watermark = 0;
    // Read while no primary runs, as for a restart: producers drop what they claimed when
    // their connection breaks, so every order the new primary takes is numbered above it.
    auto old_primary = topology.kill_primary([&] { watermark = control.orders_allocated(); });
    run::EventFacts facts;
    facts.old_primary = address_of(topology, old_primary);
    facts.order_watermark = watermark;
    auto index = record(control, at_s, "primary-kill", "primary", std::move(facts));
    changes_.push_back(
        {index, event_number(control, event), old_primary, started, std::move(before), watermark});
    return true;
}

bool ChaosController::replica_stall(run::RunControl& control, const workload::FaultEvent& event,
                                    double at_s) {
    auto& topology = *control.topology;
    auto node = topology.pick_replica();
    if (node < 0) return false;
    topology.stall(node);
    // Resumed by a timer, not by a tick: the supervisor may be waiting for a new primary that
    // only this replica can become.
    auto pid = topology.node_pid(node);
    stall_timers_.emplace_back([pid, ms = event.duration_ms](std::stop_token stop) {
        std::mutex mutex;
        std::condition_variable_any wake;
        std::unique_lock lock(mutex);
        wake.wait_for(lock, stop, std::chrono::milliseconds(ms), [] { return false; });
        // Stopped early: the owner resumes it through the topology (or the topology is gone
        // and its process with it: the pid may be someone else's by now).
        if (!stop.stop_requested()) ::kill(pid, SIGCONT);
    });
    stalled_nodes_.push_back(node);
    run::EventFacts facts;
    facts.replica = address_of(topology, node);
    facts.duration_ms = event.duration_ms;
    facts.order_watermark = control.orders_allocated();
    record(control, at_s, "replica-stall", "replica", std::move(facts));
    return true;
}

void ChaosController::read_old_primary(run::RunControl& control, ChangeUnderWay& change) {
    auto& topology = *control.topology;
    if (!topology.node_running(change.old_primary)) return;
    try {
        redis::Connection old(topology.node_endpoint(change.old_primary),
                              {std::chrono::milliseconds(200), std::chrono::milliseconds(200), ""});
        auto role = old.command({"ROLE"});
        if (redis::ReplyView(role.get()).element(0).text() != "master") return;
        change.before = read_groups(old, control.shards.front().stream());
    } catch (const RedisError&) {
        // Stalled, restarting or resyncing: keep the last reading.
    }
}

void ChaosController::serve_primary_changes(run::RunControl& control, std::int64_t now_ns) {
    if (changes_.empty()) return;
    auto& topology = *control.topology;
    auto& change = changes_.front();
    auto& event = control.result.events[change.event_index];
    auto found = topology.new_primary(change.old_primary);
    if (!found) {
        // A demoted primary may take writes (and deliveries) until the Sentinels reconfigure
        // it: its last state as a primary is what the new one is compared with.
        read_old_primary(control, change);
        if (now_ns - change.started_ns < change_timeout_ns) return;
        event.detail = "no new primary within 60 s: " + topology.waiting_for();
        // Not a change of primary after all: the event did not land.
        --tallies_[change.chaos_event].landed;
        ++tallies_[change.chaos_event].skipped;
        changes_.clear();
        return;
    }
    event.facts.new_primary = address_of(topology, *found);
    event.facts.to_new_primary_ms = (now_ns - change.started_ns) / ns_per_ms;
    // A graceful failover's old primary took writes until it was demoted, which it is by now.
    auto watermark = change.watermark ? *change.watermark : control.orders_allocated();
    event.facts.order_watermark = watermark;
    if (!topology.node_running(change.old_primary)) topology.rejoin(change.old_primary);
    control.redis.reconnect({});
    auto after = read_groups(control.redis, control.shards.front().stream());
    run::PrimaryChange record{change.event_index, event.kind, watermark, {}, {}};
    for (const auto& spec : control.workload.groups) {
        run::GroupAcrossChange across;
        across.group = spec.name;
        auto before = change.before.find(spec.name);
        if (before == change.before.end()) {  // not there before either: nothing to compare
            record.groups.push_back(std::move(across));
            continue;
        }
        across.last_delivered_before = before->second.last_delivered_id;
        auto now = after.find(spec.name);
        across.missing = now == after.end();
        for (const auto& name : before->second.consumers) {
            if (across.missing || now->second.consumers.count(name) == 0) {
                across.consumers_missing.push_back(name);
            }
        }
        if (!across.missing) {
            across.last_delivered_after = now->second.last_delivered_id;
            if (redis::parse_id(across.last_delivered_after) <
                redis::parse_id(across.last_delivered_before)) {
                across.rolled_back_entries =
                    entries_between(control.redis, control.shards.front().stream(),
                                    across.last_delivered_after, across.last_delivered_before);
            }
        }
        record.groups.push_back(std::move(across));
    }
    control.result.primary_changes.push_back(std::move(record));
    tally_open_ = true;
    changes_.clear();
}

void ChaosController::close_client_tally(run::RunControl& control) {
    auto now = control.client_tally ? control.client_tally() : run::ClientTally{};
    if (tally_open_ && !control.result.primary_changes.empty()) {
        control.result.primary_changes.back().clients = now - tally_at_change_;
    }
    tally_open_ = false;
    tally_at_change_ = now;
}

void ChaosController::finish_server_faults(run::RunControl& control) {
    auto deadline = measure::monotonic_ns() + change_timeout_ns;
    while (!changes_.empty()) {
        auto now = measure::monotonic_ns();
        if (now >= deadline) {
            serve_primary_changes(control, now + change_timeout_ns);
            break;
        }
        serve_primary_changes(control, now);
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    stall_timers_.clear();  // stops the timers still waiting, which then signal nothing
    for (auto node : stalled_nodes_) control.topology->resume(node);
    stalled_nodes_.clear();
    close_client_tally(control);
}

}  // namespace sh::chaos
