#include "harness/redis/sentinel.hpp"

#include <charconv>
#include <string>

#include "harness/errors.hpp"
#include "harness/redis/connection.hpp"

namespace sh::redis {

namespace {

std::string address_of(const HostPort& sentinel) {
    bool ipv6 = sentinel.host.find(':') != std::string::npos;
    return (ipv6 ? "[" + sentinel.host + "]" : sentinel.host) + ":" + std::to_string(sentinel.port);
}

// The primary's address from one Sentinel's reply, or why there is none.
std::string read_answer(const ReplyPtr& reply, const std::string& master_name, Endpoint& primary) {
    ReplyView view(reply.get());
    if (view.is_error()) return std::string(view.text());
    if (view.is_nil() || !view.is_array()) return "does not know " + master_name;
    if (view.size() != 2 || !view.element(0).is_string() || !view.element(1).is_string()) {
        return "answered with " + view.describe_type() + ", not [ip, port]";
    }
    auto port_text = view.element(1).text();
    int port = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc{} || end != port_text.data() + port_text.size() || port < 1 ||
        port > 65535) {
        return "answered port '" + std::string(port_text) + "'";
    }
    primary.host = std::string(view.element(0).text());
    primary.port = port;
    return {};
}

}  // namespace

Endpoint resolve_primary(const Endpoint& endpoint, std::chrono::milliseconds timeout) {
    const Args ask{"SENTINEL", "get-master-addr-by-name", endpoint.master_name};
    std::string reasons;
    for (const auto& sentinel : endpoint.sentinels) {
        Endpoint node;  // plain TCP, no credentials, db 0: a Sentinel takes none of the data's
        node.host = sentinel.host;
        node.port = sentinel.port;
        std::string why;
        try {
            Connection connection(node, ConnectionOptions{timeout, timeout, {}});
            Endpoint primary = endpoint;
            why = read_answer(connection.command_allow_error(ask), endpoint.master_name, primary);
            if (why.empty()) return primary;
        } catch (const RedisError& error) {
            why = error.redis_message();
        }
        reasons += (reasons.empty() ? "" : "; ") + address_of(sentinel) + ": " + why;
    }
    if (endpoint.sentinels.empty()) reasons = "no Sentinel given";
    throw RedisIoError("SENTINEL get-master-addr-by-name", endpoint.master_name,
                       "no Sentinel named the primary: " + reasons);
}

}  // namespace sh::redis
