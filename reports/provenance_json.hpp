// The part of a report's provenance (DESIGN §9.1) the run itself knows: the target Redis's
// version and the configuration that changes its numbers. The command line, tags, build and
// host are added by the command that writes the report (harness/cli/provenance).
#pragma once

#include <nlohmann/json.hpp>

#include "harness/run/run_result.hpp"

namespace sh::reports {

// provenance.redis: version, mode, persistence, appendfsync, maxmemory_bytes, maxmemory_policy,
// io_threads (null where the server would not tell).
nlohmann::json redis_provenance_json(const run::Environment& environment);
// The configuration back from a report's provenance.redis (empty when the report has none).
run::RedisConfig redis_config_of(const nlohmann::json& report);

}  // namespace sh::reports
