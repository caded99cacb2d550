#include "harness/run/supervisor.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <random>
#include <sstream>
#include <thread>

#include "harness/errors.hpp"
#include "harness/measure/clock.hpp"
#include "harness/measure/cpu.hpp"
#include "harness/os/shared_memory.hpp"
#include "harness/os/temp_dir.hpp"
#include "harness/redis/info.hpp"
#include "harness/redis/streams.hpp"
#include "harness/run/agent_barrier.hpp"
#include "harness/run/cluster_facts.hpp"
#include "harness/run/fleet.hpp"
#include "harness/run/heartbeat.hpp"
#include "harness/run/producer_pool.hpp"
#include "harness/run/progress.hpp"
#include "harness/run/rate_controller.hpp"
#include "harness/run/redis_setup.hpp"
#include "harness/run/replication_verdict.hpp"
#include "harness/run/retention.hpp"
#include "harness/run/run_record.hpp"
#include "harness/run/run_servers.hpp"
#include "harness/run/run_verdict.hpp"
#include "harness/run/sampler.hpp"
#include "harness/verify/ledger_reader.hpp"
#include "harness/workload/workload_checks.hpp"
#include "harness/workload/workload_json.hpp"

namespace sh::run {

namespace {

constexpr auto poll_interval = std::chrono::milliseconds(50);

double seconds_since(std::int64_t start_ns) {
    return static_cast<double>(measure::monotonic_ns() - start_ns) / 1e9;
}

std::string utc_now(const char* format) {
    std::time_t now = std::time(nullptr);
    std::tm utc{};
    gmtime_r(&now, &utc);
    char buffer[32];
    std::strftime(buffer, sizeof(buffer), format, &utc);
    return buffer;
}

// The run's own keys must not exist yet: a collision would mix two runs' ledgers.
void require_fresh_keys(redis::Connection& connection, const model::StreamShards& shards,
                        const std::vector<std::string>& groups) {
    for (const auto& key : shards.owned_keys(groups)) {
        auto reply = connection.command({"EXISTS", key});
        if (redis::ReplyView(reply.get()).integer() != 0) {
            throw EnvironmentError("key " + key + " already exists: pick another --run-id");
        }
    }
}

std::string describe_persistence(redis::Connection& connection, const workload::Workload& workload,
                                 bool external) {
    if (!external) return std::string(redis::to_string(workload.persistence));
    // An external server has its own configuration: report what it runs with.
    return redis::info_field(connection, "persistence", "aof_enabled") == "1" ? "aof (external)"
                                                                              : "none (external)";
}

std::string random_hex() {
    std::random_device random;
    std::ostringstream text;
    text << std::hex << std::setw(8) << std::setfill('0') << random() << std::setw(8) << random();
    return text.str();
}

struct DrainOutcome {
    bool drained = false;
    double seconds = 0;
};

// Waits until no group has anything pending or unread of the run's and no worker holds work
// in flight, keeping the fleet alive meanwhile. Its clock starts once the load is over
// everywhere (load_over: agents still producing elsewhere, §11.1).
DrainOutcome drain(redis::Connection& connection, const model::StreamShards& shards,
                   const std::vector<std::string>& groups, double timeout_s,
                   const os::StopSignals& stop, const std::function<void()>& housekeeping,
                   const std::function<bool()>& nothing_in_flight,
                   const std::function<bool()>& load_over) {
    auto start = measure::monotonic_ns();
    for (;;) {
        housekeeping();
        if (!load_over() && !stop.requested()) {
            start = measure::monotonic_ns();
            std::this_thread::sleep_for(poll_interval);
            continue;
        }
        bool idle = true;
        try {
            for (const auto& keys : shards) {
                for (const auto& info : redis::xinfo_groups(connection, keys.stream())) {
                    if (std::find(groups.begin(), groups.end(), info.name) == groups.end()) {
                        continue;
                    }
                    if (info.pending != 0 || verify::has_unread(connection, keys, info)) {
                        idle = false;
                    }
                }
            }
        } catch (const RedisIoError&) {
            connection.reconnect({});
            idle = false;
        } catch (const RedisReplyError&) {
            idle = false;  // the stream is being recreated after a Redis restart
        }
        // Asked after Redis: a worker that read and acknowledged a batch (`before` mode) since
        // Redis said nothing was left holds it in flight by now.
        if (idle && !nothing_in_flight()) idle = false;
        if (idle) return {true, seconds_since(start)};
        if (seconds_since(start) >= timeout_s || stop.requested()) {
            return {false, seconds_since(start)};
        }
        std::this_thread::sleep_for(poll_interval);
    }
}

// Disconnect faults and external consumers look connections up in CLIENT LIST.
bool finds_connections(const workload::Workload& workload) {
    auto external = [](const auto& group) { return group.consumer.has_value(); };
    auto disconnect = [](const auto& event) {
        return event.fault == workload::FaultKind::disconnect;
    };
    return std::any_of(workload.groups.begin(), workload.groups.end(), external) ||
           std::any_of(workload.chaos.events.begin(), workload.chaos.events.end(), disconnect);
}

ClientTally client_tally(const ProducerPool& producers, const Fleet& fleet) {
    const auto& totals = producers.totals();
    ClientTally tally{totals.no_primary_ms.load(), totals.not_primary_replies.load(), 0, 0};
    for (const auto& worker : fleet.workers()) {
        if (worker.external) continue;
        auto counters = fleet.slot_of(worker).counters.values();
        tally.no_primary_ms += counters.no_primary_ms;
        tally.not_primary_replies += counters.not_primary_replies;
        tally.nogroup_replies += counters.group_recreated;
        tally.no_replicas_replies += counters.refused_no_replicas;
    }
    return tally;
}

// The report directory is made (and shown writable) before Redis is touched: a run that could
// not write its report must not have created anything first.
void prepare_out_dir(const std::string& out_dir) {
    std::error_code error;
    std::filesystem::create_directories(std::filesystem::path(out_dir) / "logs", error);
    if (!error && access(out_dir.c_str(), W_OK) != 0) {
        error = std::error_code(errno, std::generic_category());
    }
    if (error) {
        throw usage_error({"--out: cannot write reports to '" + out_dir + "': " + error.message()});
    }
}

}  // namespace

std::string generate_run_id() {
    return "r" + utc_now("%Y%m%d-%H%M%S") + "-" + random_hex().substr(0, 6);
}

void execute_run(const workload::Workload& workload, const RunOptions& options,
                 const os::StopSignals& stop, RunResult& result) {
    result.run_id = options.run_id.empty() ? generate_run_id() : options.run_id;
    result.started_at = utc_now("%Y-%m-%dT%H:%M:%SZ");
    result.workload = workload;
    for (const auto& group : workload.groups) result.group_names.push_back(group.name);
    result.environment.redis =
        options.redis_endpoint ? options.redis_endpoint->redacted() : "embedded";
    result.environment.host_cores = std::thread::hardware_concurrency();

    if (options.observer != nullptr) options.observer->check(workload, !options.redis_endpoint);
    prepare_out_dir(options.out_dir);
    RunServers servers(workload, options.redis_endpoint);
    const auto& endpoint = servers.endpoint();

    // On a cluster a command for a dead primary's slot is retried for at most 2 s: the
    // supervisor's loop (sampling, faults, restarts) must not stall behind it.
    redis::Connection control(endpoint,
                              {std::chrono::milliseconds(2000),
                               std::chrono::milliseconds(10000),
                               "sh:" + result.run_id + ":supervisor",
                               {std::chrono::milliseconds(20), std::chrono::milliseconds(500),
                                std::chrono::milliseconds(2000)}});
    auto server = check_server(control, options.allow_eviction, !options.redis_endpoint);
    EvictionCount evictions(control);
    require_wait_support(workload, server.version);
    if (control.cluster() && options.redis_endpoint) {
        // What an embedded cluster's workload was checked for at load.
        workload::Problems problems;
        workload::check_for_cluster(workload, problems);
        if (!problems.empty()) throw WorkloadError(problems.take());
    }
    if (finds_connections(workload)) require_client_commands(control);
    // Agents (§11.1): agent 1 creates the run's keys and record, the others find them.
    const auto& agent = options.agent;
    std::optional<AgentBarrier> barrier;
    if (!agent.solo()) {
        barrier.emplace(control, result.run_id, agent, options.agent_timeout);
        // Set now, so that an agent's error report says which agent it was.
        auto& part = result.agent.emplace();
        part.index = agent.index;
        part.count = agent.count;
        part.host = this_host();
        part.boot_id = this_boot_id();
    }
    RunRecord record;
    if (!agent.leader()) record = barrier->await_record(workload, stop);
    model::StreamShards shards(result.run_id, workload.stream.name, workload.stream.key,
                               agent.leader() ? result.run_id + "/" + random_hex() : record.stamp,
                               workload.stream.shards);
    const auto& keys = shards.front();  // the run's own keys (record, alive) and stamp
    std::vector<std::string> group_names;
    for (const auto& group : workload.groups) group_names.push_back(group.name);
    if (agent.leader()) require_fresh_keys(control, shards, group_names);
    // Declared before the fleet and the producers, so that on an error they are stopped first
    // and cannot recreate what it removes. Of agents, only agent 1 does, and only until its
    // record names the keys: then another may be using them (`merge` removes them, or
    // `cleanup --run-id`).
    CreatedCleanup created(
        control, shards, group_names,
        options.redis_endpoint.has_value() && !options.keep_keys && agent.leader());
    // Declared after the cleanup, so that it stops first and cannot recreate what that removes.
    Heartbeat heartbeat(endpoint, keys.alive(), "sh:" + result.run_id + ":heartbeat");
    if (agent.leader()) {
        // Groups exist before the first XADD, so no group misses an order (workers tolerate
        // BUSYGROUP). A wrong key type surfaces here as WRONGTYPE.
        create_run_groups(control, shards, group_names, created.record());
        record.run_id = result.run_id;
        record.started_at = result.started_at;
        record.stamp = keys.stamp();
        record.workload = workload;
        record.created = created.record();
        record.agents = agent.count;
        write_record(control, record, true);
        // Agent 1's keys are the other agents' too once its record names them: they stay for
        // `merge` or `cleanup --run-id`, whatever happens to agent 1.
        if (!agent.solo()) created.keep();
    }
    const auto& on_redis = record.created;  // what the run created there (agent 1 did)
    result.cluster = cluster_facts_at_start(control, shards);
    // Every agent arrives before any starts its consumers: their clocks are known by then.
    bool arrived = false;
    model::SharedClock clock;
    if (barrier) {
        barrier->arrive();
        arrived = true;
        clock = barrier->clock(barrier->await_arrivals(stop));
    }
    // Progress for `verify --run-id`; a Redis restarting at that moment costs only the update
    // (verify then fails the run as unfinished), never the run.
    auto record_progress = [&] {
        if (!agent.leader()) return;
        try {
            write_record(control, record, false);
        } catch (const RedisError&) {
        }
    };

    result.environment = {
        server.version,
        options.redis_endpoint ? endpoint.redacted() : "embedded",
        describe_persistence(control, workload, options.redis_endpoint.has_value()),
        server.maxmemory_policy,
        std::thread::hardware_concurrency(),
        keys.stream(),
        keys.stamp(),
        on_redis.stream,
        on_redis.group_start_id,
        server.config};

    os::TempDir scratch("streamharness-run");
    auto slot_count = Fleet::slots_for(workload);
    auto memory = os::SharedMemory::create(measure::StatsRegion::bytes_for(slot_count));
    auto* stats = measure::StatsRegion::initialise(memory.data(), slot_count);
    auto workload_path = (scratch.path() / "workload.json").string();
    std::ofstream(workload_path) << workload::to_json(workload).dump(2);

    auto store = servers.effect_store();
    Fleet fleet({options.executable, workload_path, shards, endpoint.to_url(),
                 store ? store->to_url() : std::string(), memory.fd(), options.out_dir + "/logs",
                 on_redis.group_start_id, agent, clock},
                workload, *stats);

    model::OrderAttributes attributes{workload.seed,
                                      static_cast<std::uint64_t>(workload.producers.users),
                                      workload.producers.poison_ratio};
    const auto streams = shards.streams();
    Retention retention(workload.stream.retention, streams, group_names);
    Sampler sampler(group_names, options.live_metrics);
    RateController rate_controller(workload);
    ProducerPool producers(workload, endpoint, shards, attributes, agent);
    // A run that fails from here on still reports what it measured until then.
    auto record_measured = [&] {
        producers.request_stop();
        try {
            producers.join();
        } catch (const std::exception&) {
            // A producer's own error is a consequence of the one being reported.
        }
        record_production(result, producers);
        result.timeline = sampler.rows();
        // The other agents stop waiting for this one (not when it was refused at arrival: that
        // field is another agent's).
        if (arrived) {
            try {
                barrier->set_phase("error", producers.allocated(), result.produced_ok);
            } catch (const RedisError&) {
            }
        }
        // Verdicts half made are not verdicts: an error report shows none.
        if (result.phase != "cleanup") {
            result.groups.clear();
            result.gates.clear();
        }
    };
    try {
        fleet.start_all();
        // Orders sent before every consumer reads would measure the workers' start-up (a few
        // hundred ms under a sanitizer), not the pipeline: the run's clock starts once every one
        // reads.
        fleet.await_start(control, stop);
        if (barrier) barrier->await_reading(stop);  // the start barrier
        auto run_start = measure::monotonic_ns();
        RunControl run_control{workload,
                               fleet,
                               control,
                               servers.single_server(),
                               servers.topology(),
                               servers.cluster(),
                               shards,
                               [&] { return producers.allocated(); },
                               run_start,
                               result,
                               [&] { return client_tally(producers, fleet); }};
        std::int64_t next_eviction_read_ns = 0;
        ProgressDisplay progress(ProgressDisplay::mode_for(options.quiet, STDERR_FILENO),
                                 std::cerr);
        double planned_s = workload.producers.orders > 0 ? 0.0 : workload.duration_s;
        // Between polls: faults, restarting workers that died, trimming when retention is on.
        auto housekeeping = [&](bool producing) {
            if (options.observer != nullptr) options.observer->tick(run_control, producing);
            for (const auto& exit : fleet.restart_exited()) {
                result.events.push_back(
                    {seconds_since(run_start),
                     "worker-exit",
                     exit.name,
                     exit.how + (exit.restarted ? "; restarted as " + exit.restarted_as
                                                : "; not restarted"),
                     {}});
            }
            sampler.tick(run_control, producers.totals(), producing);
            // Every second, so that what a server evicts before it dies is counted.
            if (auto now = measure::monotonic_ns(); now >= next_eviction_read_ns) {
                next_eviction_read_ns = now + 1'000'000'000;
                try {
                    evictions.read(control);
                } catch (const RedisError&) {
                    // Redis restarting: read it next second.
                }
            }
            if (producing && producers.rate_controlled()) {
                try {
                    rate_controller.tick(control, streams, producers, measure::monotonic_ns(),
                                         seconds_since(run_start));
                } catch (const RedisError&) {
                    // Redis restarting: keep the current rate.
                }
            }
            try {
                retention.tick(control, measure::monotonic_ns());
            } catch (const RedisIoError&) {
                control.reconnect({});
            } catch (const RedisReplyError&) {
                // No stream for a moment after a Redis restart without persistence: trim later.
            }
            auto faults = std::count_if(result.events.begin(), result.events.end(), is_fault);
            progress.update(
                measure::monotonic_ns(),
                {seconds_since(run_start), planned_s, producing, static_cast<std::size_t>(faults),
                 sampler.latest_row() ? std::optional(*sampler.latest_row()) : std::nullopt,
                 result.group_names});
        };
        if (producers.rate_controlled()) rate_controller.start(producers);
        // Faults due at 0 s take hold (a fault aimed at a window is armed) before the first order.
        if (options.observer != nullptr) options.observer->tick(run_control, true);
        result.phase = "load";
        producers.start();
        while (!producers.finished()) {
            if (stop.requested()) producers.request_stop();
            housekeeping(true);
            std::this_thread::sleep_for(poll_interval);
        }
        producers.join();
        result.producing_s = seconds_since(run_start);
        record.load_finished = !stop.requested();
        record.orders_allocated = producers.allocated();
        record.orders_produced_ok = producers.outcomes().count(model::Outcome::ok);
        record_progress();
        if (barrier) {
            barrier->set_phase("loaded", record.orders_allocated, record.orders_produced_ok);
        }

        result.phase = "drain";
        // An agent's consumers keep reading until no agent produces any more; an agent whose
        // load does not end in --agent-timeout-s (its host died) ends this one's part.
        auto load_end_ns = measure::monotonic_ns();
        auto others_loaded = [&] {
            if (!barrier) return true;
            std::string missing;
            try {
                missing = barrier->not_loaded();
            } catch (const RedisError&) {
                return false;
            }
            if (missing.empty()) return true;
            if (seconds_since(load_end_ns) * 1000 >
                static_cast<double>(options.agent_timeout.count())) {
                throw EnvironmentError("agents " + missing + " of run " + result.run_id +
                                       " did not finish their load within " +
                                       std::to_string(options.agent_timeout.count() / 1000) +
                                       " s of this one's (--agent-timeout-s)");
            }
            return false;
        };
        auto drained = drain(
            control, shards, group_names, workload.drain_timeout_s, stop,
            [&] { housekeeping(false); }, [&] { return !fleet.any_in_flight(); }, others_loaded);
        result.drained = drained.drained;
        result.drain_s = drained.seconds;
        result.retention_trimmed = retention.trimmed();
        sampler.finish(run_control, producers.totals());
        result.timeline = sampler.rows();
        if (producers.rate_controlled()) result.max_rate = rate_controller.summary(result.timeline);
        result.bottleneck = sampler.bottleneck(std::thread::hardware_concurrency());
        result.memory = sampler.memory();
        result.memory.outcome_record_bytes = producers.outcomes().memory_bytes();
        if (options.observer != nullptr) options.observer->finish(run_control);
        result.final_stop.grace_s = static_cast<double>(fleet.stop_grace().count()) / 1000.0;
        result.final_stop.killed = fleet.stop_all(fleet.stop_grace());
        if (stop.requested())
            throw EnvironmentError("interrupted by signal " + std::to_string(stop.signal_number()));

        result.phase = "verification";
        collect_stats(result, fleet, workload);
        if (result.cluster) {
            finish_cluster_facts(*result.cluster, control, producers.totals(), result.groups);
        }
        if (barrier) {
            // `merge` judges the run once every agent is done: this agent's part is its report.
            barrier->set_phase("done", record.orders_allocated, record.orders_produced_ok);
            record_production(result, producers);
            evictions.read(control);
            result.evicted_keys = evictions.total();
            result.agent = agent_part(agent, clock, producers, evictions);
            heartbeat.stop();
            // The last agent done says the run is over, so that `merge` can judge it at once.
            auto agents = barrier->read();
            auto done = std::count_if(agents.begin(), agents.end(),
                                      [](const auto& other) { return other.phase == "done"; });
            if (done == agent.count) control.command({"UNLINK", keys.alive()});
            return;
        }
        verify_run(result, control, shards, workload, producers, attributes, evictions, servers);
        record.verdict = result.passed ? "pass" : "fail";
        record_progress();
        result.phase = "cleanup";
        heartbeat.stop();
        result.cleanup_notes = created.remove();
        // Kept keys can be verified at once: the run is over.
        if (options.keep_keys) control.command({"UNLINK", keys.alive()});
    } catch (...) {
        record_measured();
        throw;
    }
}

}  // namespace sh::run
