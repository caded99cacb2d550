// Reads a group's ledger (applied bitmap, duplicate hash, dead letters, points, shares) and
// what is left pending or unread, from Redis, for the verifier.
#pragma once

#include "harness/model/keys.hpp"
#include "harness/redis/connection.hpp"
#include "harness/verify/verifier.hpp"
#include "harness/workload/workload.hpp"

namespace sh::verify {

GroupLedger read_ledger(redis::Connection& connection, const model::RunKeys& keys,
                        const workload::GroupSpec& group);

// Entries not yet delivered to the group: XINFO GROUPS lag, or, when Redis cannot tell (nil
// lag after deletions), the entries after the group's last-delivered-id.
std::int64_t lag_of(redis::Connection& connection, const std::string& stream_key,
                    const redis::GroupInfo& info);

}  // namespace sh::verify
