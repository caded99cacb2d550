#include "harness/redis/cluster_router.hpp"

#include <algorithm>
#include <set>
#include <stdexcept>
#include <thread>

#include "harness/errors.hpp"

namespace sh::redis {

namespace {

bool starts_with(std::string_view text, std::string_view prefix) {
    return text.substr(0, prefix.size()) == prefix;
}

// The retry budget of one command: max_attempts tries, waits doubling from initial to
// max_delay, nothing after give_up_after.
class Retries {
  public:
    explicit Retries(const Backoff& backoff)
        : backoff_(backoff),
          delay_(backoff.initial),
          deadline_(std::chrono::steady_clock::now() + backoff.give_up_after) {}

    // Another try, after `wait` when asked; false when the budget is spent.
    bool next(bool wait) {
        if (attempts_ >= ClusterRouter::max_attempts) return false;
        if (wait) {
            if (std::chrono::steady_clock::now() + delay_ >= deadline_) return false;
            std::this_thread::sleep_for(delay_);
            delay_ = std::min(delay_ * 2, backoff_.max_delay);
        }
        ++attempts_;
        return true;
    }
    int attempts() const { return attempts_; }

  private:
    Backoff backoff_;
    std::chrono::milliseconds delay_;
    std::chrono::steady_clock::time_point deadline_;
    int attempts_ = 1;
};

const std::string& name_of(const Args& args) {
    static const std::string none;
    return args.empty() ? none : args[0];
}

}  // namespace

ClusterRouter::ClusterRouter(Endpoint seed, ConnectionOptions options)
    : seed_(std::move(seed)), options_(std::move(options)) {
    seed_node_ = node_named({seed_.host, seed_.port});
    load_map_from(seed_node_);
}

std::size_t ClusterRouter::node_named(const HostPort& address) {
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
        if (nodes_[i].endpoint.host == address.host && nodes_[i].endpoint.port == address.port) {
            return i;
        }
    }
    Node node;
    node.endpoint = seed_;
    node.endpoint.host = address.host;
    node.endpoint.port = address.port;
    node.endpoint.cluster = ClusterMode::off;
    node.name = format_host_port(address.host, address.port);
    nodes_.push_back(std::move(node));
    return nodes_.size() - 1;
}

Connection& ClusterRouter::open(std::size_t node) {
    auto& slot = nodes_[node].connection;
    if (!slot) {
        slot.emplace(nodes_[node].endpoint, options_);
    } else if (slot->broken()) {
        slot->open();  // ends the outage the broken connection started
    }
    return *slot;
}

void ClusterRouter::settle(std::size_t node) {
    auto& entry = nodes_[node];
    if (!entry.connection || entry.connection->broken()) return;
    try {
        while (entry.connection->appended() > 0) {
            entry.early.push_back(entry.connection->read_reply());
        }
    } catch (const RedisIoError&) {
        broken_ = true;  // pipelined replies are lost
        throw;
    }
}

void ClusterRouter::retire(std::size_t node) {
    auto& entry = nodes_[node];
    entry.early.clear();
    if (!entry.connection) return;
    retired_outage_time_ += entry.connection->time_without_server();
    retired_outages_ += entry.connection->outages();
    retired_not_primary_ += entry.connection->not_primary_replies();
    entry.connection.reset();
}

void ClusterRouter::load_map_from(std::size_t node) {
    settle(node);
    auto& connection = open(node);
    auto reply = connection.command({"CLUSTER", "SLOTS"});
    std::vector<ClusterSlotRange> ranges;
    try {
        ranges = parse_cluster_slots(ReplyView(reply.get()), nodes_[node].endpoint.host);
    } catch (const std::runtime_error& error) {
        throw RedisReplyError("CLUSTER SLOTS", "", error.what() + (" (" + nodes_[node].name + ")"));
    }
    std::fill(slot_owner_.begin(), slot_owner_.end(), -1);
    std::vector<bool> owns(nodes_.size(), false);
    for (const auto& range : ranges) {
        auto owner = node_named(range.primary);
        owns.resize(nodes_.size(), false);
        owns[owner] = true;
        std::fill(slot_owner_.begin() + range.first, slot_owner_.begin() + range.last + 1,
                  static_cast<int>(owner));
    }
    ++counters_.map_refreshes;
    // A broken connection to a node that serves no slot now (a failed primary, replaced): its
    // outage is over for us.
    for (std::size_t i = 0; i < owns.size(); ++i) {
        auto& entry = nodes_[i];
        if (!owns[i] && entry.connection && entry.connection->broken() && entry.early.empty()) {
            retire(i);
        }
    }
}

bool ClusterRouter::refresh_map() {
    std::vector<std::size_t> order;
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
        if (nodes_[i].connection && !nodes_[i].connection->broken()) order.push_back(i);
    }
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
        if (std::find(order.begin(), order.end(), i) == order.end()) order.push_back(i);
    }
    for (auto node : order) {
        try {
            load_map_from(node);
            return true;
        } catch (const RedisError&) {
            // the next node may answer
        }
    }
    return false;
}

