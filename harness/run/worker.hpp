// The consumer worker process (`streamharness worker ...`): one consumer, started by the
// supervisor with fork+exec so a fault can SIGKILL it with messages in flight.
#pragma once

#include <cstdint>
#include <string>

namespace sh::run {

// The environment variable that carries the Redis URL to workers (never argv: ps shows argv).
inline constexpr const char* redis_url_env = "STREAMHARNESS_REDIS_URL";
// The separate effect store's URL, for a group with effect_store: separate.
inline constexpr const char* effect_store_url_env = "STREAMHARNESS_EFFECT_STORE_URL";

struct WorkerArgs {
    std::string workload_path;  // the effective workload, written by the supervisor
    std::string run_id;
    std::string stamp;  // the run's entry stamp
    std::string group;
    std::string name;
    std::string client_name;
    std::size_t slot = 0;
    int stats_fd = 3;
    std::uint64_t seed = 1;
    std::string group_start_id = "0";  // where the group is recreated after a Redis restart
    // The shards of the stream it reads: one consumer loop (a thread) each, under one name.
    std::vector<std::size_t> shards;
    // A run of `agents` agents: the agents on its clock ("1,3"; empty: every one), §11.1.
    int agents = 1;
    std::string clock_agents;
};

// Runs the worker until SIGTERM (clean stop: the batch in hand is acknowledged first).
// Returns the process exit code.
int run_worker(const WorkerArgs& args);

}  // namespace sh::run
