// The cluster side of Connection (DESIGN §3.4): one node Connection per node (opened lazily,
// cluster=off, with the endpoint's credentials, TLS, db, client name and options), commands routed
// by the slot of their key, redirections followed, pipelines split by node. Connection forwards to
// it when the endpoint is a cluster, so callers need no change.
//
// Rules: MOVED refreshes the slot map (CLUSTER SLOTS from any reachable node, the seed last) and
// retries at the node named; ASK sends ASKING and the command to the node named, map unchanged;
// TRYAGAIN and CLUSTERDOWN wait (bounded exponential backoff) and retry; a node that cannot be
// reached refreshes the map and retries, so a failed primary is replaced by its promoted
// replica. A command whose connection broke after it was sent is retried only when it is
// idempotent (command_keys.hpp): an XADD that may have run is the caller's to count, as on a
// single node. Every command gets at most max_attempts tries within the backoff's give_up_after.
// Keyless commands go to the node of the last keyed command (WAIT then waits for that node's
// writes) or the seed; SCRIPT LOAD/FLUSH and CONFIG SET go to every primary.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "harness/redis/cluster_slots.hpp"
#include "harness/redis/command_keys.hpp"
#include "harness/redis/connection.hpp"

namespace sh::redis {

class ClusterRouter {
  public:
    static constexpr int max_attempts = 16;

    // Reads the slot map from the seed; throws RedisIoError when it cannot.
    ClusterRouter(Endpoint seed, ConnectionOptions options);

    // The reply (error replies as values); throws RedisIoError when the command could not be
    // brought to a node that answers it within the bounded retries.
    ReplyPtr command_allow_error(const Args& args);
    // Like command_allow_error, but an error reply throws RedisReplyError naming the node.
    ReplyPtr command(const Args& args);

    void append(const Args& args);
    void append(const CommandBuffer& commands);
    ReplyPtr read_reply();
    std::size_t appended() const { return pending_.size(); }

    void reconnect(const Backoff& backoff);
    bool broken() const { return broken_; }

    std::chrono::nanoseconds time_without_server() const;
    std::int64_t outages() const;
    std::int64_t not_primary_replies() const;
    const ClusterCounters& counters() const { return counters_; }
    std::vector<Endpoint> primaries() const;
    Endpoint node_for_key(const std::string& key) const;

  private:
    struct Node {
        Endpoint endpoint;  // cluster=off
        std::string name;   // host:port, as MOVED and error messages write it
        std::optional<Connection> connection;
        std::deque<ReplyPtr> early;  // pipelined replies read before a command on this node
    };
    // One appended command: its bytes in encoded_ and where its reply comes from (a broadcast:
    // one from each node).
    struct Pending {
        std::size_t begin = 0;
        std::size_t end = 0;
        std::size_t node = 0;
        std::vector<std::size_t> broadcast;
    };
    struct Answer {
        ReplyPtr reply;
        std::size_t node;
        int attempts;
    };

    Answer run(const Args& args);
    // Appends the command encoded_ holds at [begin, end) to the node it goes to and remembers
    // it, to read its reply in order.
    void enqueue(std::size_t begin, std::size_t end, const CommandTraits& traits);
    // The arguments of a pending command, for a resend or an error message.
    Args args_of(const Pending& pending) const;
    // Brings args to `node` and follows the redirection and retry rules above; `reply`, when
    // set, is the node's answer already read (a pipelined one).
    Answer deliver(const Args& args, const CommandTraits& traits, std::size_t node, ReplyPtr reply);
    Answer broadcast(const Args& args);
    // The nodes owning slots (the seed when none does), in index order.
    std::vector<std::size_t> primary_nodes() const;
    // The node a command goes to now: its key's slot owner, else the last keyed node or seed.
    std::size_t route(const CommandTraits& traits);
    std::size_t node_named(const HostPort& address);
    // The node's connection, opened (again) when missing or broken; throws RedisIoError.
    Connection& open(std::size_t node);
    // Reads the node's outstanding pipelined replies into its `early` queue, so that a command
    // sent on the connection now gets its own reply.
    void settle(std::size_t node);
    // CLUSTER SLOTS from the nodes with open connections first, then the others (the seed is
    // one); keeps the old map when none answers (false).
    bool refresh_map();
    // Throws RedisError when the node cannot be asked or answers something else.
    void load_map_from(std::size_t node);
    // Closes the node's connection, keeping its outage and refusal counts.
    void retire(std::size_t node);
    // Marks the router broken and throws RedisIoError naming the command, key and node.
    [[noreturn]] void give_up(const Args& args, std::size_t node, const std::string& why);
    // The next pipelined reply of the node: read early, or from its connection.
    ReplyPtr take_reply(const Pending& pending, std::size_t node);
    // Sends every node's appended commands: one round trip per node for a whole pipeline.
    void flush_all();

    Endpoint seed_;
    ConnectionOptions options_;
    std::vector<Node> nodes_;  // never shrinks: indices stay valid in pending_ and the map
    std::vector<int> slot_owner_ = std::vector<int>(cluster_slot_count, -1);
    std::size_t seed_node_ = 0;
    std::optional<std::size_t> last_node_;  // of the last keyed command
    std::deque<Pending> pending_;
    CommandBuffer encoded_;                // the pending commands, cleared when none is left
    std::vector<std::string_view> words_;  // scratch: the arguments of one encoded command
    bool unflushed_ = false;               // appended commands not sent yet
    bool broken_ = false;  // an I/O error reached the caller: reconnect() before going on
    ClusterCounters counters_;
    // Of retired node connections.
    std::chrono::nanoseconds retired_outage_time_{0};
    std::int64_t retired_outages_ = 0;
    std::int64_t retired_not_primary_ = 0;
};

}  // namespace sh::redis