std::size_t ClusterRouter::route(const CommandTraits& traits) {
    if (traits.key) {
        auto owner = slot_owner_[static_cast<std::size_t>(key_slot(*traits.key))];
        if (owner >= 0) return static_cast<std::size_t>(owner);
    }
    return last_node_.value_or(seed_node_);
}

void ClusterRouter::give_up(const Args& args, std::size_t node, const std::string& why) {
    broken_ = true;
    throw RedisIoError(name_of(args), key_of(args), why + " (node " + nodes_[node].name + ")");
}

ClusterRouter::Answer ClusterRouter::deliver(const Args& args, const CommandTraits& traits,
                                             std::size_t node, ReplyPtr reply) {
    Retries retries(options_.cluster_retries);
    bool asking = false;
    for (;;) {
        if (!reply) {
            bool sent = false;
            try {
                settle(node);
                auto& connection = open(node);
                sent = true;
                if (asking) {
                    connection.append({"ASKING"});
                    connection.append(args);
                    connection.read_reply();
                    reply = connection.read_reply();
                } else {
                    reply = connection.single_command(args);
                }
            } catch (const RedisIoError& error) {
                // Sent and not idempotent: it may have run, the caller counts it as unknown.
                if (broken_ || (sent && !traits.idempotent) || !retries.next(true)) {
                    give_up(args, node, error.redis_message());
                }
                if (last_node_ == node) last_node_.reset();  // keyless commands: the seed
                refresh_map();
                node = route(traits);
                asking = false;
                continue;
            }
        }
        ReplyView view(reply.get());
        if (!view.is_error()) break;
        auto text = view.text();
        auto redirect = parse_redirect(text, nodes_[node].endpoint.host);
        bool wait = false;
        if (redirect.kind == Redirect::Kind::moved) {
            ++counters_.moved;
            auto target = node_named(redirect.target);
            auto& owner = slot_owner_[static_cast<std::size_t>(redirect.slot)];
            if (owner != static_cast<int>(target)) refresh_map();
            owner = static_cast<int>(target);
            node = target;
            asking = false;
        } else if (redirect.kind == Redirect::Kind::ask) {
            ++counters_.ask;
            node = node_named(redirect.target);
            asking = true;
        } else if (starts_with(text, "TRYAGAIN") || starts_with(text, "CLUSTERDOWN")) {
            if (starts_with(text, "TRYAGAIN")) {
                ++counters_.tryagain;
            } else {
                ++counters_.clusterdown;
                refresh_map();  // the cluster is changing: a failover may be under way
            }
            wait = true;
            node = route(traits);
            asking = false;
        } else if (starts_with(text, "UNBLOCKED") || starts_with(text, "READONLY")) {
            ++counters_.readonly_unblocked;
            refresh_map();
            wait = true;
            node = route(traits);
            asking = false;
        } else {
            break;  // the command's own error (WRONGTYPE, NOSCRIPT, ...): the caller's
        }
        // Out of tries: the last refusal is the answer (the command did not run).
        if (!retries.next(wait)) break;
        reply.reset();
    }
    if (traits.key) last_node_ = node;
    return {std::move(reply), node, retries.attempts()};
}

ClusterRouter::Answer ClusterRouter::broadcast(const Args& args) {
    std::optional<Answer> answer;
    for (auto node : primary_nodes()) {
        ReplyPtr reply;
        try {
            settle(node);
            reply = open(node).single_command(args);
        } catch (const RedisIoError& error) {
            give_up(args, node, error.redis_message());
        }
        bool error = ReplyView(reply.get()).is_error();
        if (!answer || (error && !ReplyView(answer->reply.get()).is_error())) {
            answer = Answer{std::move(reply), node, 1};
        }
    }
    return std::move(*answer);
}

std::vector<std::size_t> ClusterRouter::primary_nodes() const {
    std::set<std::size_t> owners;
    for (auto owner : slot_owner_) {
        if (owner >= 0) owners.insert(static_cast<std::size_t>(owner));
    }
    if (owners.empty()) owners.insert(seed_node_);
    return {owners.begin(), owners.end()};
}

ClusterRouter::Answer ClusterRouter::run(const Args& args) {
    auto traits = command_traits(args);
    auto node = route(traits);
    if (broken_) give_up(args, node, "connection is broken: reconnect first");
    if (traits.every_primary) return broadcast(args);
    return deliver(args, traits, node, nullptr);
}

ReplyPtr ClusterRouter::command_allow_error(const Args& args) {
    return run(args).reply;
}

ReplyPtr ClusterRouter::command(const Args& args) {
    auto answer = run(args);
    ReplyView view(answer.reply.get());
    if (view.is_error()) {
        auto where = " (node " + nodes_[answer.node].name +
                     (answer.attempts > 1 ? ", " + std::to_string(answer.attempts) + " attempts"
                                          : std::string()) +
                     ")";
        throw RedisReplyError(name_of(args), key_of(args), std::string(view.text()) + where);
    }
    return std::move(answer.reply);
}

}  // namespace sh::redis
