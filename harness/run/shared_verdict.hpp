// `merge` (DESIGN §11.1): a run its agents shared, judged once, from Redis, after every agent
// finished. The agents' producers' records are joined into one table of order numbers (each
// agent's are interleaved with the others'), and the run's ledgers are read and judged as a
// run that judges itself does (run_verdict.hpp).
#pragma once

#include <vector>

#include "harness/redis/connection.hpp"
#include "harness/run/run_record.hpp"
#include "harness/run/run_result.hpp"

namespace sh::run {

// `result` holds the agents' merged measurements (groups with counters and histograms,
// producing_s, drain_s, drained, evicted_keys as the most any agent counted, faults and
// held_at_hard_kills); parts are every agent's, one each. Sets the producers' totals, the
// groups' verdicts, evicted_keys, the gates and the verdict.
void judge_shared_run(RunResult& result, redis::Connection& redis, const RunRecord& record,
                      const std::vector<AgentPart>& parts);

}  // namespace sh::run
