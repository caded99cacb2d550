#include "harness/redis/embedded_cluster.hpp"

#include <csignal>
#include <optional>
#include <stdexcept>

#include "harness/errors.hpp"
#include "harness/os/net.hpp"
#include "harness/redis/connection.hpp"
#include "harness/redis/info.hpp"
#include "harness/redis/topology_probes.hpp"

namespace sh::redis {

namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

constexpr auto converge_timeout = std::chrono::seconds(30);
constexpr int start_attempts = 3;
constexpr const char* node_host = "127.0.0.1";
constexpr milliseconds migrate_timeout{5000};
// Longer than MIGRATE's own timeout, so that its error, not ours, says what went wrong.
const ConnectionOptions command_options{milliseconds(2000), milliseconds(10000), ""};

std::vector<std::string> node_args(const ClusterOptions& options, int bus_port) {
    return {"--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
            "--cluster-node-timeout", std::to_string(options.node_timeout.count()),
            // By default the bus listens on port + 10000, past 65535 for most free ports.
            "--cluster-port", std::to_string(bus_port),
            // Redis 7 waits 5 s (repl-diskless-sync-delay) for more replicas before a full sync.
            "--repl-diskless-sync", "yes", "--repl-diskless-sync-delay", "0"};
}

std::string reply_text(Connection& connection, const Args& args) {
    auto reply = connection.command(args);
    return std::string(ReplyView(reply.get()).text());
}

std::vector<ClusterNode> cluster_nodes_of(Connection& connection) {
    return parse_cluster_nodes(reply_text(connection, {"CLUSTER", "NODES"}), node_host);
}

std::string joined(const Args& args, std::size_t words) {
    std::string text;
    for (std::size_t i = 0; i < args.size() && i < words; ++i) text += (i ? " " : "") + args[i];
    return text;
}

}  // namespace

struct EmbeddedCluster::Node {
    int bus_port = 0;
    std::vector<std::string> args;  // the cluster options, again on a restart
    std::unique_ptr<EmbeddedServer> server;
    std::string host_port;
    std::string id;  // CLUSTER MYID: kept in nodes.conf, so a restart keeps it

    explicit Node(const ClusterOptions& options) {
        for (int attempt = 1;; ++attempt) {
            bus_port = os::free_loopback_port();
            args = node_args(options, bus_port);
            EmbeddedServerOptions server_options(options.persistence, options.executable);
            server_options.extra_args = args;
            try {
                server = std::make_unique<EmbeddedServer>(std::move(server_options));
                break;
            } catch (const EnvironmentError&) {
                // Another process may have taken the bus port between our probe and the bind.
                if (attempt == start_attempts) throw;
            }
        }
        host_port = std::string(node_host) + ":" + std::to_string(server->port());
        auto connection = quick_connection(server->endpoint());
        id = reply_text(connection, {"CLUSTER", "MYID"});
    }

    bool answering() const { return server->running() && !server->stopped(); }
};

EmbeddedCluster::EmbeddedCluster(ClusterOptions options) : options_(std::move(options)) {
    if (options_.primaries < 1 || options_.primaries > 16 || options_.replicas_per_primary < 0 ||
        options_.replicas_per_primary > 2) {
        throw std::invalid_argument(
            "a cluster has 1-16 primaries and 0-2 replicas per primary, not " +
            std::to_string(options_.primaries) + " and " +
            std::to_string(options_.replicas_per_primary));
    }
    try {
        int count = options_.primaries * (1 + options_.replicas_per_primary);
        for (int i = 0; i < count; ++i) nodes_.push_back(std::make_unique<Node>(options_));
        join_and_assign_slots();
        auto deadline = Clock::now() + converge_timeout;
        std::string node;
        auto lacking = poll_until(deadline, [&] {
            auto missing = not_ok(node);
            return missing.empty() ? replicas_not_linked(node) : missing;
        });
        if (!lacking.empty()) {
            throw EnvironmentError("the cluster did not converge within 30 s: " + lacking +
                                   log_of(node));
        }
    } catch (...) {
        stop_all();
        throw;
    }
}

EmbeddedCluster::~EmbeddedCluster() {
    stop_all();
}

void EmbeddedCluster::stop_all() {
    // Replicas first: a primary's shutdown waits (shutdown-timeout) for lagging replicas.
    while (!nodes_.empty()) {
        // SIGCONT whether or not /proc says stopped yet: right after a SIGSTOP through server()
        // it may not, and a stopped node would sit on the SIGTERM until stop() kills it.
        if (nodes_.back()->server->running()) nodes_.back()->server->signal(SIGCONT);
        nodes_.back()->server->stop();
        nodes_.pop_back();
    }
}

