#include "harness/run/worker.hpp"

#include <cstdlib>
#include <iostream>

#include "harness/consume/consumer.hpp"
#include "harness/errors.hpp"
#include "harness/os/shared_memory.hpp"
#include "harness/os/stop_signals.hpp"
#include "harness/workload/workload_json.hpp"

namespace sh::run {

namespace {

const workload::GroupSpec& find_group(const workload::Workload& workload, const std::string& name) {
    for (const auto& group : workload.groups) {
        if (group.name == name) return group;
    }
    throw WorkloadError({"groups: no group named '" + name + "'"});
}

}  // namespace

int run_worker(const WorkerArgs& args) {
    os::StopSignals stop;
    try {
        const char* url = std::getenv(redis_url_env);
        if (url == nullptr) throw EnvironmentError(std::string(redis_url_env) + " is not set");
        auto workload = workload::load_workload(args.workload_path);
        auto memory = os::SharedMemory::attach(args.stats_fd);
        auto* region = measure::StatsRegion::from_mapping(memory.data(), memory.size());
        if (args.slot >= region->slot_count) throw EnvironmentError("stats slot out of range");
        auto& slot = region->slots()[args.slot];
        slot.counters.pid.store(getpid());

        const auto& group = find_group(workload, args.group);
        consume::ConsumerConfig config{
            redis::parse_url(url),
            model::StreamShards(args.run_id, workload.stream.name, workload.stream.key, args.stamp,
                                workload.stream.shards)[args.shard],
            group,
            args.name,
            args.client_name,
            args.seed,
            args.group_start_id,
            std::nullopt,
            {}};
        auto clock = model::SharedClock::parse(args.clock_agents, args.agents);
        if (!clock) throw WorkloadError({"--clock-agents '" + args.clock_agents + "': not agents"});
        config.clock = *clock;
        if (group.effect_store == workload::EffectStore::separate) {
            const char* store = std::getenv(effect_store_url_env);
            if (store == nullptr) {
                throw EnvironmentError(std::string(effect_store_url_env) + " is not set");
            }
            config.effect_store = redis::parse_url(store);
        }
        consume::Consumer consumer(std::move(config), slot);
        consumer.run([&] { return stop.requested(); });
        return 0;
    } catch (const WorkloadError& error) {
        std::cerr << "worker " << args.name << ": " << error.what() << "\n";
        return static_cast<int>(ExitCode::usage);
    } catch (const std::exception& error) {
        std::cerr << "worker " << args.name << ": " << error.what() << "\n";
        return static_cast<int>(ExitCode::environment);
    }
}

}  // namespace sh::run
