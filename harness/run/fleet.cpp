#include "harness/run/fleet.hpp"

#include <sys/wait.h>

#include <algorithm>
#include <csignal>
#include <iostream>

#include "harness/run/worker.hpp"

namespace sh::run {

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
            Worker worker;
            worker.group_index = g;
            worker.group = group.name;
            worker.index = i;
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

void Fleet::start(Worker& worker, bool new_name) {
    if (new_name) {
        ++worker.incarnation;
        worker.name = name_for(worker);
    }
    auto seed = workload_.seed * 1000003ULL + worker.slot * 7919ULL +
                static_cast<std::uint64_t>(worker.incarnation);
    worker.client_name =
        "sh:" + config_.run_id + ":" + worker.group + ":" + std::to_string(worker.index);
    std::vector<std::string> argv = {config_.executable, "worker",
                                     "--workload",       config_.workload_path,
                                     "--run-id",         config_.run_id,
                                     "--stamp",          config_.stamp,
                                     "--group",          worker.group,
                                     "--name",           worker.name,
                                     "--client-name",    worker.client_name,
                                     "--slot",           std::to_string(worker.slot),
                                     "--stats-fd",       "3",
                                     "--seed",           std::to_string(seed),
                                     "--group-start-id", config_.group_start_id};
    os::SpawnOptions options;
    std::string url_variable(redis_url_env);
    url_variable.append("=").append(config_.redis_url);
    options.env = {std::move(url_variable)};
    options.pass_fd = config_.stats_fd;
    options.output_path =
        config_.log_dir + "/" + worker.group + "-" + std::to_string(worker.index) + ".log";
    worker.process = os::ChildProcess::spawn(argv, options);
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
        if (policy == workload::RestartPolicy::never) {
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
