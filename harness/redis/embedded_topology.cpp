#include "harness/redis/embedded_topology.hpp"

#include <csignal>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <stdexcept>
#include <thread>

#include "harness/errors.hpp"
#include "harness/os/child_process.hpp"
#include "harness/os/net.hpp"
#include "harness/os/temp_dir.hpp"
#include "harness/redis/connection.hpp"
#include "harness/redis/info.hpp"
#include "harness/redis/topology_probes.hpp"

namespace sh::redis {

namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

constexpr auto replica_link_timeout = std::chrono::seconds(15);
// Sentinels find each other through hello messages on the primary every 2 s, and the replicas
// through the primary's INFO: a few seconds in practice.
constexpr auto sentinel_ready_timeout = std::chrono::seconds(20);
constexpr auto sentinel_start_timeout = std::chrono::seconds(10);
constexpr int start_attempts = 3;
constexpr milliseconds failover_timeout_ms{6000};  // Sentinel's failover-timeout

struct SentinelProcess {
    os::TempDir dir{"streamharness-sentinel"};
    int port = 0;
    os::ChildProcess process;

    std::filesystem::path log() const { return dir.path() / "sentinel.log"; }
    std::string log_tail() const {
        auto tail = log_tail_of(log(), 5);
        return tail == "(no log output)" ? log_tail_of(dir.path() / "output.log", 5) : tail;
    }
};

std::vector<std::string> data_node_args(const TopologyOptions& options, int replica_of_port) {
    std::vector<std::string> args = {
        // Redis 7 waits 5 s (repl-diskless-sync-delay) for more replicas before a full sync.
        "--repl-diskless-sync",       "yes",
        "--repl-diskless-sync-delay", "0",
        "--min-replicas-to-write",    std::to_string(options.min_replicas_to_write),
        "--min-replicas-max-lag",     std::to_string(options.min_replicas_max_lag_s)};
    if (replica_of_port > 0) {
        args.insert(args.end(), {"--replicaof", "127.0.0.1", std::to_string(replica_of_port)});
    }
    return args;
}

}  // namespace

struct EmbeddedTopology::Impl {
    std::vector<std::unique_ptr<EmbeddedServer>> nodes;
    std::vector<bool> stalled;
    std::vector<std::unique_ptr<SentinelProcess>> sentinels;
    std::string waiting_for;  // what new_primary() last found missing

    ~Impl() { shutdown(); }

    // Sentinels first, so they do not fail over while the data nodes stop; then stalled nodes
    // are continued (a stopped process acts on SIGTERM only after SIGCONT); replicas before the
    // primary, which on SIGTERM waits (shutdown-timeout) for connected replicas to catch up.
    void shutdown(int primary = 0) {
        for (auto& sentinel : sentinels) sentinel->process.terminate(std::chrono::seconds(2));
        sentinels.clear();
        for (std::size_t i = 0; i < nodes.size(); ++i) {
            // The flag too: right after SIGSTOP /proc may not say 'T' yet.
            if (stalled[i] || nodes[i]->stopped()) nodes[i]->signal(SIGCONT);
        }
        for (std::size_t i = 0; i < nodes.size(); ++i) {
            if (static_cast<int>(i) != primary) nodes[i]->stop();
        }
        nodes.clear();
    }
};

namespace {

std::unique_ptr<SentinelProcess> start_sentinel(const TopologyOptions& options, int primary_port) {
    auto sentinel = std::make_unique<SentinelProcess>();
    std::string last_error;
    for (int attempt = 1; attempt <= start_attempts; ++attempt) {
        sentinel->port = os::free_loopback_port();
        auto config_path = sentinel->dir.path() / "sentinel.conf";
        {
            // Sentinel rewrites this file (known replicas and Sentinels), so it lives in its dir.
            std::ofstream config(config_path, std::ios::trunc);
            config << "port " << sentinel->port << "\nbind 127.0.0.1\ndaemonize no\ndir "
                   << sentinel->dir.path().string() << "\nlogfile " << sentinel->log().string()
                   << "\nsentinel monitor " << EmbeddedTopology::master_name << " 127.0.0.1 "
                   << primary_port << " 2\n"
                   << "sentinel down-after-milliseconds " << EmbeddedTopology::master_name << " "
                   << options.down_after.count() << "\nsentinel failover-timeout "
                   << EmbeddedTopology::master_name << " " << failover_timeout_ms.count()
                   << "\nsentinel parallel-syncs " << EmbeddedTopology::master_name << " 1\n";
            if (!config) throw EnvironmentError("cannot write " + config_path.string());
        }
        os::SpawnOptions spawn;
        spawn.output_path = (sentinel->dir.path() / "output.log").string();
        sentinel->process =
            os::ChildProcess::spawn({options.sentinel_executable, config_path.string()}, spawn);
        std::optional<int> exited;
        auto lacking = poll_until(Clock::now() + sentinel_start_timeout, [&] {
            if ((exited = sentinel->process.poll())) return std::string();
            auto connection = quick_connection(loopback(sentinel->port));
            auto reply = connection.command({"PING"});
            return std::string(ReplyView(reply.get()).text() == "PONG" ? "" : "no PONG");
        });
        if (!exited && lacking.empty()) return sentinel;
        if (!exited) {
            sentinel->process.terminate(milliseconds(500));
            throw EnvironmentError(options.sentinel_executable + " on port " +
                                   std::to_string(sentinel->port) + " did not answer PING (" +
                                   lacking + ") within 10 s: " + sentinel->log_tail());
        }
        // Perhaps a port taken between the probe and the bind: try another.
        last_error = options.sentinel_executable + " " + os::describe_wait_status(*exited) +
                     " on port " + std::to_string(sentinel->port) + ": " + sentinel->log_tail();
    }
    throw EnvironmentError("cannot start a Sentinel: " + last_error);
}

}  // namespace