void EmbeddedCluster::join_and_assign_slots() {
    auto ranges = even_slot_ranges(options_.primaries);
    for (std::size_t i = 0; i < ranges.size(); ++i) {
        const auto& host_port = nodes_[i]->host_port;
        command_on(host_port, {"CLUSTER", "ADDSLOTSRANGE", std::to_string(ranges[i].first),
                               std::to_string(ranges[i].second)});
        // Distinct epochs before the nodes meet, as redis-cli does: primaries that all claim
        // epoch 0 settle the collision one bump at a time, slowly.
        command_on(host_port, {"CLUSTER", "SET-CONFIG-EPOCH", std::to_string(i + 1)});
    }
    const auto& first = *nodes_.front();
    for (std::size_t i = 1; i < nodes_.size(); ++i) {
        command_on(nodes_[i]->host_port,
                   {"CLUSTER", "MEET", node_host, std::to_string(first.server->port()),
                    std::to_string(first.bus_port)});
    }
    // CLUSTER REPLICATE needs the replica to know its primary by id, which gossip brings.
    std::string node_lacking;
    auto lacking = poll_until(Clock::now() + converge_timeout, [&] {
        for (const auto& node : nodes_) {
            node_lacking = node->host_port;
            auto connection = quick_connection(node->server->endpoint());
            std::size_t known = 0;
            for (const auto& seen : cluster_nodes_of(connection)) {
                bool established = seen.flags.find("handshake") == std::string::npos &&
                                   seen.flags.find("noaddr") == std::string::npos;
                known += established && find_by_id(seen.id) != nullptr;
            }
            if (known < nodes_.size()) {
                return "node " + node->host_port + " knows " + std::to_string(known) + " of " +
                       std::to_string(nodes_.size()) + " nodes";
            }
        }
        return std::string();
    });
    if (!lacking.empty()) {
        throw EnvironmentError("the nodes did not meet within 30 s: " + lacking +
                               log_of(node_lacking));
    }
    for (std::size_t i = static_cast<std::size_t>(options_.primaries); i < nodes_.size(); ++i) {
        command_on(nodes_[i]->host_port, {"CLUSTER", "REPLICATE", primary_of_replica(i).id});
    }
}

const EmbeddedCluster::Node& EmbeddedCluster::primary_of_replica(std::size_t index) const {
    auto replica = index - static_cast<std::size_t>(options_.primaries);
    return *nodes_[replica % static_cast<std::size_t>(options_.primaries)];
}

const EmbeddedCluster::Node* EmbeddedCluster::find_by_id(const std::string& id) const {
    for (const auto& node : nodes_) {
        if (node->id == id) return node.get();
    }
    return nullptr;
}

std::string EmbeddedCluster::log_of(const std::string& host_port) const {
    for (const auto& node : nodes_) {
        if (node->host_port == host_port) {
            return "; log of " + host_port + ": " + node->server->log_tail(5);
        }
    }
    return "";
}

ReplyPtr EmbeddedCluster::command_on(const std::string& host_port, const Args& args) {
    auto& node = node_at(host_port);
    try {
        auto endpoint = node.server->endpoint();
        endpoint.cluster = ClusterMode::off;  // this node's answer, MOVED and ASK included
        Connection connection(endpoint, command_options);
        return connection.command(args);
    } catch (const RedisIoError& error) {
        throw RedisIoError(error.command(), error.key(),
                           error.redis_message() + " (node " + host_port + ")" + log_of(host_port));
    } catch (const RedisReplyError& error) {
        throw EnvironmentError(joined(args, 2) + " on node " + host_port + ": " +
                               error.redis_message() + log_of(host_port));
    }
}

std::string EmbeddedCluster::not_ok(std::string& node_lacking) {
    std::optional<std::vector<SlotRange>> agreed;
    std::string agreed_by;
    for (const auto& node : nodes_) {
        if (!node->answering()) continue;
        node_lacking = node->host_port;
        auto connection = quick_connection(node->server->endpoint());
        auto state =
            cluster_info_field(reply_text(connection, {"CLUSTER", "INFO"}), "cluster_state");
        if (state != "ok") return "node " + node->host_port + " says cluster_state:" + state;
        auto map = slot_map(cluster_nodes_of(connection));
        if (!agreed) {
            agreed = map;
            agreed_by = node->host_port;
        } else if (map != *agreed) {
            return "node " + node->host_port + " sees the slots " + describe(map) + ", node " +
                   agreed_by + " sees " + describe(*agreed);
        }
    }
    if (!agreed) return "no node runs";
    for (const auto& range : *agreed) {
        const auto* owner = find_by_id(range.owner_id);
        if (owner == nullptr || !owner->server->running()) {
            node_lacking = owner ? owner->host_port : "";
            return "slots " + std::to_string(range.first) + "-" + std::to_string(range.last) +
                   " still belong to " +
                   (owner ? "the killed node " + owner->host_port
                          : "node " + range.owner_id + ", not ours");
        }
    }
    return "";
}

