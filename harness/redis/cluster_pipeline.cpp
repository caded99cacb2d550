// ClusterRouter, continued: pipelines split by node, reconnection and the accounting summed over
// node connections.
#include <thread>

#include "harness/errors.hpp"
#include "harness/redis/cluster_router.hpp"

namespace sh::redis {

// Both forms keep the commands encoded (encoded_) rather than as Args: a pipeline of XADDs costs
// a copy of its bytes, and only a resend or an error reads a command's arguments back.
void ClusterRouter::append(const Args& args) {
    if (pending_.empty()) encoded_.clear();
    auto begin = encoded_.data().size();
    encoded_.begin(args.size());
    for (const auto& arg : args) encoded_.arg(std::string_view(arg));
    enqueue(begin, encoded_.data().size(), command_traits(args));
}

void ClusterRouter::append(const CommandBuffer& commands) {
    if (pending_.empty()) encoded_.clear();
    auto begin = encoded_.data().size();
    encoded_.append(commands);
    while (begin < encoded_.data().size()) {
        auto end = begin + scan_command(encoded_.data().substr(begin), words_);
        enqueue(begin, end, command_traits(words_));
        begin = end;
    }
}

Args ClusterRouter::args_of(const Pending& pending) const {
    return decode_commands(encoded_.data().substr(pending.begin, pending.end - pending.begin))
        .front();
}

void ClusterRouter::enqueue(std::size_t begin, std::size_t end, const CommandTraits& traits) {
    Pending pending{begin, end, route(traits), {}};
    auto command = encoded_.data().substr(begin, end - begin);
    if (broken_) give_up(args_of(pending), pending.node, "connection is broken: reconnect first");
    if (traits.every_primary) {
        pending.broadcast = primary_nodes();
        for (auto node : pending.broadcast) {
            try {
                open(node).append_encoded(command);
            } catch (const RedisIoError& error) {
                // appended to some nodes only
                give_up(args_of(pending), node, error.redis_message());
            }
        }
    } else {
        try {
            open(pending.node).append_encoded(command);
        } catch (const RedisIoError&) {
            // Not sent: the node may have been replaced (failover); one more try on a new map.
            refresh_map();
            pending.node = route(traits);
            try {
                open(pending.node).append_encoded(command);
            } catch (const RedisIoError& error) {
                give_up(args_of(pending), pending.node, error.redis_message());
            }
        }
        if (traits.key) last_node_ = pending.node;  // a WAIT appended next goes there
    }
    pending_.push_back(std::move(pending));
    unflushed_ = true;
}

void ClusterRouter::flush_all() {
    static const Args pipeline{"PIPELINE"};
    for (auto& node : nodes_) {
        if (node.connection && !node.connection->broken()) node.connection->flush(pipeline);
    }
    unflushed_ = false;
}

ReplyPtr ClusterRouter::take_reply(const Pending& pending, std::size_t node) {
    auto& entry = nodes_[node];
    if (!entry.early.empty()) {
        auto reply = std::move(entry.early.front());
        entry.early.pop_front();
        return reply;
    }
    if (!entry.connection || entry.connection->broken() || entry.connection->appended() == 0) {
        give_up(args_of(pending), node, "reply lost: the connection to the node broke");
    }
    try {
        return entry.connection->read_reply();
    } catch (const RedisIoError& error) {
        give_up(args_of(pending), node, error.redis_message());
    }
}

ReplyPtr ClusterRouter::read_reply() {
    if (pending_.empty()) throw std::logic_error("read_reply without an appended command");
    auto pending = std::move(pending_.front());
    pending_.pop_front();
    if (broken_) give_up(args_of(pending), pending.node, "connection is broken");
    if (unflushed_) {
        try {
            flush_all();
        } catch (const RedisIoError& error) {
            give_up(args_of(pending), pending.node, error.redis_message());
        }
    }
    if (!pending.broadcast.empty()) {
        // One reply per primary: the first error, else the first reply.
        ReplyPtr answer;
        for (auto node : pending.broadcast) {
            auto reply = take_reply(pending, node);
            if (!answer ||
                (ReplyView(reply.get()).is_error() && !ReplyView(answer.get()).is_error())) {
                answer = std::move(reply);
            }
        }
        return answer;
    }
    auto reply = take_reply(pending, pending.node);
    if (!ReplyView(reply.get()).is_error()) return reply;
    // MOVED, ASK, TRYAGAIN, CLUSTERDOWN: sent again on its own, its reply takes this place.
    auto args = args_of(pending);
    return deliver(args, command_traits(args), pending.node, std::move(reply)).reply;
}

void ClusterRouter::reconnect(const Backoff& backoff) {
    for (std::size_t node = 0; node < nodes_.size(); ++node) retire(node);
    pending_.clear();
    encoded_.clear();
    unflushed_ = false;
    broken_ = false;
    last_node_.reset();
    auto deadline = std::chrono::steady_clock::now() + backoff.give_up_after;
    auto delay = backoff.initial;
    for (;;) {
        std::string why;
        try {
            load_map_from(seed_node_);
            return;
        } catch (const RedisIoError& error) {
            why = error.what();
        } catch (const RedisReplyError& error) {
            // A seed still loading its data set answers LOADING: wait as for I/O.
            if (error.redis_message().rfind("LOADING", 0) != 0) throw;
            why = error.what();
        }
        // The seed is gone: any node of the last map will do.
        if (refresh_map()) return;
        if (std::chrono::steady_clock::now() + delay >= deadline) {
            throw RedisIoError(
                "CLUSTER SLOTS", "",
                "no node of the cluster answers; the seed " + nodes_[seed_node_].name + ": " + why);
        }
        std::this_thread::sleep_for(delay);
        delay = std::min(delay * 2, backoff.max_delay);
    }
}

std::chrono::nanoseconds ClusterRouter::time_without_server() const {
    auto total = retired_outage_time_;
    for (const auto& node : nodes_) {
        if (node.connection) total += node.connection->time_without_server();
    }
    return total;
}

std::int64_t ClusterRouter::outages() const {
    auto total = retired_outages_;
    for (const auto& node : nodes_) {
        if (node.connection) total += node.connection->outages();
    }
    return total;
}

std::int64_t ClusterRouter::not_primary_replies() const {
    auto total = retired_not_primary_;
    for (const auto& node : nodes_) {
        if (node.connection) total += node.connection->not_primary_replies();
    }
    return total;
}

std::vector<Endpoint> ClusterRouter::primaries() const {
    std::vector<Endpoint> endpoints;
    for (auto node : primary_nodes()) endpoints.push_back(nodes_[node].endpoint);
    return endpoints;
}

Endpoint ClusterRouter::node_for_key(const std::string& key) const {
    auto owner = slot_owner_[static_cast<std::size_t>(key_slot(key))];
    return nodes_[owner >= 0 ? static_cast<std::size_t>(owner) : last_node_.value_or(seed_node_)]
        .endpoint;
}

}  // namespace sh::redis
