// One synchronous connection to Redis: typed errors, pipelining, reconnection with bounded
// backoff. The bytes travel through a Transport (TCP, unix socket or TLS); hiredis only encodes
// commands and decodes replies. The only code (with reply.cpp) that includes hiredis.
//
// Through Sentinel (Endpoint::through_sentinel()): every open() asks the Sentinels for the
// primary and refuses a node whose ROLE is not master; a reply beginning READONLY, MASTERDOWN or
// UNBLOCKED (the node was demoted) breaks the connection, so the callers' reconnect finds the new
// primary. Every connection counts the time it spent without a server.
//
// Over a Redis Cluster (Endpoint::cluster on, or automatic and the first open finds
// cluster_enabled:1) the same calls are routed by key slot through a ClusterRouter
// (cluster_router.hpp); in single-node mode that costs one branch per call.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/redis/command_buffer.hpp"
#include "harness/redis/reply.hpp"
#include "harness/redis/transport.hpp"
#include "harness/redis/url.hpp"

struct redisReader;

namespace sh::redis {

using Args = std::vector<std::string>;
class ClusterRouter;

struct Backoff {
    std::chrono::milliseconds initial{20};
    std::chrono::milliseconds max_delay{1000};
    std::chrono::milliseconds give_up_after{10000};
};

struct ConnectionOptions {
    std::chrono::milliseconds connect_timeout{2000};
    std::chrono::milliseconds command_timeout{5000};  // must exceed any BLOCK a caller uses
    std::string client_name;                          // CLIENT SETNAME, so faults can target us
    // On a Redis Cluster: how long one command may be retried (TRYAGAIN, CLUSTERDOWN, a node
    // that cannot be reached) before its last answer or error is the caller's.
    Backoff cluster_retries{};
};

// What the cluster layer had to do: redirections and retries it absorbed, map reloads.
struct ClusterCounters {
    std::int64_t moved = 0, ask = 0, tryagain = 0, clusterdown = 0, map_refreshes = 0;
    // UNBLOCKED (a blocked read released: its key migrated away, or its node became a replica)
    // and READONLY (a write that reached a demoted primary): neither ran, the map was stale.
    std::int64_t readonly_unblocked = 0;
};

class Connection {
  public:
    // Connects, authenticates, selects the database and names the client; throws RedisIoError
    // (unreachable; through Sentinel also: no Sentinel names a primary, or the node named is not
    // the primary) or RedisReplyError (AUTH/SELECT refused; cluster=yes and the node is not a
    // cluster node). In cluster mode it reads the slot map instead of keeping this socket.
    Connection(Endpoint endpoint, ConnectionOptions options);
    ~Connection();
    Connection(Connection&&) noexcept;
    Connection& operator=(Connection&&) noexcept;

    // Sends one command and returns its reply; an error reply throws RedisReplyError. Through
    // Sentinel, a reply saying the node is no longer the primary (READONLY, MASTERDOWN,
    // UNBLOCKED) drops the connection and throws RedisIoError instead.
    ReplyPtr command(const Args& args);
    // Like command(), but an error reply comes back as a value (BUSYGROUP, NOSCRIPT...); the
    // Sentinel rule above still throws RedisIoError.
    ReplyPtr command_allow_error(const Args& args);

    // Pipelining: append any number of commands, then read their replies in order.
    void append(const Args& args);
    // Appends commands already encoded in RESP (CommandBuffer): one call for a whole pipeline.
    void append(const CommandBuffer& commands);
    // Error replies come back as values. Through Sentinel, a READONLY/MASTERDOWN/UNBLOCKED reply
    // (a command refused, not executed) also makes the connection broken() once the last
    // appended reply has been read.
    ReplyPtr read_reply();
    std::size_t appended() const;

    // Drops the socket and connects again, retrying with exponential backoff until
    // backoff.give_up_after; throws the last RedisIoError when it gives up.
    void reconnect(const Backoff& backoff);
    bool broken() const;

    // Through Sentinel, host and port are the primary found by the last open(); in cluster
    // mode, the seed as given.
    const Endpoint& endpoint() const { return endpoint_; }

    bool cluster() const { return cluster_ != nullptr; }
    // All zero in single-node mode.
    ClusterCounters cluster_counters() const;
    // The primaries of the current slot map (cluster=off endpoints, to reach one node
    // directly); in single-node mode the endpoint.
    std::vector<Endpoint> primaries();
    // The node the current slot map sends the key to; in single-node mode the endpoint.
    Endpoint node_for_key(const std::string& key);

    // Outages: each starts when the connection drops its socket (an I/O error, a demoted
    // primary, reconnect()) and ends with the next successful open. The time is the sum of the
    // ended ones plus the current one, if any. In cluster mode: summed over node connections.
    std::chrono::nanoseconds time_without_server() const;
    std::int64_t outages() const;
    // Through Sentinel: successful opens that found the primary on another host:port than the
    // open before.
    std::int64_t primary_changes() const { return primary_changes_; }
    // Through Sentinel: replies saying the node is no longer the primary (READONLY, MASTERDOWN,
    // UNBLOCKED).
    std::int64_t not_primary_replies() const;

  private:
    // Node connections are Connections: the router opens, flushes and settles them.
    friend class ClusterRouter;

    struct ReaderDeleter {
        void operator()(redisReader* reader) const;
    };
    void open();
    // Asks the node whether it is a cluster node and, if so, hands over to a ClusterRouter.
    void detect_cluster();
    // command_allow_error on this socket.
    ReplyPtr single_command(const Args& args);
    // Adds the command to what the next flush sends.
    void encode(const Args& args);
    // Appends one command already in RESP (the router's pipelines).
    void append_encoded(std::string_view command);
    // Sends what was appended, in one write: a whole pipeline per round trip.
    void flush(const Args& args);
    // The next reply, reading from the socket until the reader has a whole one.
    ReplyPtr next_reply(const Args& args);
    // Drops the transport (broken() from now on) and throws the I/O error, naming the server.
    [[noreturn]] void throw_io(const Args& args, const std::string& what);
    // Drops the transport; an outage starts unless one is under way.
    void drop();
    // The current outage, if any, ends now.
    void end_outage();
    // Through Sentinel: ROLE must say master, else drop and throw RedisIoError.
    void check_primary();
    // Through Sentinel: the reply's error says this node is no longer the primary.
    bool says_demoted(const ReplyPtr& reply) const;

    Endpoint endpoint_;
    ConnectionOptions options_;
    std::optional<Transport> transport_;  // empty: broken
    std::unique_ptr<redisReader, ReaderDeleter> reader_;
    CommandBuffer output_;  // encoded commands not sent yet
    std::size_t appended_ = 0;
    std::int64_t not_primary_replies_ = 0;
    bool demoted_ = false;  // a pipelined reply said so: drop once every reply is read
    std::optional<std::chrono::steady_clock::time_point> outage_start_;
    std::chrono::nanoseconds outage_total_{0};  // the ended outages
    std::int64_t outages_ = 0;
    std::int64_t primary_changes_ = 0;
    std::string last_primary_;  // host:port of the last successful open through Sentinel
    std::unique_ptr<ClusterRouter> cluster_;  // set: cluster mode, every call goes through it
};

// The key a command acts on, for error messages: XREADGROUP's first stream, EVALSHA's first key
// (command_keys.hpp), or the first argument of a command the table does not know.
std::string key_of(const Args& args);

// Raises RedisReplyError from an error reply for the given command.
void throw_if_error(const Args& args, const ReplyPtr& reply);

}  // namespace sh::redis
