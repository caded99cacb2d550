// What a run keeps in Redis about itself while it goes (sh:{<run-id>}:record, DESIGN §10): its
// effective workload, entry stamp and what it created there, so that `streamharness verify` and
// `cleanup --run-id` can judge or remove it after the harness itself died.
#pragma once

#include <optional>
#include <string>

#include "harness/redis/connection.hpp"
#include "harness/run/redis_setup.hpp"
#include "harness/workload/workload.hpp"

namespace sh::run {

struct RunRecord {
    std::string run_id;
    std::string started_at;
    std::string stamp;  // the `run` field of every entry the run wrote
    workload::Workload workload;
    CreatedOnRedis created;
};

// SET, once the run's groups exist; removed with the run's other keys.
void write_record(redis::Connection& connection, const RunRecord& record);
// None when the server holds no record of that run (it finished and cleaned up, or never ran
// there); throws EnvironmentError naming the key when the record is damaged.
std::optional<RunRecord> read_record(redis::Connection& connection, const std::string& run_id);

}  // namespace sh::run
