// The supervisor (DESIGN §3): owns one run from Redis set-up to verdict. It starts (or reaches)
// Redis, creates the groups, starts the consumer fleet and the producer threads, keeps the fleet
// alive, drains, verifies, and hands the result to the report writers.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "harness/model/agent_share.hpp"
#include "harness/os/stop_signals.hpp"
#include "harness/redis/url.hpp"
#include "harness/run/live_metrics.hpp"
#include "harness/run/run_observer.hpp"
#include "harness/run/run_result.hpp"
#include "harness/workload/workload.hpp"

namespace sh::run {

struct RunOptions {
    std::optional<redis::Endpoint> redis_endpoint;  // none: an embedded redis-server
    std::string run_id;                             // empty: generated
    std::string out_dir;              // logs and reports; made before Redis is touched
    std::string executable;           // the streamharness binary for workers
    bool keep_keys = false;           // leave the run's keys on an external Redis
    bool allow_eviction = false;      // run on a server whose policy may evict keys
    bool quiet = false;               // no progress lines
    RunObserver* observer = nullptr;  // the chaos controller, when the workload has faults
    // --agent I/N: this process runs agent I's share of a run N agents share (§11.1); its
    // result is then a part for `merge` (result.agent), not a verdict.
    model::AgentShare agent;
    std::chrono::milliseconds agent_timeout{120'000};  // at each barrier
    // --metrics-listen: fed every timeline row by the sampler, or null.
    LiveMetrics* live_metrics = nullptr;
};

// Runs the workload into `result`, which it fills as the run goes: when it throws
// EnvironmentError (Redis unreachable or gone, wrong key type, interrupted...), `result` holds
// what was measured until then and its phase, for the error report. Throws WorkloadError when
// the report directory cannot be written, before anything is created.
void execute_run(const workload::Workload& workload, const RunOptions& options,
                 const os::StopSignals& stop, RunResult& result);

// "r20261125-093000-1a2b3c": sortable and unique enough to share a Redis with other runs.
std::string generate_run_id();

}  // namespace sh::run
