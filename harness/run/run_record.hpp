// What a run keeps in Redis about itself while it goes (sh:{<run-id>}:record, DESIGN §10): its
// effective workload, entry stamp, what it created there and how far it got, so that
// `streamharness verify` and `cleanup --run-id` can judge or remove it after the harness died.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "harness/redis/connection.hpp"
#include "harness/run/redis_setup.hpp"
#include "harness/workload/workload.hpp"

namespace sh::run {

struct RunRecord {
    std::string run_id;
    std::string started_at;
    std::string stamp;            // the `run` field of every entry the run wrote
    workload::Workload workload;  // consumer env values are not kept (they may hold secrets)
    CreatedOnRedis created;
    // Progress: the load phase ended with this many order numbers handed out, of which this
    // many XADDs Redis acknowledged, and the run's own verdict once it had one ("pass", "fail";
    // empty before).
    bool load_finished = false;
    std::uint64_t orders_allocated = 0;
    std::uint64_t orders_produced_ok = 0;
    std::string verdict;
    // Agents sharing the run (--agent I/N); the progress above is then agent 1's alone, each
    // agent's is in sh:{<run-id>}:agents (run/agent_barrier.hpp).
    int agents = 1;
    std::string consumer_env_digest;  // of the consumer env values the workload does not keep
};

// The workload as the record keeps it: consumer env values are not kept (they may hold
// secrets). Agents compare theirs with agent 1's in this form.
nlohmann::json recorded_workload(const workload::Workload& workload);
std::string consumer_env_digest(const workload::Workload& workload);

// The first write refuses (EnvironmentError) a record that exists already: another run took
// the id. Later writes record progress.
void write_record(redis::Connection& connection, const RunRecord& record, bool first);
// None when the server holds no record of that run (it finished and cleaned up, or never ran
// there); throws EnvironmentError naming the key when the record is damaged.
std::optional<RunRecord> read_record(redis::Connection& connection, const std::string& run_id);

}  // namespace sh::run