EmbeddedTopology::EmbeddedTopology(TopologyOptions options)
    : options_(std::move(options)), impl_(std::make_unique<Impl>()) {
    if (options_.replicas < 0 || options_.replicas > 2 ||
        (options_.sentinels != 0 && options_.sentinels != 3)) {
        throw std::invalid_argument("a topology has 0-2 replicas and 0 or 3 Sentinels, not " +
                                    std::to_string(options_.replicas) + " and " +
                                    std::to_string(options_.sentinels));
    }
    if (options_.sentinels > 0 && os::find_on_path(options_.sentinel_executable).empty()) {
        throw EnvironmentError("cannot find '" + options_.sentinel_executable +
                               "' on PATH: install it (apt-get install redis-sentinel)");
    }
    auto node_options = [&](int replica_of_port) {
        EmbeddedServerOptions server_options(options_.persistence, options_.server_executable);
        server_options.extra_args = data_node_args(options_, replica_of_port);
        return server_options;
    };
    impl_->nodes.push_back(std::make_unique<EmbeddedServer>(node_options(0)));
    int primary_port = impl_->nodes[0]->port();
    for (int i = 0; i < options_.replicas; ++i) {
        impl_->nodes.push_back(std::make_unique<EmbeddedServer>(node_options(primary_port)));
    }
    impl_->stalled.assign(impl_->nodes.size(), false);

    auto deadline = Clock::now() + replica_link_timeout;
    for (int i = 1; i < node_count(); ++i) {
        auto lacking = poll_until(deadline, [&] {
            auto connection = quick_connection(node_endpoint(i));
            auto link = info_field(connection, "replication", "master_link_status");
            return link == "up" ? std::string() : "master_link_status:" + link;
        });
        if (!lacking.empty()) {
            throw EnvironmentError("replica node " + std::to_string(i) + " (port " +
                                   std::to_string(node(i).port()) + ") not linked after 15 s (" +
                                   lacking + "): " + node(i).log_tail(5));
        }
    }

    for (int i = 0; i < options_.sentinels; ++i) {
        impl_->sentinels.push_back(start_sentinel(options_, primary_port));
    }
    deadline = Clock::now() + sentinel_ready_timeout;
    for (const auto& sentinel : impl_->sentinels) {
        auto lacking = poll_until(deadline, [&] {
            auto connection = quick_connection(loopback(sentinel->port));
            std::string missing;
            if (master_port_named_by(connection, master_name) != primary_port)
                missing = " the primary";
            auto replicas = connection.command({"SENTINEL", "replicas", master_name});
            auto known = entries(ReplyView(replicas.get()));
            for (int i = 1; i < node_count(); ++i) {
                auto port = std::to_string(node(i).port());
                bool found = false;
                for (const auto& entry : known) {
                    found = found ||
                            (healthy(entry) && entry.count("port") && entry.at("port") == port);
                }
                if (!found) missing += " the replica on port " + port;
            }
            auto others = connection.command({"SENTINEL", "sentinels", master_name});
            int healthy_others = 0;
            for (const auto& entry : entries(ReplyView(others.get())))
                healthy_others += healthy(entry);
            if (healthy_others < options_.sentinels - 1) missing += " the other Sentinels";
            return missing;
        });
        if (!lacking.empty()) {
            throw EnvironmentError("Sentinel on port " + std::to_string(sentinel->port) +
                                   " still lacks" + lacking +
                                   " after 20 s: " + sentinel->log_tail());
        }
    }
}

EmbeddedTopology::~EmbeddedTopology() {
    impl_->shutdown(primary_);
}

int EmbeddedTopology::node_count() const {
    return static_cast<int>(impl_->nodes.size());
}

