// The verifier's part for runs with replicas (DESIGN §7.1): acknowledged writes missing from
// the stream, attributed to the change of primary that lost them; duplicates split off by the
// change they followed; and the facts the replication gates judge.
#pragma once

#include <vector>

#include "harness/model/keys.hpp"
#include "harness/model/order.hpp"
#include "harness/model/outcome_table.hpp"
#include "harness/redis/connection.hpp"
#include "harness/run/run_result.hpp"
#include "harness/verify/verifier.hpp"

namespace sh::run {

// Reads the run's entries from the stream (after the drain), fills result.lost_writes and each
// group verdict's lost_writes and duplicated_by_change, and returns the gates' facts.
verify::ReplicationFacts judge_primary_changes(RunResult& result, redis::Connection& connection,
                                               const model::RunKeys& keys,
                                               const model::OutcomeTable& outcomes,
                                               const model::OrderAttributes& attributes,
                                               const std::vector<verify::GroupLedger>& ledgers);

}  // namespace sh::run
