#include "harness/redis/topology_probes.hpp"

#include <thread>

#include "harness/errors.hpp"

namespace sh::redis {

namespace {
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;
constexpr auto quick_timeout = milliseconds(200);
}  // namespace

std::string poll_until(Clock::time_point deadline, const std::function<std::string()>& missing) {
    for (;;) {
        std::string lacking;
        try {
            lacking = missing();
        } catch (const RedisError& error) {
            lacking = error.what();  // not listening yet, or busy with a first sync
        }
        if (lacking.empty() || Clock::now() > deadline) return lacking;
        std::this_thread::sleep_for(milliseconds(20));
    }
}

Endpoint loopback(int port) {
    Endpoint endpoint;  // host: 127.0.0.1
    endpoint.port = port;
    return endpoint;
}

Connection quick_connection(Endpoint endpoint) {
    endpoint.sentinels.clear();
    endpoint.master_name.clear();
    endpoint.cluster = ClusterMode::off;
    return Connection(std::move(endpoint), {quick_timeout, quick_timeout, ""});
}

std::string role_of(Connection& connection) {
    auto reply = connection.command({"ROLE"});
    return std::string(ReplyView(reply.get()).element(0).text());
}

std::vector<std::map<std::string, std::string>> entries(const ReplyView& reply) {
    std::vector<std::map<std::string, std::string>> result;
    for (std::size_t i = 0; i < reply.size(); ++i) {
        auto entry = reply.element(i);
        auto& fields = result.emplace_back();
        for (std::size_t j = 0; j + 1 < entry.size(); j += 2) {
            fields[std::string(entry.element(j).text())] = std::string(entry.element(j + 1).text());
        }
    }
    return result;
}

bool healthy(const std::map<std::string, std::string>& entry) {
    auto flags = entry.count("flags") ? entry.at("flags") : "";
    return flags.find("disconnected") == std::string::npos &&
           flags.find("s_down") == std::string::npos;
}

int master_port_named_by(Connection& sentinel, const char* master_name) {
    auto reply = sentinel.command({"SENTINEL", "get-master-addr-by-name", master_name});
    ReplyView view(reply.get());
    if (!view.is_array() || view.size() < 2) return -1;
    return static_cast<int>(view.element(1).integer_text());
}

}  // namespace sh::redis
