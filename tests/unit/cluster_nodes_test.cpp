// Reading CLUSTER NODES and CLUSTER INFO as Redis 7.0.15 writes them (the lines below were
// copied from real nodes).
#include "harness/redis/cluster_nodes.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

using sh::redis::ClusterNode;
using sh::redis::SlotRange;

namespace {

// A primary owning a slot it is migrating, a replica, a failed primary, an empty primary and
// the node asked ("myself"), importing a slot.
constexpr const char* three_primaries =
    "8f8f0aaa8a48a5cfac638a111f376b332725b45c 127.0.0.1:17002@27002 master - 0 1796075524906 2 "
    "connected 8192-16383 [15495->-218f8fb20e874a972a54e57e24a0e2998c10f8d7]\r\n"
    "1696d0ff3947766783ca6b2f71b1f7498f9ee84d 127.0.0.1:17004@27004 slave "
    "218f8fb20e874a972a54e57e24a0e2998c10f8d7 0 1796075525057 1 connected\r\n"
    "a7fe46ffc9fd7f5d3f81d0fc5f2d04e659e4398a 127.0.0.1:17003@27003 master,fail - "
    "1796075535613 1796075535111 5 disconnected\r\n"
    "218f8fb20e874a972a54e57e24a0e2998c10f8d7 127.0.0.1:17001@27001 myself,master - 0 "
    "1796075524000 1 connected 0-8190 8191 [15495-<-8f8f0aaa8a48a5cfac638a111f376b332725b45c]\r\n";

}  // namespace

TEST(ClusterNodes, ParsesEveryFieldAndSkipsMigrationMarkers) {
    auto nodes = sh::redis::parse_cluster_nodes(three_primaries, "127.0.0.1");
    ASSERT_EQ(nodes.size(), 4u);
    const auto& second = nodes[0];
    EXPECT_EQ(second.id, "8f8f0aaa8a48a5cfac638a111f376b332725b45c");
    EXPECT_EQ(second.host, "127.0.0.1");
    EXPECT_EQ(second.port, 17002);
    EXPECT_TRUE(second.primary);
    EXPECT_FALSE(second.failed);
    EXPECT_EQ(second.primary_id, "");
    EXPECT_EQ(second.slots, (std::vector<std::pair<int, int>>{{8192, 16383}}));

    const auto& replica = nodes[1];
    EXPECT_FALSE(replica.primary);
    EXPECT_EQ(replica.primary_id, "218f8fb20e874a972a54e57e24a0e2998c10f8d7");
    EXPECT_TRUE(replica.slots.empty());

    EXPECT_TRUE(nodes[2].failed);
    EXPECT_TRUE(nodes[2].primary);
    EXPECT_EQ(nodes[2].flags, "master,fail");

    EXPECT_EQ(nodes[3].slots, (std::vector<std::pair<int, int>>{{0, 8190}, {8191, 8191}}));
    EXPECT_EQ(nodes[3].host_port(), "127.0.0.1:17001");
}

TEST(ClusterNodes, SuspectedIsNotFailed) {
    auto nodes = sh::redis::parse_cluster_nodes(
        "a7fe46ffc9fd7f5d3f81d0fc5f2d04e659e4398a 127.0.0.1:17003@27003 master,fail? - 1 2 5 "
        "connected 0-16383\n",
        "127.0.0.1");
    ASSERT_EQ(nodes.size(), 1u);
    EXPECT_FALSE(nodes[0].failed);
}

TEST(ClusterNodes, AddressesWithoutIpWithIPv6OrWithAHostname) {
    struct Case {
        const char* address;
        const char* host;  // expected
    };
    // A node not yet met writes no ip: the address asked stands. An IPv6 ip holds colons.
    for (auto [address, host] : {Case{":17001@27001", "10.1.2.3"}, Case{"::1:17001@27001", "::1"},
                                 Case{"10.0.0.5:17001@27001,node-a.example", "10.0.0.5"}}) {
        auto line = std::string("218f8fb20e874a972a54e57e24a0e2998c10f8d7 ") + address +
                    " myself,master - 0 0 0 connected 0-8191\n";
        auto nodes = sh::redis::parse_cluster_nodes(line, "10.1.2.3");
        ASSERT_EQ(nodes.size(), 1u) << line;
        EXPECT_EQ(nodes[0].host, host) << line;
        EXPECT_EQ(nodes[0].port, 17001) << line;
    }
}

