// report.json's `replication` section (DESIGN §7.1): per change of primary what it cost, the
// lost writes, where each group's effects lived, and how long the clients went without a
// primary. Null for a run without replicas.
#pragma once

#include <nlohmann/json.hpp>

#include "harness/run/run_result.hpp"

namespace sh::reports {

nlohmann::json replication_json(const run::RunResult& result);

}  // namespace sh::reports
