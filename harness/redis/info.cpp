#include "harness/redis/info.hpp"

#include <optional>
#include <sstream>

#include "harness/errors.hpp"
#include "harness/redis/cluster_nodes.hpp"

namespace sh::redis {

std::string info_field(Connection& connection, const std::string& section,
                       const std::string& field) {
    auto reply = connection.command({"INFO", section});
    std::istringstream info{std::string(ReplyView(reply.get()).text())};
    std::string line;
    while (std::getline(info, line)) {
        if (line.rfind(field + ":", 0) == 0) {
            auto value = line.substr(field.size() + 1);
            if (!value.empty() && value.back() == '\r') value.pop_back();
            return value;
        }
    }
    return {};
}

void for_each_primary(Connection& connection, const std::function<void(Connection&)>& visit) {
    if (!connection.cluster()) {
        visit(connection);
        return;
    }
    for (const auto& primary : connection.primaries()) {
        Connection node(primary, ConnectionOptions{});
        visit(node);
    }
}

void for_each_node(Connection& connection, const std::function<void(Connection&)>& visit) {
    if (!connection.cluster()) {
        visit(connection);
        return;
    }
    auto reply = connection.command({"CLUSTER", "NODES"});
    for (const auto& node :
         parse_cluster_nodes(ReplyView(reply.get()).text(), connection.endpoint().host)) {
        if (node.failed || node.port == 0) continue;
        auto endpoint = connection.endpoint();
        endpoint.host = node.host;
        endpoint.port = node.port;
        endpoint.cluster = ClusterMode::off;
        std::optional<Connection> reached;
        try {
            reached.emplace(endpoint, ConnectionOptions{});
        } catch (const RedisIoError&) {
            continue;  // down: what it holds is not the run's any more
        }
        visit(*reached);
    }
}

}  // namespace sh::redis
