#include "harness/redis/cluster_nodes.hpp"

#include <algorithm>
#include <charconv>
#include <sstream>
#include <stdexcept>

namespace sh::redis {

namespace {

int parse_int(std::string_view text, std::string_view line) {
    int value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size()) {
        throw std::invalid_argument("CLUSTER NODES: '" + std::string(text) +
                                    "' is not a number in line: " + std::string(line));
    }
    return value;
}

// The non-empty lines of a reply, without their "\r".
std::vector<std::string_view> lines_of(std::string_view text) {
    std::vector<std::string_view> lines;
    for (std::size_t start = 0; start < text.size();) {
        auto end = text.find('\n', start);
        if (end == std::string_view::npos) end = text.size();
        auto line = text.substr(start, end - start);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (!line.empty()) lines.push_back(line);
        start = end + 1;
    }
    return lines;
}

bool has_flag(std::string_view flags, std::string_view flag) {
    std::size_t start = 0;
    for (;;) {
        auto comma = flags.find(',', start);
        if (flags.substr(start, comma - start) == flag) return true;
        if (comma == std::string_view::npos) return false;
        start = comma + 1;
    }
}

ClusterNode parse_line(std::string_view line, const std::string& reached_host) {
    std::vector<std::string_view> fields;
    for (std::size_t start = 0; start < line.size();) {
        auto space = line.find(' ', start);
        if (space == std::string_view::npos) space = line.size();
        if (space > start) fields.push_back(line.substr(start, space - start));
        start = space + 1;
    }
    if (fields.size() < 8) {
        throw std::invalid_argument("CLUSTER NODES: fewer than 8 fields in line: " +
                                    std::string(line));
    }
    ClusterNode node;
    node.id = fields[0];
    // ip:port@cport[,hostname]; the ip may be an IPv6 address, so the port follows the last ':'.
    auto address = fields[1].substr(0, fields[1].find_first_of("@,"));
    auto colon = address.rfind(':');
    if (colon == std::string_view::npos) {
        throw std::invalid_argument("CLUSTER NODES: no ip:port in line: " + std::string(line));
    }
    node.host = colon == 0 ? reached_host : std::string(address.substr(0, colon));
    node.port = parse_int(address.substr(colon + 1), line);
    node.flags = fields[2];
    node.primary = has_flag(node.flags, "master");
    node.failed = has_flag(node.flags, "fail");
    if (fields[3] != "-") node.primary_id = fields[3];
    for (std::size_t i = 8; i < fields.size(); ++i) {
        auto slot = fields[i];
        if (slot.front() == '[') continue;  // importing or migrating: owned by the lister still
        auto dash = slot.find('-');
        int first = parse_int(slot.substr(0, dash), line);
        int last = dash == std::string_view::npos ? first : parse_int(slot.substr(dash + 1), line);
        node.slots.emplace_back(first, last);
    }
    return node;
}

}  // namespace

std::vector<ClusterNode> parse_cluster_nodes(std::string_view text,
                                             const std::string& reached_host) {
    std::vector<ClusterNode> nodes;
    for (auto line : lines_of(text)) nodes.push_back(parse_line(line, reached_host));
    return nodes;
}

std::vector<SlotRange> slot_map(const std::vector<ClusterNode>& nodes) {
    std::vector<SlotRange> ranges;
    for (const auto& node : nodes) {
        if (!node.primary) continue;
        for (auto [first, last] : node.slots) ranges.push_back({first, last, node.id});
    }
    std::sort(ranges.begin(), ranges.end(),
              [](const SlotRange& a, const SlotRange& b) { return a.first < b.first; });
    std::vector<SlotRange> joined;
    for (auto& range : ranges) {
        if (!joined.empty() && joined.back().owner_id == range.owner_id &&
            joined.back().last + 1 == range.first) {
            joined.back().last = range.last;
        } else {
            joined.push_back(std::move(range));
        }
    }
    return joined;
}

std::string describe(const std::vector<SlotRange>& map) {
    if (map.empty()) return "(no slot assigned)";
    std::ostringstream text;
    for (const auto& range : map) {
        if (text.tellp() > 0) text << ' ';
        text << range.first << '-' << range.last << ':' << range.owner_id.substr(0, 8);
    }
    return text.str();
}

const ClusterNode* owner_of_slot(const std::vector<ClusterNode>& nodes, int slot) {
    for (const auto& node : nodes) {
        if (!node.primary) continue;
        for (auto [first, last] : node.slots) {
            if (first <= slot && slot <= last) return &node;
        }
    }
    return nullptr;
}

const ClusterNode* find_node(const std::vector<ClusterNode>& nodes, std::string_view id) {
    for (const auto& node : nodes) {
        if (node.id == id) return &node;
    }
    return nullptr;
}

std::vector<std::pair<int, int>> even_slot_ranges(int primaries) {
    if (primaries < 1 || primaries > cluster_slot_count) {
        throw std::invalid_argument("cannot split the slots among " + std::to_string(primaries) +
                                    " primaries");
    }
    std::vector<std::pair<int, int>> ranges;
    for (int i = 0; i < primaries; ++i) {
        ranges.emplace_back(i * cluster_slot_count / primaries,
                            (i + 1) * cluster_slot_count / primaries - 1);
    }
    return ranges;
}

std::string cluster_info_field(std::string_view info, std::string_view field) {
    for (auto line : lines_of(info)) {
        if (line.size() > field.size() && line.substr(0, field.size()) == field &&
            line[field.size()] == ':') {
            return std::string(line.substr(field.size() + 1));
        }
    }
    return {};
}

}  // namespace sh::redis
