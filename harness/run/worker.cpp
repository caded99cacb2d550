#include "harness/run/worker.hpp"

#include <atomic>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>
#include <thread>

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
        auto clock = model::SharedClock::parse(args.clock_agents, args.agents);
        if (!clock) throw WorkloadError({"--clock-agents '" + args.clock_agents + "': not agents"});
        std::optional<redis::Endpoint> effect_store;
        if (group.effect_store == workload::EffectStore::separate) {
            const char* store = std::getenv(effect_store_url_env);
            if (store == nullptr) {
                throw EnvironmentError(std::string(effect_store_url_env) + " is not set");
            }
            effect_store = redis::parse_url(store);
        }
        model::StreamShards shards(args.run_id, workload.stream.name, workload.stream.key,
                                   args.stamp, workload.stream.shards);
        auto shard_list = args.shards.empty() ? std::vector<std::size_t>{0} : args.shards;
        std::vector<std::unique_ptr<consume::Consumer>> loops;
        for (std::size_t i = 0; i < shard_list.size(); ++i) {
            if (shard_list[i] >= shards.size()) throw WorkloadError({"--shard: no such shard"});
            consume::ConsumerConfig config{redis::parse_url(url),
                                           shards[shard_list[i]],
                                           group,
                                           args.name,
                                           args.client_name,
                                           args.seed ^ (i * 0x9E3779B97F4A7C15ULL),
                                           args.group_start_id,
                                           effect_store,
                                           *clock,
                                           shard_list.size() > 1,
                                           i == 0};
            loops.push_back(std::make_unique<consume::Consumer>(std::move(config), slot));
        }
        if (loops.size() == 1) {
            loops.front()->run([&] { return stop.requested(); });
            return 0;
        }
        // One loop per shard, each on its own thread and connection, under the one consumer
        // name. A loop that fails stops the others cleanly (each finishes the batch in hand, as
        // on SIGTERM) and the process exits 3, as a one-shard consumer's failure does: the
        // fleet restarts it whole.
        consume::Consumer::reset_slot(slot);
        std::atomic<bool> failed{false};
        auto stop_requested = [&] { return stop.requested() || failed.load(); };
        std::vector<std::thread> threads;
        for (auto& loop : loops) {
            threads.emplace_back([&, consumer = loop.get()] {
                try {
                    consumer->run(stop_requested);
                } catch (const std::exception& error) {
                    std::cerr << "worker " << args.name << ": " << error.what() << std::endl;
                    failed.store(true);
                } catch (...) {
                    failed.store(true);
                }
            });
        }
        for (auto& thread : threads) thread.join();
        return failed.load() ? static_cast<int>(ExitCode::environment) : 0;
    } catch (const WorkloadError& error) {
        std::cerr << "worker " << args.name << ": " << error.what() << "\n";
        return static_cast<int>(ExitCode::usage);
    } catch (const std::exception& error) {
        std::cerr << "worker " << args.name << ": " << error.what() << "\n";
        return static_cast<int>(ExitCode::environment);
    }
}

}  // namespace sh::run
