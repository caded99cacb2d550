#include "harness/run/heartbeat.hpp"

#include <chrono>
#include <optional>

#include "harness/errors.hpp"
#include "harness/redis/connection.hpp"

namespace sh::run {

namespace {
constexpr auto refresh_every = std::chrono::seconds(1);
constexpr const char* lifetime_ms = "3000";

redis::ConnectionOptions options_for(const std::string& client_name) {
    return {std::chrono::milliseconds(2000), std::chrono::milliseconds(2000), client_name};
}
}  // namespace

Heartbeat::Heartbeat(const redis::Endpoint& endpoint, std::string key, std::string client_name)
    : endpoint_(endpoint), key_(std::move(key)), client_name_(std::move(client_name)) {
    redis::Connection connection(endpoint_, options_for(client_name_));
    connection.command({"SET", key_, "1", "PX", lifetime_ms});
    thread_ = std::thread([this] { refresh_until_stopped(); });
}

Heartbeat::~Heartbeat() {
    stop();
}

void Heartbeat::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
}

void Heartbeat::refresh_until_stopped() {
    std::optional<redis::Connection> connection;
    std::unique_lock lock(mutex_);
    while (!wake_.wait_for(lock, refresh_every, [this] { return stopping_; })) {
        lock.unlock();
        try {
            if (!connection) connection.emplace(endpoint_, options_for(client_name_));
            connection->command({"SET", key_, "1", "PX", lifetime_ms});
        } catch (const RedisError&) {
            // Redis restarting or unreachable: the run itself notices; try again next second.
            connection.reset();
        }
        lock.lock();
    }
}

}  // namespace sh::run