std::string EmbeddedCluster::replicas_not_linked(std::string& node_lacking) {
    for (std::size_t i = static_cast<std::size_t>(options_.primaries); i < nodes_.size(); ++i) {
        const auto& replica = *nodes_[i];
        const auto& primary = primary_of_replica(i);
        node_lacking = replica.host_port;
        auto connection = quick_connection(replica.server->endpoint());
        auto link = info_field(connection, "replication", "master_link_status");
        if (link != "up") return "replica " + replica.host_port + " has master_link_status:" + link;
        for (const auto& node : nodes_) {
            auto other = quick_connection(node->server->endpoint());
            auto seen = cluster_nodes_of(other);
            const auto* entry = find_node(seen, replica.id);
            if (entry == nullptr || entry->primary || entry->primary_id != primary.id) {
                return "node " + node->host_port + " does not see " + replica.host_port +
                       " as a replica of " + primary.host_port;
            }
        }
    }
    return "";
}

void EmbeddedCluster::wait_until_ok(milliseconds timeout) {
    std::string node;
    auto lacking = poll_until(Clock::now() + timeout, [&] { return not_ok(node); });
    if (!lacking.empty()) {
        throw EnvironmentError("the cluster is not ok after " + std::to_string(timeout.count()) +
                               " ms: " + lacking + log_of(node));
    }
}

EmbeddedCluster::Node& EmbeddedCluster::node_at(const std::string& host_port) {
    for (const auto& node : nodes_) {
        if (node->host_port == host_port) return *node;
    }
    throw std::out_of_range("no node of the embedded cluster is at " + host_port);
}

EmbeddedCluster::Node& EmbeddedCluster::first_answering() {
    for (const auto& node : nodes_) {
        if (node->answering()) return *node;
    }
    throw EnvironmentError("no node of the embedded cluster runs");
}

Endpoint EmbeddedCluster::seed() const {
    for (const auto& node : nodes_) {
        if (node->server->running()) return node->server->endpoint();
    }
    throw EnvironmentError("no node of the embedded cluster runs");
}

std::vector<Endpoint> EmbeddedCluster::node_endpoints() const {
    std::vector<Endpoint> endpoints;
    for (const auto& node : nodes_) endpoints.push_back(node->server->endpoint());
    return endpoints;
}

std::vector<ClusterNode> EmbeddedCluster::nodes() {
    auto reply = command_on(first_answering().host_port, {"CLUSTER", "NODES"});
    return parse_cluster_nodes(ReplyView(reply.get()).text(), node_host);
}

std::string EmbeddedCluster::node_id_at(const std::string& host_port) {
    return node_at(host_port).id;
}

Endpoint EmbeddedCluster::primary_for_slot(int slot) {
    auto seen = nodes();
    const auto* owner = owner_of_slot(seen, slot);
    if (owner == nullptr) {
        throw EnvironmentError("no primary owns slot " + std::to_string(slot) + " per node " +
                               first_answering().host_port + ": " + describe(slot_map(seen)));
    }
    Endpoint endpoint;
    endpoint.host = owner->host;
    endpoint.port = owner->port;
    return endpoint;
}

EmbeddedServer& EmbeddedCluster::server(const std::string& host_port) {
    return *node_at(host_port).server;
}

void EmbeddedCluster::kill_node(const std::string& host_port) {
    node_at(host_port).server->kill();
}

void EmbeddedCluster::restart_node(const std::string& host_port) {
    start_node(host_port);
    wait_until_ok(converge_timeout);
}

void EmbeddedCluster::start_node(const std::string& host_port) {
    auto& node = node_at(host_port);
    node.server->start_again(node.args);
}

void EmbeddedCluster::begin_slot_migration(int slot, const std::string& target_host_port) {
    if (slot < 0 || slot >= cluster_slot_count) {
        throw std::invalid_argument("no slot " + std::to_string(slot) + ": slots are 0-16383");
    }
    if (migrations_.count(slot)) {
        throw EnvironmentError("slot " + std::to_string(slot) + " is already migrating to " +
                               migrations_.at(slot).target);
    }
    const auto& target = node_at(target_host_port);
    auto seen = nodes();
    const auto* owner = owner_of_slot(seen, slot);
    if (owner == nullptr || owner->id == target.id) {
        throw EnvironmentError("cannot migrate slot " + std::to_string(slot) + " to " +
                               target_host_port + ": its owner is " +
                               (owner ? owner->host_port() : "nobody"));
    }
    auto source = owner->host_port();
    auto slot_text = std::to_string(slot);
    command_on(target_host_port, {"CLUSTER", "SETSLOT", slot_text, "IMPORTING", owner->id});
    command_on(source, {"CLUSTER", "SETSLOT", slot_text, "MIGRATING", target.id});
    migrations_[slot] = {source, target_host_port};
}

