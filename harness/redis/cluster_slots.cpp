#include "harness/redis/cluster_slots.hpp"

#include <array>
#include <charconv>
#include <stdexcept>

namespace sh::redis {

namespace {

constexpr std::array<std::uint16_t, 256> crc16_table = [] {
    std::array<std::uint16_t, 256> table{};
    for (unsigned byte = 0; byte < 256; ++byte) {
        auto crc = static_cast<std::uint16_t>(byte << 8);
        for (int bit = 0; bit < 8; ++bit) {
            crc = static_cast<std::uint16_t>((crc & 0x8000) != 0 ? (crc << 1) ^ 0x1021 : crc << 1);
        }
        table[byte] = crc;
    }
    return table;
}();

// [ip, port, id, ...]; false when the endpoint is unknown ("?") or the port is 0.
bool read_node(const ReplyView& node, const std::string& reached_host, HostPort& address) {
    if (!node.is_array() || node.size() < 2 || !node.element(0).is_string() ||
        !node.element(1).is_integer()) {
        throw std::runtime_error("CLUSTER SLOTS: a node entry is not [ip, port, ...] but " +
                                 node.describe_type());
    }
    auto host = node.element(0).text();
    auto port = node.element(1).integer();
    if (host == "?" || port <= 0 || port > 65535) return false;
    address.host = host.empty() ? reached_host : std::string(host);
    address.port = static_cast<int>(port);
    return true;
}

}  // namespace

std::uint16_t crc16(std::string_view data) {
    std::uint16_t crc = 0;
    for (unsigned char byte : data) {
        crc = static_cast<std::uint16_t>((crc << 8) ^ crc16_table[((crc >> 8) ^ byte) & 0xff]);
    }
    return crc;
}

int key_slot(std::string_view key) {
    auto open = key.find('{');
    if (open != std::string_view::npos) {
        auto close = key.find('}', open + 1);
        if (close != std::string_view::npos && close != open + 1) {
            key = key.substr(open + 1, close - open - 1);
        }
    }
    return crc16(key) & (cluster_slot_count - 1);
}

std::vector<ClusterSlotRange> parse_cluster_slots(const ReplyView& reply,
                                                  const std::string& reached_host) {
    if (!reply.is_array()) {
        throw std::runtime_error("CLUSTER SLOTS answered " + reply.describe_type());
    }
    std::vector<ClusterSlotRange> ranges;
    for (std::size_t i = 0; i < reply.size(); ++i) {
        auto entry = reply.element(i);
        if (!entry.is_array() || entry.size() < 3 || !entry.element(0).is_integer() ||
            !entry.element(1).is_integer()) {
            throw std::runtime_error("CLUSTER SLOTS: an entry is not [first, last, primary, ...]");
        }
        ClusterSlotRange range;
        range.first = static_cast<int>(entry.element(0).integer());
        range.last = static_cast<int>(entry.element(1).integer());
        if (range.first < 0 || range.last < range.first || range.last >= cluster_slot_count) {
            throw std::runtime_error("CLUSTER SLOTS: bad slot range " +
                                     std::to_string(range.first) + "-" +
                                     std::to_string(range.last));
        }
        if (read_node(entry.element(2), reached_host, range.primary)) {
            ranges.push_back(std::move(range));
        }
    }
    return ranges;
}

Redirect parse_redirect(std::string_view error, const std::string& reached_host) {
    Redirect redirect;
    Redirect::Kind kind = Redirect::Kind::none;
    if (error.substr(0, 6) == "MOVED ") {
        kind = Redirect::Kind::moved;
        error.remove_prefix(6);
    } else if (error.substr(0, 4) == "ASK ") {
        kind = Redirect::Kind::ask;
        error.remove_prefix(4);
    } else {
        return redirect;
    }
    // "<slot> <host>:<port>": the host is written without brackets, even an IPv6 one.
    auto space = error.find(' ');
    auto colon = error.rfind(':');
    if (space == std::string_view::npos || colon == std::string_view::npos || colon < space) {
        return redirect;
    }
    int slot = 0;
    int port = 0;
    auto slot_text = error.substr(0, space);
    auto port_text = error.substr(colon + 1);
    auto slot_end = std::from_chars(slot_text.data(), slot_text.data() + slot_text.size(), slot);
    auto port_end = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (slot_end.ec != std::errc{} || port_end.ec != std::errc{} ||
        slot_end.ptr != slot_text.data() + slot_text.size() ||
        port_end.ptr != port_text.data() + port_text.size() || slot < 0 ||
        slot >= cluster_slot_count || port <= 0 || port > 65535) {
        return redirect;
    }
    auto host = error.substr(space + 1, colon - space - 1);
    redirect.kind = kind;
    redirect.slot = slot;
    redirect.target.host = host.empty() ? reached_host : std::string(host);
    redirect.target.port = port;
    return redirect;
}

}  // namespace sh::redis
