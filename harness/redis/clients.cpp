#include "harness/redis/clients.hpp"

#include "harness/redis/reply.hpp"

namespace sh::redis {

std::vector<ClientInfo> parse_client_list(std::string_view text) {
    std::vector<ClientInfo> clients;
    while (!text.empty()) {
        auto end = text.find('\n');
        auto line = text.substr(0, end);
        text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
        ClientInfo client;
        // "id=7 addr=127.0.0.1:52311 laddr=... fd=8 name= ... cmd=xreadgroup ...": names and
        // values hold no spaces (Redis refuses a client name with one).
        while (!line.empty()) {
            auto space = line.find(' ');
            auto field = line.substr(0, space);
            line = space == std::string_view::npos ? std::string_view{} : line.substr(space + 1);
            auto equals = field.find('=');
            if (equals == std::string_view::npos) continue;
            auto key = field.substr(0, equals);
            auto value = std::string(field.substr(equals + 1));
            if (key == "id") client.id = value;
            if (key == "addr") client.addr = value;
            if (key == "name") client.name = value;
            if (key == "cmd") client.cmd = value;
        }
        if (!client.id.empty()) clients.push_back(std::move(client));
    }
    return clients;
}

std::vector<ClientInfo> client_list(Connection& connection) {
    auto reply = connection.command({"CLIENT", "LIST"});
    return parse_client_list(ReplyView(reply.get()).text());
}

}  // namespace sh::redis
