// The supervisor (DESIGN §3): owns one run from Redis set-up to verdict. It starts (or reaches)
// Redis, creates the groups, starts the consumer fleet and the producer threads, keeps the fleet
// alive, drains, verifies, and hands the result to the report writers.
#pragma once

#include <optional>
#include <string>

#include "harness/os/stop_signals.hpp"
#include "harness/run/run_observer.hpp"
#include "harness/run/run_result.hpp"
#include "harness/workload/workload.hpp"

namespace sh::run {

struct RunOptions {
    std::optional<std::string> redis_url;  // none: an embedded redis-server
    std::string run_id;                    // empty: generated
    std::string out_dir;                   // where logs go (the report writer uses it too)
    std::string executable;                // the streamharness binary for workers
    bool keep_keys = false;                // leave the run's keys on an external Redis
    bool allow_eviction = false;           // run on a server whose policy may evict keys
    bool quiet = false;                    // no progress lines
    RunObserver* observer = nullptr;       // the chaos controller, when the workload has faults
};

// Throws EnvironmentError (Redis unreachable, wrong key type...) and WorkloadError (bad URL).
RunResult execute_run(const workload::Workload& workload, const RunOptions& options,
                      const os::StopSignals& stop);

// "r20261125-093000-1a2b3c": sortable and unique enough to share a Redis with other runs.
std::string generate_run_id();

}  // namespace sh::run
