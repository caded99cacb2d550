#include "harness/run/fleet.hpp"

#include <csignal>
#include <iostream>

#include "harness/run/worker.hpp"

namespace sh::run {

Fleet::Fleet(FleetConfig config, const workload::Workload& workload)
    : config_(std::move(config)), workload_(workload) {
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
                                     "--group",          worker.group,
                                     "--name",           worker.name,
                                     "--client-name",    worker.client_name,
                                     "--slot",           std::to_string(worker.slot),
                                     "--stats-fd",       "3",
                                     "--seed",           std::to_string(seed)};
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
        if (worker.retired || worker.controlled) continue;
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

void Fleet::stop_all(std::chrono::milliseconds grace) {
    for (auto& worker : workers_) worker.process.signal(SIGTERM);
    for (auto& worker : workers_) worker.process.terminate(grace);
}

}  // namespace sh::run
