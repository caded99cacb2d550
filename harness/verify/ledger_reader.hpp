// Reads a group's ledger (applied bitmap, duplicate hash, dead letters, points, shares) and
// what is left pending or unread, from Redis, for the verifier.
#pragma once

#include "harness/model/keys.hpp"
#include "harness/redis/connection.hpp"
#include "harness/verify/verifier.hpp"
#include "harness/workload/workload.hpp"

namespace sh::verify {

// orders: how many order numbers the run handed out (an external consumer's ledger may name
// others). effect_store: where a group with effect_store separate keeps its bitmap, duplicate,
// points and shares hashes (null: in the stream's server); dead letters and pending entries are
// always read from the stream's server.
GroupLedger read_ledger(redis::Connection& connection, const model::RunKeys& keys,
                        const workload::GroupSpec& group, std::uint64_t orders,
                        redis::Connection* effect_store = nullptr);

// Whether the group still has entries of this run to read. XINFO's lag alone cannot tell:
// after a trim deleted entries the group never read, Redis 7.0 keeps counting them in lag
// (entries-added minus entries-read), though nothing is left to deliver; and on a stream that
// others write to, their entries are not the run's to wait for.
bool has_unread(redis::Connection& connection, const model::RunKeys& keys,
                const redis::GroupInfo& info);
// How many of the run's entries after the group's last-delivered-id are still in the stream.
std::int64_t unread_count(redis::Connection& connection, const model::RunKeys& keys,
                          const redis::GroupInfo& info);
// The order numbers of every one of the run's own entries in the stream (none when it is gone).
std::vector<std::uint64_t> orders_in_stream(redis::Connection& connection,
                                            const model::RunKeys& keys);
// The order numbers among `candidates` that are in the stream as the run's own entries.
std::vector<std::uint64_t> find_in_stream(redis::Connection& connection, const model::RunKeys& keys,
                                          const std::vector<std::uint64_t>& candidates);

// Over every shard of the stream: one ledger per group (add_shard_ledger), and the order
// numbers of the run's entries in any shard.
GroupLedger read_ledger(redis::Connection& connection, const model::StreamShards& shards,
                        const workload::GroupSpec& group, std::uint64_t orders,
                        redis::Connection* effect_store = nullptr);
std::vector<std::uint64_t> orders_in_stream(redis::Connection& connection,
                                            const model::StreamShards& shards);
std::vector<std::uint64_t> find_in_stream(redis::Connection& connection,
                                          const model::StreamShards& shards,
                                          const std::vector<std::uint64_t>& candidates);

}  // namespace sh::verify
