// report.json's `cluster` section (DESIGN §11): the primaries, where each shard's slot lived at
// the start and at the end, and the redirections and retries the clients absorbed. Null for a
// run on one server.
#pragma once

#include <nlohmann/json.hpp>

#include "harness/run/run_result.hpp"

namespace sh::reports {

nlohmann::json cluster_json(const run::RunResult& result);

}  // namespace sh::reports
