// Typed stream commands: what the rest of the harness calls instead of assembling RESP by hand.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "harness/redis/connection.hpp"

namespace sh::redis {

using Fields = std::vector<std::pair<std::string, std::string>>;

struct StreamEntry {
    std::string id;
    Fields fields;  // empty when the entry was deleted from the stream but is still pending
};

struct GroupInfo {
    std::string name;
    std::int64_t consumers = 0;
    std::int64_t pending = 0;
    std::string last_delivered_id;
    std::optional<std::int64_t> lag;  // nil when Redis cannot tell (after XDEL of undelivered)
};

struct ConsumerInfo {
    std::string name;
    std::int64_t pending = 0;
    std::int64_t idle_ms = 0;
};

struct PendingEntry {
    std::string id;
    std::string consumer;
    std::int64_t idle_ms = 0;
    std::int64_t deliveries = 0;
};

// Entries of an XRANGE/XCLAIM reply (an array of [id, fields]). Both throw std::runtime_error
// on a reply of any other shape.
std::vector<StreamEntry> parse_entries(ReplyView entries);
// Entries of an XREADGROUP/XREAD reply for a single stream; nil (timeout) gives none.
std::vector<StreamEntry> parse_read_reply(ReplyView reply);

// XGROUP CREATE key group id MKSTREAM; false when the group already exists (BUSYGROUP).
bool create_group(Connection& connection, const std::string& key, const std::string& group,
                  const std::string& start_id);
std::vector<GroupInfo> xinfo_groups(Connection& connection, const std::string& key);
std::vector<ConsumerInfo> xinfo_consumers(Connection& connection, const std::string& key,
                                          const std::string& group);
// XPENDING key group IDLE min_idle start + count [consumer]
std::vector<PendingEntry> xpending(Connection& connection, const std::string& key,
                                   const std::string& group, std::int64_t min_idle_ms,
                                   std::int64_t count, const std::string& consumer = {},
                                   const std::string& start = "-");
std::int64_t xlen(Connection& connection, const std::string& key);

// "1700000000000-5" -> {1700000000000, 5}; used to compare IDs without string tricks.
std::pair<std::uint64_t, std::uint64_t> parse_id(const std::string& id);

// Field value by name, or nullptr.
const std::string* find_field(const Fields& fields, std::string_view name);

}  // namespace sh::redis
