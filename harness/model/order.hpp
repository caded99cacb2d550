// An order as it travels through the stream: its fields, and the attributes every party can
// recompute from its sequence number and the run seed (so the verifier stores nothing per order).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "harness/redis/command_buffer.hpp"
#include "harness/redis/streams.hpp"

namespace sh::model {

struct Order {
    std::uint64_t seq = 0;  // "orderno": dense, unique per run
    std::uint64_t user = 0;
    std::int64_t amount = 0;
    std::int64_t intended_send_ns = 0;  // "ts": the open-loop schedule's send time
    bool poison = false;
};

// The attributes fixed by (seed, seq): the producer writes them, the verifier recomputes them.
struct OrderAttributes {
    std::uint64_t seed = 1;
    std::uint64_t users = 1000;
    double poison_ratio = 0;

    std::uint64_t user_of(std::uint64_t seq) const;
    std::int64_t amount_of(std::uint64_t seq) const;  // 1..100
    bool is_poison(std::uint64_t seq) const;
    Order make(std::uint64_t seq, std::int64_t intended_send_ns) const;
};

// XADD field list: run, orderno, user, amount, ts, [poison], pad (payload_bytes of filler).
// `run` stamps the entry with the run that produced it: on a stream that other writers share,
// it is how consumers and the verifier tell the run's entries from everyone else's.
redis::Args order_fields(const std::string& stamp, const Order& order, std::size_t payload_bytes);
// The same XADD (key * fields...) encoded into a command buffer: the producer's hot path.
void append_xadd(redis::CommandBuffer& buffer, const std::string& key, const std::string& stamp,
                 const Order& order, std::size_t payload_bytes);
// nullopt when a field is missing or not a number: the entry is malformed.
std::optional<Order> decode_order(const redis::Fields& fields);
// Whether the entry carries this run's stamp. An entry without it is someone else's, whatever
// else it holds: the run never applies, dead-letters, deletes or counts it.
bool stamped_by(const redis::Fields& fields, std::string_view stamp);

}  // namespace sh::model
