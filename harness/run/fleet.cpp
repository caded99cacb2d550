#include "harness/run/fleet.hpp"

#include <sys/wait.h>

#include <algorithm>
#include <csignal>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "harness/errors.hpp"
#include "harness/measure/clock.hpp"
#include "harness/os/sockets.hpp"
#include "harness/redis/streams.hpp"
#include "harness/run/worker.hpp"

namespace sh::run {

namespace {

std::string format_seconds(std::int64_t ns) {
    std::ostringstream text;
    text << static_cast<double>(ns) / 1e9 << " s";
    return text.str();
}

}  // namespace

std::size_t Fleet::slots_for(const workload::Workload& workload) {
    std::size_t slots = 0;
    for (const auto& group : workload.groups) slots += static_cast<std::size_t>(group.consumers);
    return slots;
}

Fleet::Fleet(FleetConfig config, const workload::Workload& workload, measure::StatsRegion& slots)
    : config_(std::move(config)), workload_(workload), slots_(slots) {
    for (std::size_t g = 0; g < workload_.groups.size(); ++g) {
        const auto& group = workload_.groups[g];
        for (int i = 1; i <= group.consumers; ++i) {
            if (!config_.agent.runs_instance(i)) continue;  // another agent's
            Worker worker;
            worker.group_index = g;
            worker.group = group.name;
            worker.index = i;
            worker.shards = config_.shards.shards_of_consumer(i, group.consumers);
            worker.slot = workers_.size();
            worker.name = name_for(worker);
            workers_.push_back(std::move(worker));
        }
    }
}

std::string Fleet::name_for(const Worker& worker) const {
    const auto& group = workload_.groups[worker.group_index];
    // The seed's defect: every instance of a service uses the same consumer name.
    if (group.naming == workload::ConsumerNaming::shared) return "consumer-" + group.name;
    return group.name + "-" + std::to_string(worker.index) + "-" +
           std::to_string(worker.incarnation);
}

std::string Fleet::log_path(const Worker& worker) const {
    return config_.log_dir + "/" + worker.group + "-" + std::to_string(worker.index) + ".log";
}

std::string Fleet::describe(const Worker& worker) const {
    const auto& group = workload_.groups[worker.group_index];
    if (!group.consumer) return "consumer " + worker.name;
    std::string command;
    for (const auto& word : group.consumer->command) command += (command.empty() ? "" : " ") + word;
    return "consumer " + worker.name + " of group '" + group.name + "' (" + command + ")";
}

void Fleet::start_external(Worker& worker, const workload::ExternalConsumer& consumer) {
    const auto& keys = config_.shards.front();  // external consumers: one shard
    const auto& group = workload_.groups[worker.group_index];
    os::SpawnOptions options;
    // The contract (docs/consumer-contract.md): these come first, so the user's env cannot
    // change them.
    auto set = [&](std::string name, const std::string& value) {
        name.append("=").append(value);
        options.env.push_back(std::move(name));
    };
    set(redis_url_env, config_.redis_url);
    set("STREAMHARNESS_STREAM", keys.stream());
    set("STREAMHARNESS_GROUP", group.name);
    set("STREAMHARNESS_CONSUMER", worker.name);
    set("STREAMHARNESS_APPLIED_KEY", keys.applied(group.name));
    set("STREAMHARNESS_DEAD_LETTER_KEY", keys.dlq(group.name));
    set("STREAMHARNESS_RUN", keys.stamp());
    set("STREAMHARNESS_MIN_IDLE_MS", std::to_string(group.claim.min_idle_ms));
    set("STREAMHARNESS_CLAIM_INTERVAL_MS", std::to_string(group.claim.interval_ms));
    set("STREAMHARNESS_MAX_DELIVERIES", std::to_string(group.claim.max_deliveries));
    for (const auto& [name, value] : consumer.env) set(name, value);
    options.cwd = consumer.cwd;
    options.process_group = true;
    options.output_path = log_path(worker);
    try {
        worker.process = os::ChildProcess::spawn(consumer.command, options);
    } catch (const EnvironmentError& error) {
        throw EnvironmentError(describe(worker) + " cannot start: " + error.what());
    }
}

void Fleet::start(Worker& worker, bool new_name) {
    if (new_name) {
        ++worker.incarnation;
        worker.name = name_for(worker);
    }
    worker.started_ns = measure::monotonic_ns();
    assigned_names_.insert(worker.name);
    const auto& group = workload_.groups[worker.group_index];
    if (group.consumer) {
        worker.external = true;
        start_external(worker, *group.consumer);
        return;
    }
    auto seed = workload_.seed * 1000003ULL + worker.slot * 7919ULL +
                static_cast<std::uint64_t>(worker.incarnation);
    worker.client_name = "sh:" + config_.shards.front().run_id() + ":" + worker.group + ":" +
                         std::to_string(worker.index);
    seed += static_cast<std::uint64_t>(config_.agent.index - 1) * 104729ULL;
    std::vector<std::string> argv = {config_.executable, "worker",
                                     "--workload",       config_.workload_path,
                                     "--run-id",         config_.shards.front().run_id(),
                                     "--stamp",          config_.shards.front().stamp(),
                                     "--group",          worker.group,
                                     "--name",           worker.name,
                                     "--client-name",    worker.client_name,
                                     "--slot",           std::to_string(worker.slot),
                                     "--stats-fd",       "3",
                                     "--seed",           std::to_string(seed),
                                     "--group-start-id", config_.group_start_id};
    for (auto shard : worker.shards) argv.insert(argv.end(), {"--shard", std::to_string(shard)});
    if (!config_.agent.solo()) {
        argv.insert(argv.end(), {"--agents", std::to_string(config_.agent.count), "--clock-agents",
                                 config_.clock.to_string()});
    }
    os::SpawnOptions options;
    std::string url_variable(redis_url_env);
    url_variable.append("=").append(config_.redis_url);
    options.env = {std::move(url_variable)};
    if (group.effect_store == workload::EffectStore::separate) {
        std::string store_variable(effect_store_url_env);
        store_variable.append("=").append(config_.effect_store_url);
        options.env.push_back(std::move(store_variable));
    }
    options.pass_fd = config_.stats_fd;
    options.stop_signals_pending = true;  // the worker takes them with os::StopSignals
    options.output_path = log_path(worker);
    worker.process = os::ChildProcess::spawn(argv, options);
}

void Fleet::await_start(redis::Connection& redis, const os::StopSignals& stop) {
    constexpr std::int64_t builtin_timeout_ns = 10'000'000'000;
    for (;;) {
        bool all_started = true;
        // Read once per look, and only when an external worker still has to be seen.
        std::map<std::string, std::set<std::string>> group_consumers;
        std::optional<std::vector<redis::ClientInfo>> clients;
        for (std::size_t i = 0; i < workers_.size(); ++i) {
            auto& worker = workers_[i];
            const auto& group = workload_.groups[worker.group_index];
            if (!worker.external && slot_of(worker).counters.starts.load() > 0) continue;
            if (worker.external) {
                if (!group_consumers.count(group.name)) {
                    auto& names = group_consumers[group.name];
                    for (const auto& consumer : redis::xinfo_consumers(
                             redis, config_.shards.front().stream(), group.name)) {
                        names.insert(consumer.name);
                    }
                }
                if (!clients) clients = redis::client_list(redis);
                if (reads_group(i, group_consumers[group.name], *clients)) continue;
            }
            if (auto status = worker.process.poll()) {
                throw EnvironmentError(describe(worker) + " exited before it read its group (" +
                                       os::describe_wait_status(*status) + "); see " +
                                       log_path(worker));
            }
            auto timeout_ns = worker.external
                                  ? static_cast<std::int64_t>(group.consumer->start_timeout_s * 1e9)
                                  : builtin_timeout_ns;
            if (measure::monotonic_ns() - worker.started_ns > timeout_ns) {
                throw EnvironmentError(describe(worker) + " did not read its group within " +
                                       format_seconds(timeout_ns) + "; see " + log_path(worker));
            }
            all_started = false;
        }
        if (all_started || stop.requested()) return;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
}

bool Fleet::reads_group(std::size_t index, const std::set<std::string>& group_consumers,
                        const std::vector<redis::ClientInfo>& clients) const {
    if (group_consumers.count(workers_[index].name) > 0) return true;
    static const std::set<std::string> group_commands = {"xreadgroup", "xautoclaim", "xclaim",
                                                         "xpending", "xack"};
    for (const auto& client : clients_of(index, clients)) {
        if (group_commands.count(client.cmd) > 0) return true;
    }
    return false;
}

std::vector<redis::ClientInfo> Fleet::clients_of(
    std::size_t index, const std::vector<redis::ClientInfo>& clients) const {
    const auto& worker = workers_[index];
    std::vector<redis::ClientInfo> own;
    if (!worker.process.running()) return own;
    if (!worker.external) {
        for (const auto& client : clients) {
            if (client.name == worker.client_name) own.push_back(client);
        }
        return own;
    }
    auto addresses = os::tcp_local_addresses(worker.process.pid());
    std::set<std::string> local(addresses.begin(), addresses.end());
    for (const auto& client : clients) {
        if (local.count(client.addr) > 0) own.push_back(client);
    }
    return own;
}

void Fleet::start_all() {
    for (auto& worker : workers_) start(worker, false);
}

std::vector<WorkerExit> Fleet::restart_exited() {
    std::vector<WorkerExit> exits;
    for (auto& worker : workers_) {
        if (worker.retired || worker.held) continue;
        auto status = worker.process.poll();
        if (!status) continue;
        WorkerExit exit;
        exit.name = worker.name;
        exit.group = worker.group;
        exit.how = os::describe_wait_status(*status);
        auto policy = workload_.groups[worker.group_index].restart;
        // A consumer that dies as soon as it starts would otherwise be started again every poll.
        constexpr std::int64_t quick_exit_ns = 2'000'000'000;
        constexpr int quick_exits_to_give_up = 3;
        bool quick = measure::monotonic_ns() - worker.started_ns < quick_exit_ns;
        worker.quick_exits = quick ? worker.quick_exits + 1 : 0;
        if (worker.quick_exits >= quick_exits_to_give_up) {
            worker.retired = true;
            exit.how += "; it exited within 2 s of starting " +
                        std::to_string(quick_exits_to_give_up) + " times in a row";
        } else if (policy == workload::RestartPolicy::never) {
            worker.retired = true;
        } else {
            start(worker, policy == workload::RestartPolicy::new_name);
            exit.restarted = true;
            exit.restarted_as = worker.name;
        }
        exits.push_back(std::move(exit));
    }
    return exits;
}

std::vector<std::string> Fleet::stop_all(std::chrono::milliseconds grace) {
    for (auto& worker : workers_) worker.process.signal(SIGTERM);
    auto deadline = std::chrono::steady_clock::now() + grace;
    std::vector<std::string> killed;
    for (auto& worker : workers_) {
        if (!worker.process.running()) continue;
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        auto status = worker.process.terminate(std::max(left, std::chrono::milliseconds(0)));
        if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) killed.push_back(worker.name);
    }
    return killed;
}

bool Fleet::usable(std::size_t index) const {
    const auto& worker = workers_[index];
    return worker.process.running() && !worker.retired && !worker.held;
}

bool Fleet::any_in_flight() const {
    for (const auto& worker : workers_) {
        if (worker.process.running() &&
            slot_of(worker).state.in_flight.load(std::memory_order_relaxed) > 0) {
            return true;
        }
    }
    return false;
}

void Fleet::freeze(std::size_t index) {
    workers_[index].process.signal(SIGSTOP);
}

void Fleet::thaw(std::size_t index) {
    workers_[index].process.signal(SIGCONT);
}

void Fleet::kill(std::size_t index) {
    auto& worker = workers_[index];
    worker.process.signal(SIGKILL);
    worker.process.wait();
}

void Fleet::pause(std::size_t index) {
    workers_[index].process.signal(SIGSTOP);
    workers_[index].held = true;
}

void Fleet::hold(std::size_t index) {
    workers_[index].held = true;
}

void Fleet::resume(std::size_t index) {
    workers_[index].process.signal(SIGCONT);
    workers_[index].held = false;
}

void Fleet::stop(std::size_t index) {
    workers_[index].process.signal(SIGTERM);
    workers_[index].held = true;
}

std::optional<int> Fleet::poll(std::size_t index) {
    return workers_[index].process.poll();
}

int Fleet::force_exit(std::size_t index) {
    workers_[index].process.signal(SIGKILL);
    return workers_[index].process.wait();
}

bool Fleet::stopped(std::size_t index) const {
    return workers_[index].process.stopped();
}

std::optional<std::string> Fleet::release(std::size_t index, workload::RestartPolicy restart) {
    auto& worker = workers_[index];
    worker.held = false;
    if (restart == workload::RestartPolicy::never) {
        worker.retired = true;
        return std::nullopt;
    }
    start(worker, restart == workload::RestartPolicy::new_name);
    return worker.name;
}

const measure::ConsumerSlot& Fleet::slot(std::size_t index) const {
    return slot_of(workers_[index]);
}

measure::ConsumerControl& Fleet::control(std::size_t index) {
    return slots_.slots()[workers_[index].slot].control;
}

std::chrono::milliseconds Fleet::stop_grace() const {
    // Exponential service times have no upper bound: a batch taking more than three times its
    // mean plus twenty single means is improbable enough (e^-20 for one order).
    constexpr std::int64_t margin_ms = 5000;
    std::int64_t longest_ms = 0;
    for (const auto& group : workload_.groups) {
        if (group.consumer) {
            // The user says how long their consumer needs to finish its batch.
            longest_ms = std::max(
                longest_ms,
                static_cast<std::int64_t>(group.consumer->stop_timeout_s * 1000) - margin_ms);
            continue;
        }
        auto mean_us = group.service_time.mean_us;
        // A claim pass hands up to claim.count entries to the worker at once.
        auto batch = group.claim.enabled ? std::max(group.batch, group.claim.count) : group.batch;
        std::int64_t batch_us = batch * mean_us;
        switch (group.service_time.distribution) {
            case workload::ServiceDistribution::constant:
                break;
            case workload::ServiceDistribution::uniform:
                batch_us = 2 * batch * mean_us;
                break;
            case workload::ServiceDistribution::exponential:
                batch_us = 3 * batch * mean_us + 20 * mean_us;
                break;
        }
        longest_ms =
            std::max(longest_ms, group.block_ms + batch_us / 1000 + group.sleep_after_batch_ms);
    }
    return std::chrono::milliseconds(longest_ms + margin_ms);
}

}  // namespace sh::run
