// `streamharness verify --run-id ID`: judges a run again from what Redis holds, after the
// harness that ran it died (or with --keep-keys, at any later time). The producers' own record
// died with the harness, so the run's entries still in the stream stand for what was produced:
// every other order number is unknown (counted only when a group applied or dead-lettered it,
// and never as lost), no hard kill is known to explain a duplicate, and the gates on latency,
// throughput and the producers' failures are not judged (they were measurements of the run).
#pragma once

#include "harness/redis/connection.hpp"
#include "harness/run/run_record.hpp"
#include "harness/run/run_result.hpp"

namespace sh::run {

// Throws WorkloadError for a run with stream.retention: the trimmed entries took the proof.
RunResult reverify(redis::Connection& connection, const RunRecord& record);

}  // namespace sh::run
