// Redis Cluster's key space as pure functions: the slot of a key (CRC16 with hash tags, as the
// cluster specification defines it) and the slot map CLUSTER SLOTS describes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "harness/redis/cluster_nodes.hpp"
#include "harness/redis/reply.hpp"
#include "harness/redis/url.hpp"

namespace sh::redis {

// CRC16-CCITT (XMODEM: polynomial 0x1021, initial value 0): "123456789" gives 0x31C3.
std::uint16_t crc16(std::string_view data);

// The slot of a key: CRC16 of the hash tag (between the first '{' and the first '}' after it,
// when not empty) or of the whole key, modulo 16384.
int key_slot(std::string_view key);

// One range of CLUSTER SLOTS: the slots first..last and the address of their primary.
struct ClusterSlotRange {
    int first = 0;
    int last = 0;
    HostPort primary;
};

// Reads a CLUSTER SLOTS reply (Redis 7.0 node entries: [ip, port, id, {metadata}]). An empty ip
// is the host we reached the answering node on (`reached_host`); a range whose primary's
// endpoint is unknown ("?") is left out, so its slots stay unmapped. Throws std::runtime_error
// on a reply of another shape.
std::vector<ClusterSlotRange> parse_cluster_slots(const ReplyView& reply,
                                                  const std::string& reached_host);

// The redirection an error reply asks for: "MOVED 3999 127.0.0.1:6381" or "ASK 3999 ...".
struct Redirect {
    enum class Kind { none, moved, ask } kind = Kind::none;
    int slot = 0;
    HostPort target;
};

// Reads MOVED/ASK errors (an empty host, ":6381", is `reached_host`); anything else is
// Kind::none.
Redirect parse_redirect(std::string_view error, const std::string& reached_host);

}  // namespace sh::redis