TEST(ClusterNodes, MalformedLinesAreRefusedWithTheLine) {
    EXPECT_THROW(sh::redis::parse_cluster_nodes("abc 127.0.0.1:1@2 master\n", "h"),
                 std::invalid_argument);
    try {
        sh::redis::parse_cluster_nodes("abc 127.0.0.1:x@2 master - 0 0 0 connected\n", "h");
        FAIL() << "a port that is not a number was accepted";
    } catch (const std::invalid_argument& error) {
        EXPECT_NE(std::string(error.what()).find("127.0.0.1:x@2"), std::string::npos)
            << error.what();
    }
}

TEST(ClusterNodes, SlotMapJoinsRunsOfOneOwnerInSlotOrder) {
    auto nodes = sh::redis::parse_cluster_nodes(three_primaries, "127.0.0.1");
    auto map = sh::redis::slot_map(nodes);
    std::vector<SlotRange> expected = {{0, 8191, "218f8fb20e874a972a54e57e24a0e2998c10f8d7"},
                                       {8192, 16383, "8f8f0aaa8a48a5cfac638a111f376b332725b45c"}};
    EXPECT_EQ(map, expected);
    EXPECT_EQ(sh::redis::describe(map), "0-8191:218f8fb2 8192-16383:8f8f0aaa");
    EXPECT_EQ(sh::redis::describe({}), "(no slot assigned)");
}

TEST(ClusterNodes, OwnerOfSlotAndFindNode) {
    auto nodes = sh::redis::parse_cluster_nodes(three_primaries, "127.0.0.1");
    // 15495 is migrating away from 17002 but still its slot.
    const ClusterNode* owner = sh::redis::owner_of_slot(nodes, 15495);
    ASSERT_NE(owner, nullptr);
    EXPECT_EQ(owner->port, 17002);
    EXPECT_EQ(sh::redis::owner_of_slot(nodes, 8191)->port, 17001);
    EXPECT_EQ(sh::redis::find_node(nodes, "1696d0ff3947766783ca6b2f71b1f7498f9ee84d")->port, 17004);
    EXPECT_EQ(sh::redis::find_node(nodes, "nobody"), nullptr);
    EXPECT_EQ(sh::redis::owner_of_slot({}, 0), nullptr);
}

TEST(ClusterNodes, EvenSlotRangesCoverEverySlotOnce) {
    for (int primaries : {1, 3, 7, 16}) {
        auto ranges = sh::redis::even_slot_ranges(primaries);
        ASSERT_EQ(ranges.size(), static_cast<std::size_t>(primaries));
        int next = 0;
        for (auto [first, last] : ranges) {
            EXPECT_EQ(first, next);
            int size = last - first + 1;
            EXPECT_GE(size, 16384 / primaries);
            EXPECT_LE(size, 16384 / primaries + 1);
            next = last + 1;
        }
        EXPECT_EQ(next, 16384);
    }
    EXPECT_THROW(sh::redis::even_slot_ranges(0), std::invalid_argument);
}

TEST(ClusterNodes, ClusterInfoField) {
    std::string info = "cluster_state:ok\r\ncluster_slots_assigned:16384\r\ncluster_size:3\r\n";
    EXPECT_EQ(sh::redis::cluster_info_field(info, "cluster_state"), "ok");
    EXPECT_EQ(sh::redis::cluster_info_field(info, "cluster_size"), "3");
    EXPECT_EQ(sh::redis::cluster_info_field(info, "cluster"), "");
    EXPECT_EQ(sh::redis::cluster_info_field(info, "cluster_known_nodes"), "");
}
