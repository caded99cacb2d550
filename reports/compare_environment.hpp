// What `compare` checks besides the numbers: that base and new ran in the same environment (a
// different CPU, Redis version or io-threads setting moves latencies as much as a code change),
// and that they are two runs at all (a copied report.json would always show "no regression").
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace sh::reports {

struct EnvironmentCheck {
    // [{"field": "provenance.redis.io_threads", "base": 1, "candidate": 4}, ...]
    nlohmann::json differences = nlohmann::json::array();
    // One line per difference, plus one when a report has no provenance (an older streamharness
    // wrote it): then the few environment.* fields older reports have are compared instead.
    nlohmann::json warnings = nlohmann::json::array();
};

// Compares provenance.host.{cpu_model,cores,kernel,hostname},
// provenance.redis.{version,mode,persistence,appendfsync,maxmemory_policy,maxmemory_bytes,
// io_threads} and provenance.build.build_type; never the commit or the tags, which are what one
// compares. Warnings only: they never change the verdict or the exit code.
EnvironmentCheck check_environment(const nlohmann::json& base, const nlohmann::json& candidate);

// Throws WorkloadError naming both paths and the run id when base and candidate are one run: the
// same run_id and started_at and, for aggregates, the same runs.
void require_distinct_runs(const nlohmann::json& base, const nlohmann::json& candidate,
                           const std::string& base_path, const std::string& candidate_path);

}  // namespace sh::reports