EmbeddedServer& EmbeddedTopology::node(int node) {
    return *impl_->nodes.at(static_cast<std::size_t>(node));
}

Endpoint EmbeddedTopology::node_endpoint(int node) const {
    return impl_->nodes.at(static_cast<std::size_t>(node))->endpoint();
}

pid_t EmbeddedTopology::node_pid(int node) const {
    return impl_->nodes.at(static_cast<std::size_t>(node))->pid();
}

bool EmbeddedTopology::node_running(int node) const {
    return impl_->nodes.at(static_cast<std::size_t>(node))->running();
}

Endpoint EmbeddedTopology::client_endpoint() const {
    auto endpoint = node_endpoint(primary_);
    if (!impl_->sentinels.empty()) {
        endpoint.sentinels = sentinel_addresses();
        endpoint.master_name = master_name;
    }
    return endpoint;
}

std::vector<HostPort> EmbeddedTopology::sentinel_addresses() const {
    std::vector<HostPort> addresses;
    for (const auto& sentinel : impl_->sentinels)
        addresses.push_back({"127.0.0.1", sentinel->port});
    return addresses;
}

std::string EmbeddedTopology::version() const {
    return impl_->nodes.at(static_cast<std::size_t>(primary_))->version();
}

void EmbeddedTopology::request_failover() {
    if (!impl_->sentinels.empty()) {
        // One Sentinel suffices: a forced failover needs no quorum; the others follow through
        // the new configuration epoch it announces. Measured on 7.0.15: every Sentinel names
        // the promoted replica ~1.2 s after the request, but the old primary stays a writable
        // master for ~10 s more (Sentinel converts it on its next 10 s INFO, once the role has
        // been stable for 8 s), so new_primary() reports the change after ~11 s.
        auto port = impl_->sentinels[0]->port;
        try {
            quick_connection(loopback(port)).command({"SENTINEL", "FAILOVER", master_name});
        } catch (const RedisError& error) {
            throw EnvironmentError("Sentinel on port " + std::to_string(port) +
                                   " refused the failover: " + error.what());
        }
        return;
    }
    int replica = pick_replica();
    if (replica < 0) {
        throw EnvironmentError("no running replica to fail over to from node " +
                               std::to_string(primary_));
    }
    // FAILOVER pauses writers on the primary until the replica has caught up, then swaps roles;
    // TIMEOUT bounds that pause (the failover is aborted after it). A second replica stays
    // attached to the old primary, now a replica itself: chained replication.
    try {
        quick_connection(node_endpoint(primary_))
            .command({"FAILOVER", "TO", "127.0.0.1", std::to_string(node(replica).port()),
                      "TIMEOUT", "10000"});
    } catch (const RedisError& error) {
        throw EnvironmentError("FAILOVER on node " + std::to_string(primary_) + " (port " +
                               std::to_string(node(primary_).port()) + "): " + error.what());
    }
}

int EmbeddedTopology::kill_primary(const std::function<void()>& while_down) {
    int killed = primary_;
    node(killed).kill();
    impl_->stalled[static_cast<std::size_t>(killed)] = false;
    if (while_down) while_down();
    return killed;
}

std::optional<int> EmbeddedTopology::new_primary(int old_primary) {
    auto& waiting = impl_->waiting_for;
    if (node_running(old_primary)) {
        // A stalled old primary cannot say it stepped down: not done yet.
        std::string role = "(none: stalled)";
        try {
            if (!stalled(old_primary)) {
                auto connection = quick_connection(node_endpoint(old_primary));
                role = role_of(connection);
            }
        } catch (const RedisError& error) {
            role = std::string("(none: ") + error.what() + ")";
        }
        if (role != "slave") {
            waiting =
                "the old primary, node " + std::to_string(old_primary) + ", answers ROLE " + role;
            return std::nullopt;
        }
    }
    std::vector<int> masters;
    for (int i = 0; i < node_count(); ++i) {
        if (i == old_primary || !node_running(i) || stalled(i)) {
            continue;
        }
        try {
            auto connection = quick_connection(node_endpoint(i));
            if (role_of(connection) == "master" &&
                info_field(connection, "replication", "master_failover_state") == "no-failover") {
                masters.push_back(i);
            }
        } catch (const RedisError&) {
            // Not answering in time: not a primary we can hand to clients.
        }
    }
    if (masters.empty()) {
        waiting = "no other node answers ROLE master";
        return std::nullopt;
    }
    int chosen = masters.size() == 1 ? masters[0] : -1;
    for (const auto& sentinel : impl_->sentinels) {
        int named = -1;
        try {
            auto connection = quick_connection(loopback(sentinel->port));
            named = master_port_named_by(connection, master_name);
        } catch (const RedisError& error) {
            waiting = "Sentinel on port " + std::to_string(sentinel->port) +
                      " does not answer: " + error.what();
            return std::nullopt;
        }
        int named_node = -1;
        for (int m : masters) named_node = node(m).port() == named ? m : named_node;
        if (named_node < 0 || (chosen >= 0 && named_node != chosen)) {
            waiting = "Sentinel on port " + std::to_string(sentinel->port) +
                      " names the primary on port " + std::to_string(named);
            return std::nullopt;
        }
        chosen = named_node;
    }
    if (chosen < 0) {
        waiting = std::to_string(masters.size()) + " nodes answer ROLE master";
        return std::nullopt;
    }
    waiting.clear();
    primary_ = chosen;
    return chosen;
}

