// One synchronous connection to Redis: typed errors, pipelining, reconnection with bounded
// backoff. The bytes travel through a Transport (TCP, unix socket or TLS); hiredis only encodes
// commands and decodes replies. The only code (with reply.cpp) that includes hiredis.
#pragma once

#include <chrono>
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

struct ConnectionOptions {
    std::chrono::milliseconds connect_timeout{2000};
    std::chrono::milliseconds command_timeout{5000};  // must exceed any BLOCK a caller uses
    std::string client_name;                          // CLIENT SETNAME, so faults can target us
};

struct Backoff {
    std::chrono::milliseconds initial{20};
    std::chrono::milliseconds max_delay{1000};
    std::chrono::milliseconds give_up_after{10000};
};

class Connection {
  public:
    // Connects, authenticates, selects the database and names the client; throws RedisIoError
    // (unreachable) or RedisReplyError (AUTH/SELECT refused).
    Connection(Endpoint endpoint, ConnectionOptions options);
    ~Connection();
    Connection(Connection&&) noexcept;
    Connection& operator=(Connection&&) noexcept;

    // Sends one command and returns its reply; an error reply throws RedisReplyError.
    ReplyPtr command(const Args& args);
    // Like command(), but an error reply comes back as a value (BUSYGROUP, NOSCRIPT...).
    ReplyPtr command_allow_error(const Args& args);

    // Pipelining: append any number of commands, then read their replies in order.
    void append(const Args& args);
    // Appends commands already encoded in RESP (CommandBuffer): one call for a whole pipeline.
    void append(const CommandBuffer& commands);
    ReplyPtr read_reply();  // error replies come back as values, as with command_allow_error
    std::size_t appended() const { return appended_; }

    // Drops the socket and connects again, retrying with exponential backoff until
    // backoff.give_up_after; throws the last RedisIoError when it gives up.
    void reconnect(const Backoff& backoff);
    bool broken() const;

    const Endpoint& endpoint() const { return endpoint_; }

  private:
    struct ReaderDeleter {
        void operator()(redisReader* reader) const;
    };
    void open();
    // Adds the command to what the next flush sends.
    void encode(const Args& args);
    // Sends what was appended, in one write: a whole pipeline per round trip.
    void flush(const Args& args);
    // The next reply, reading from the socket until the reader has a whole one.
    ReplyPtr next_reply(const Args& args);
    // Drops the transport (broken() from now on) and throws the I/O error, naming the server.
    [[noreturn]] void throw_io(const Args& args, const std::string& what);

    Endpoint endpoint_;
    ConnectionOptions options_;
    std::optional<Transport> transport_;  // empty: broken
    std::unique_ptr<redisReader, ReaderDeleter> reader_;
    CommandBuffer output_;  // encoded commands not sent yet
    std::size_t appended_ = 0;
};

// The key a command acts on, for error messages: XREADGROUP's first stream, EVALSHA's first key.
std::string key_of(const Args& args);

// Raises RedisReplyError from an error reply for the given command.
void throw_if_error(const Args& args, const ReplyPtr& reply);

}  // namespace sh::redis
