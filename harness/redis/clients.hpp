// The server's clients, as CLIENT LIST reports them: how the harness finds connections it did
// not name (an external consumer's) and what each was doing last.
#pragma once

#include <string>
#include <vector>

#include "harness/redis/connection.hpp"

namespace sh::redis {

struct ClientInfo {
    std::string id;
    std::string addr;  // the client's side: "127.0.0.1:52311", "[::1]:52311"
    std::string name;  // CLIENT SETNAME, or empty
    std::string cmd;   // the last command it ran (lower case), e.g. "xreadgroup"
};

std::vector<ClientInfo> parse_client_list(std::string_view text);
std::vector<ClientInfo> client_list(Connection& connection);

}  // namespace sh::redis
