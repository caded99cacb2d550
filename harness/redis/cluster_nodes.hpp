// What a Redis Cluster node says about the cluster (CLUSTER NODES, CLUSTER INFO), read into
// values: pure functions, so that the embedded cluster and its tests agree on one reading.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sh::redis {

inline constexpr int cluster_slot_count = 16384;

// One line of CLUSTER NODES: id ip:port@cport[,hostname] flags primary-id ping pong epoch link
// slot... (Redis 7.0).
struct ClusterNode {
    std::string id;
    std::string host;  // the address asked when Redis writes none (a node not yet met)
    int port = 0;
    bool primary = false;
    bool failed = false;     // flagged "fail" (the cluster agreed), not merely "fail?" (suspected)
    std::string primary_id;  // for a replica
    std::vector<std::pair<int, int>> slots;  // inclusive ranges (primaries)
    std::string flags;                       // as written: myself,master,handshake,noaddr...

    std::string host_port() const { return host + ":" + std::to_string(port); }
};

// A run of slots and the id of the primary that owns it.
struct SlotRange {
    int first = 0;
    int last = 0;
    std::string owner_id;
    bool operator==(const SlotRange&) const = default;
};

// Parses CLUSTER NODES as the node at reached_host answered it. The importing/migrating markers
// ([slot->-id], [slot-<-id]) are left out: the slot still belongs to the node listing it. Throws
// std::invalid_argument naming a line it cannot read.
std::vector<ClusterNode> parse_cluster_nodes(std::string_view text,
                                             const std::string& reached_host);

// Who owns which slots, in slot order, adjacent runs of one owner joined: two nodes agree on the
// slot map when these are equal.
std::vector<SlotRange> slot_map(const std::vector<ClusterNode>& nodes);
// "0-5460:3f2a… 5461-10922:…" (ids cut to 8 characters), for error messages.
std::string describe(const std::vector<SlotRange>& map);
// The primary whose ranges hold slot, or nullptr.
const ClusterNode* owner_of_slot(const std::vector<ClusterNode>& nodes, int slot);
const ClusterNode* find_node(const std::vector<ClusterNode>& nodes, std::string_view id);

// The 16384 slots split into `primaries` contiguous ranges whose sizes differ by at most one.
std::vector<std::pair<int, int>> even_slot_ranges(int primaries);

// A field of CLUSTER INFO ("cluster_state" -> "ok"), "" when absent.
std::string cluster_info_field(std::string_view info, std::string_view field);

}  // namespace sh::redis