std::string EmbeddedTopology::waiting_for() const {
    return impl_->waiting_for;
}

PrimaryChange EmbeddedTopology::await_new_primary(int old_primary, const char* what,
                                                  std::chrono::steady_clock::time_point since,
                                                  milliseconds timeout) {
    for (;;) {
        if (auto found = new_primary(old_primary)) {
            auto took = std::chrono::duration_cast<milliseconds>(Clock::now() - since);
            return {old_primary, *found, took.count()};
        }
        if (Clock::now() > since + timeout) {
            throw EnvironmentError(std::string(what) + " of node " + std::to_string(old_primary) +
                                   " did not complete within " + std::to_string(timeout.count()) +
                                   " ms: " + impl_->waiting_for);
        }
        std::this_thread::sleep_for(milliseconds(50));
    }
}

PrimaryChange EmbeddedTopology::failover(milliseconds timeout) {
    int old = primary_;
    auto since = Clock::now();
    request_failover();
    return await_new_primary(old, "the failover", since, timeout);
}

PrimaryChange EmbeddedTopology::kill_primary_and_await(milliseconds timeout) {
    if (impl_->sentinels.empty()) {
        throw EnvironmentError("without Sentinels nothing promotes a replica after a kill");
    }
    auto since = Clock::now();
    int old = kill_primary();
    return await_new_primary(old, "the promotion after a kill", since, timeout);
}

void EmbeddedTopology::rejoin(int node_index) {
    auto& server = node(node_index);
    if (server.running()) {
        throw EnvironmentError("node " + std::to_string(node_index) +
                               " still runs: only a killed node rejoins");
    }
    if (node_index == primary_) {
        throw EnvironmentError("node " + std::to_string(node_index) +
                               " is still the primary the harness knows: await the promotion "
                               "(new_primary) before it rejoins");
    }
    // Straight in as a replica: a node that came back as an empty master could be taken for the
    // primary (by Sentinels or by clients) before anyone reconfigures it.
    server.start_again(data_node_args(options_, node(primary_).port()));
    impl_->stalled[static_cast<std::size_t>(node_index)] = false;
}

void EmbeddedTopology::stall(int node_index) {
    auto& server = node(node_index);
    if (!server.running()) {
        throw EnvironmentError("node " + std::to_string(node_index) +
                               " is not running: cannot stall it");
    }
    // A stopped replica alone falls behind by nothing: the kernel's socket buffers hold
    // megabytes of the replication stream, which it reads when it runs again (a 2 s stall at
    // 400 orders/s lost no write). The primary also drops its side of the link, as a network
    // partition would, so what it takes from then on never reaches the replica.
    std::string link;
    if (node_index != primary_) {
        auto replica = quick_connection(node_endpoint(node_index));
        auto reply = replica.command({"CLIENT", "LIST", "TYPE", "master"});
        std::string text(ReplyView(reply.get()).text());
        auto at = text.find(" laddr=");
        if (at != std::string::npos) link = text.substr(at + 7, text.find(' ', at + 7) - at - 7);
    }
    server.signal(SIGSTOP);
    if (!link.empty()) {
        auto primary = quick_connection(node_endpoint(primary_));
        primary.command_allow_error({"CLIENT", "KILL", "ADDR", link});
    }
    impl_->stalled[static_cast<std::size_t>(node_index)] = true;
    // Until /proc says 'T': stalled() asks /proc too (a SIGCONT may come from elsewhere).
    auto deadline = Clock::now() + std::chrono::seconds(1);
    while (!server.stopped() && Clock::now() < deadline)
        std::this_thread::sleep_for(milliseconds(1));
}

void EmbeddedTopology::resume(int node_index) {
    node(node_index).signal(SIGCONT);
    impl_->stalled[static_cast<std::size_t>(node_index)] = false;
}

bool EmbeddedTopology::stalled(int node_index) const {
    auto index = static_cast<std::size_t>(node_index);
    return impl_->stalled.at(index) && impl_->nodes[index]->stopped();
}

int EmbeddedTopology::pick_replica() const {
    for (int i = 0; i < node_count(); ++i) {
        if (i != primary_ && node_running(i) && !stalled(i)) return i;
    }
    return -1;
}

}  // namespace sh::redis
