#include "harness/redis/info.hpp"

#include <sstream>

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

}  // namespace sh::redis