const EmbeddedCluster::Migration& EmbeddedCluster::migration_of(int slot) const {
    auto found = migrations_.find(slot);
    if (found == migrations_.end()) {
        throw EnvironmentError("no migration of slot " + std::to_string(slot) +
                               " is under way: begin_slot_migration first");
    }
    return found->second;
}

std::size_t EmbeddedCluster::migrate_slot_keys(int slot, std::size_t batch) {
    if (batch == 0) throw std::invalid_argument("migrate_slot_keys: a batch of 0 keys");
    const auto& migration = migration_of(slot);
    auto target = node_at(migration.target).server->endpoint();
    std::size_t moved = 0;
    for (;;) {
        auto keys = command_on(migration.source, {"CLUSTER", "GETKEYSINSLOT", std::to_string(slot),
                                                  std::to_string(batch)});
        ReplyView list(keys.get());
        if (list.size() == 0) return moved;
        Args migrate = {"MIGRATE", target.host, std::to_string(target.port),
                        "",        "0",         std::to_string(migrate_timeout.count()),
                        "KEYS"};
        for (std::size_t i = 0; i < list.size(); ++i) migrate.emplace_back(list.element(i).text());
        command_on(migration.source, migrate);
        moved += list.size();
    }
}

void EmbeddedCluster::finish_slot_migration(int slot) {
    auto migration = migration_of(slot);
    const auto& target_id = node_at(migration.target).id;
    Args assign = {"CLUSTER", "SETSLOT", std::to_string(slot), "NODE", target_id};
    // The target first: once the source lets go, clients that it redirects find the target
    // already owning the slot. The other primaries would learn it by gossip; told, they redirect
    // to the target at once.
    command_on(migration.target, assign);
    command_on(migration.source, assign);
    for (const auto& seen : nodes()) {
        const auto* node = find_by_id(seen.id);
        if (!seen.primary || node == nullptr || !node->answering() ||
            node->host_port == migration.source || node->host_port == migration.target) {
            continue;
        }
        command_on(node->host_port, assign);
    }
    migrations_.erase(slot);
}

void EmbeddedCluster::migrate_slot(int slot, const std::string& target_host_port) {
    begin_slot_migration(slot, target_host_port);
    migrate_slot_keys(slot);
    finish_slot_migration(slot);
}

std::pair<std::string, std::string> EmbeddedCluster::failover(const std::string& replica_host_port,
                                                              FailoverMode mode,
                                                              milliseconds timeout) {
    const auto& replica = node_at(replica_host_port);
    auto reply = command_on(replica_host_port, {"CLUSTER", "NODES"});
    auto seen = parse_cluster_nodes(ReplyView(reply.get()).text(), node_host);
    const auto* self = find_node(seen, replica.id);
    const auto* old_primary = self ? find_node(seen, self->primary_id) : nullptr;
    if (old_primary == nullptr) {
        throw EnvironmentError("node " + replica_host_port +
                               " is not a replica of a known primary: it cannot fail over");
    }
    auto old_host_port = old_primary->host_port();
    auto old_slots = old_primary->slots;
    Args request = {"CLUSTER", "FAILOVER"};
    if (mode == FailoverMode::force) request.emplace_back("FORCE");
    if (mode == FailoverMode::takeover) request.emplace_back("TAKEOVER");
    command_on(replica_host_port, request);
    std::string node_lacking = replica_host_port;
    auto lacking = poll_until(Clock::now() + timeout, [&] {
        for (const auto& node : nodes_) {
            if (!node->answering()) continue;
            node_lacking = node->host_port;
            auto connection = quick_connection(node->server->endpoint());
            auto view = cluster_nodes_of(connection);
            const auto* promoted = find_node(view, replica.id);
            if (promoted == nullptr || !promoted->primary || promoted->slots != old_slots) {
                return "node " + node->host_port + " does not see " + replica_host_port +
                       " as the primary of the slots of " + old_host_port;
            }
        }
        return std::string();
    });
    if (!lacking.empty()) {
        throw EnvironmentError(joined(request, 3) + " on " + replica_host_port +
                               " did not complete within " + std::to_string(timeout.count()) +
                               " ms: " + lacking + log_of(node_lacking));
    }
    return {old_host_port, replica_host_port};
}

}  // namespace sh::redis
