#include "harness/redis/embedded_server.hpp"

#include <csignal>
#include <deque>
#include <fstream>
#include <sstream>
#include <thread>

#include "harness/errors.hpp"
#include "harness/os/net.hpp"
#include "harness/redis/connection.hpp"

namespace sh::redis {

namespace {

constexpr auto ready_timeout = std::chrono::seconds(10);
constexpr int start_attempts = 3;

std::vector<std::string> persistence_args(Persistence persistence) {
    switch (persistence) {
        case Persistence::none:
            return {"--appendonly", "no"};
        case Persistence::aof_everysec:
            return {"--appendonly", "yes", "--appendfsync", "everysec"};
        case Persistence::aof_always:
            return {"--appendonly", "yes", "--appendfsync", "always"};
    }
    return {};
}

}  // namespace

EmbeddedServer::EmbeddedServer(EmbeddedServerOptions options)
    : options_(std::move(options)), dir_("streamharness-redis") {
    if (os::find_on_path(options_.executable).empty()) {
        throw EnvironmentError("cannot find '" + options_.executable +
                               "' on PATH: install it (apt-get install redis-server) or pass "
                               "--redis URL to use a running server");
    }
    for (int attempt = 1;; ++attempt) {
        port_ = os::free_loopback_port();
        try {
            start();
            return;
        } catch (const EnvironmentError&) {
            // Another process may have taken the port between our probe and the bind.
            if (attempt == start_attempts) throw;
        }
    }
}

EmbeddedServer::~EmbeddedServer() {
    stop();
}

void EmbeddedServer::start() {
    std::vector<std::string> argv = {options_.executable, "--port",
                                     options_.tls ? "0" : std::to_string(port_)};
    if (const auto& tls = options_.tls) {
        argv.insert(argv.end(),
                    {"--tls-port", std::to_string(port_), "--tls-cert-file", tls->certificate_file,
                     "--tls-key-file", tls->key_file, "--tls-ca-cert-file", tls->ca_file,
                     "--tls-auth-clients", tls->require_client_certificates ? "yes" : "no"});
    }
    argv.insert(argv.end(), {"--bind", "127.0.0.1", "--dir", dir_.path().string(), "--save", "",
                             "--daemonize", "no", "--protected-mode", "yes", "--logfile",
                             (dir_.path() / "redis.log").string()});
    auto persistence = persistence_args(options_.persistence);
    argv.insert(argv.end(), persistence.begin(), persistence.end());
    argv.insert(argv.end(), options_.extra_args.begin(), options_.extra_args.end());
    process_ = os::ChildProcess::spawn(argv, {});
    wait_until_ready();
}

void EmbeddedServer::wait_until_ready() {
    auto deadline = std::chrono::steady_clock::now() + ready_timeout;
    for (;;) {
        if (auto status = process_.poll()) {
            throw EnvironmentError("redis-server " + os::describe_wait_status(*status) +
                                   " on port " + std::to_string(port_) + ": " + log_tail());
        }
        try {
            Connection connection(
                endpoint(), {std::chrono::milliseconds(200), std::chrono::milliseconds(500), ""});
            auto reply = connection.command_allow_error({"PING"});
            if (ReplyView(reply.get()).text() == "PONG") return;
        } catch (const RedisError&) {
            // Not listening yet, or still loading the AOF: try again.
        }
        if (std::chrono::steady_clock::now() > deadline) {
            process_.terminate(std::chrono::milliseconds(500));
            throw EnvironmentError("redis-server did not answer PING within 10 s: " + log_tail());
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

std::string log_tail_of(const std::filesystem::path& path, std::size_t lines) {
    std::ifstream log(path);
    std::string line;
    std::deque<std::string> last;
    while (std::getline(log, line)) {
        if (line.empty()) continue;
        last.push_back(line);
        if (last.size() > lines) last.pop_front();
    }
    if (last.empty()) return "(no log output)";
    std::string joined;
    for (const auto& kept : last) joined += (joined.empty() ? "" : " | ") + kept;
    return joined;
}

std::string EmbeddedServer::log_tail(std::size_t lines) const {
    return log_tail_of(dir_.path() / "redis.log", lines);
}

Endpoint EmbeddedServer::endpoint() const {
    Endpoint endpoint;
    endpoint.host = "127.0.0.1";
    endpoint.port = port_;
    if (options_.tls) {
        endpoint.tls = options_.tls->client;
        endpoint.tls.enabled = true;
    }
    return endpoint;
}

std::string EmbeddedServer::version() const {
    Connection connection(endpoint(), {});
    auto reply = connection.command({"INFO", "server"});
    std::istringstream info{std::string(ReplyView(reply.get()).text())};
    std::string line;
    while (std::getline(info, line)) {
        if (line.rfind("redis_version:", 0) == 0) {
            auto value = line.substr(14);
            if (!value.empty() && value.back() == '\r') value.pop_back();
            return value;
        }
    }
    return "unknown";
}

void EmbeddedServer::restart(bool hard, const std::function<void()>& while_down) {
    if (hard) {
        process_.signal(SIGKILL);
        process_.wait();
    } else {
        process_.terminate(std::chrono::seconds(10));
    }
    if (while_down) while_down();
    start();
}

void EmbeddedServer::stop() {
    if (!process_.running()) return;
    if (process_.stopped()) process_.signal(SIGCONT);
    process_.terminate(std::chrono::seconds(5));
}

void EmbeddedServer::kill() {
    if (!process_.running()) return;
    process_.signal(SIGKILL);
    process_.wait();
}

void EmbeddedServer::start_again(std::vector<std::string> extra_args) {
    if (process_.running()) {
        throw EnvironmentError("redis-server on port " + std::to_string(port_) +
                               " still runs: it cannot be started again");
    }
    options_.extra_args = std::move(extra_args);
    start();
}

}  // namespace sh::redis
