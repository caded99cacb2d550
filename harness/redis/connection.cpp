#include "harness/redis/connection.hpp"

#include <hiredis/hiredis.h>
#include <strings.h>

#include <algorithm>
#include <cstring>
#include <thread>

#include "harness/errors.hpp"
#include "harness/redis/sentinel.hpp"

namespace sh::redis {

namespace {

bool same_word(const std::string& a, const char* b) {
    return strcasecmp(a.c_str(), b) == 0;
}

// Bytes read per call: a large XREADGROUP batch arrives in a few reads, not hundreds.
constexpr std::size_t read_chunk = 64 * 1024;

std::string host_port(const Endpoint& endpoint) {
    bool ipv6 = endpoint.host.find(':') != std::string::npos;
    return (ipv6 ? "[" + endpoint.host + "]" : endpoint.host) + ":" + std::to_string(endpoint.port);
}

// The server for error messages: through Sentinel, the node and the Sentinel URL.
std::string where(const Endpoint& endpoint) {
    if (!endpoint.through_sentinel()) return endpoint.redacted();
    return host_port(endpoint) + " via " + endpoint.redacted();
}

// What a demoted primary answers (Redis 7.0): "READONLY You can't write against a read only
// replica." (also EVALSHA whose script writes, with " script: <sha>, on @user_script:N."
// appended), "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.",
// and to a blocked client "UNBLOCKED force unblock from blocking operation, instance state
// changed (master -> replica?)" before it closes the connection.
bool names_a_replica(std::string_view error) {
    for (std::string_view prefix : {"READONLY", "MASTERDOWN", "UNBLOCKED"}) {
        if (error.substr(0, prefix.size()) == prefix) return true;
    }
    return false;
}

}  // namespace

std::string key_of(const Args& args) {
    if (args.size() < 2) return {};
    const auto& name = args[0];
    if (same_word(name, "EVALSHA") || same_word(name, "EVAL")) {
        return args.size() > 3 && args[2] != "0" ? args[3] : std::string{};
    }
    if (same_word(name, "XREADGROUP") || same_word(name, "XREAD")) {
        for (std::size_t i = 1; i + 1 < args.size(); ++i) {
            if (same_word(args[i], "STREAMS")) return args[i + 1];
        }
        return {};
    }
    if (same_word(name, "XGROUP") || same_word(name, "XINFO") || same_word(name, "OBJECT")) {
        return args.size() > 2 ? args[2] : std::string{};
    }
    if (same_word(name, "AUTH") || same_word(name, "SELECT") || same_word(name, "CLIENT") ||
        same_word(name, "INFO") || same_word(name, "CONFIG") || same_word(name, "SCRIPT")) {
        return {};
    }
    return args[1];
}

void throw_if_error(const Args& args, const ReplyPtr& reply) {
    ReplyView view(reply.get());
    if (view.is_error()) {
        throw RedisReplyError(args.empty() ? "" : args[0], key_of(args), std::string(view.text()));
    }
}

void Connection::ReaderDeleter::operator()(redisReader* reader) const {
    redisReaderFree(reader);
}

Connection::Connection(Endpoint endpoint, ConnectionOptions options)
    : endpoint_(std::move(endpoint)), options_(std::move(options)) {
    open();
}

Connection::~Connection() = default;
Connection::Connection(Connection&&) noexcept = default;
Connection& Connection::operator=(Connection&&) noexcept = default;

void Connection::open() {
    drop();
    output_.clear();
    appended_ = 0;
    demoted_ = false;
    reader_.reset(redisReaderCreate());
    if (!reader_) throw RedisIoError("CONNECT", "", "out of memory allocating a reply reader");
    if (endpoint_.through_sentinel())
        endpoint_ = resolve_primary(endpoint_, options_.connect_timeout);
    try {
        transport_.emplace(Transport::connect(endpoint_, options_.connect_timeout));
    } catch (const TransportError& error) {
        throw RedisIoError("CONNECT", "", "cannot reach " + where(endpoint_) + ": " + error.what());
    }
    // A user without a password logs in too: an ACL user may be `nopass`.
    if (!endpoint_.password.empty() || !endpoint_.user.empty()) {
        Args auth = endpoint_.user.empty() ? Args{"AUTH", endpoint_.password}
                                           : Args{"AUTH", endpoint_.user, endpoint_.password};
        auto reply = command_allow_error(auth);
        if (ReplyView(reply.get()).is_error()) {
            // Never echo the password: report the user, the server and Redis's reason only.
            throw RedisReplyError(
                "AUTH", endpoint_.user,
                std::string(ReplyView(reply.get()).text()) + " (" + endpoint_.redacted() + ")");
        }
    }
    if (endpoint_.db != 0) command({"SELECT", std::to_string(endpoint_.db)});
    if (!options_.client_name.empty()) command({"CLIENT", "SETNAME", options_.client_name});
    if (endpoint_.through_sentinel()) check_primary();
    if (outage_start_) {
        outage_total_ += std::chrono::steady_clock::now() - *outage_start_;
        outage_start_.reset();
    }
    if (endpoint_.through_sentinel()) {
        auto primary = host_port(endpoint_);
        if (!last_primary_.empty() && primary != last_primary_) ++primary_changes_;
        last_primary_ = std::move(primary);
    }
}

void Connection::check_primary() {
    auto reply = command({"ROLE"});
    ReplyView view(reply.get());
    std::string role = view.is_array() && view.size() > 0 && view.element(0).is_string()
                           ? std::string(view.element(0).text())
                           : view.describe_type();
    if (role == "master") return;
    drop();
    throw RedisIoError("ROLE", "",
                       host_port(endpoint_) + " is a " + (role == "slave" ? "replica" : role) +
                           ", not the primary of " + endpoint_.master_name + " (" +
                           endpoint_.redacted() + ")");
}

bool Connection::says_demoted(const ReplyPtr& reply) const {
    if (!endpoint_.through_sentinel()) return false;
    ReplyView view(reply.get());
    return view.is_error() && names_a_replica(view.text());
}

void Connection::drop() {
    if (!transport_) return;
    transport_.reset();
    if (!outage_start_) {
        outage_start_ = std::chrono::steady_clock::now();
        ++outages_;
    }
}

std::chrono::nanoseconds Connection::time_without_server() const {
    auto total = outage_total_;
    if (outage_start_) total += std::chrono::steady_clock::now() - *outage_start_;
    return total;
}

void Connection::throw_io(const Args& args, const std::string& what) {
    drop();
    throw RedisIoError(args.empty() ? "" : args[0], key_of(args),
                       what + " (" + where(endpoint_) + ")");
}

void Connection::flush(const Args& args) {
    if (output_.empty()) return;
    try {
        transport_->send_all(output_.data(), options_.command_timeout);
    } catch (const TransportError& error) {
        throw_io(args, error.what());
    }
    output_.clear();
}

ReplyPtr Connection::next_reply(const Args& args) {
    for (;;) {
        void* raw = nullptr;
        if (redisReaderGetReply(reader_.get(), &raw) != REDIS_OK) {
            throw_io(args, std::string("protocol error: ") + reader_->errstr);
        }
        if (raw != nullptr) return ReplyPtr(static_cast<redisReply*>(raw));
        char chunk[read_chunk];
        std::size_t received = 0;
        try {
            received = transport_->receive(chunk, sizeof chunk, options_.command_timeout);
        } catch (const TransportError& error) {
            throw_io(args, error.what());
        }
        if (redisReaderFeed(reader_.get(), chunk, received) != REDIS_OK) {
            throw_io(args, "out of memory reading a reply");
        }
    }
}

void Connection::encode(const Args& args) {
    if (broken()) throw_io(args, "connection is broken");
    output_.begin(args.size());
    for (const auto& arg : args) output_.arg(std::string_view(arg));
}

ReplyPtr Connection::command_allow_error(const Args& args) {
    encode(args);
    flush(args);
    auto reply = next_reply(args);
    if (says_demoted(reply)) {
        ++not_primary_replies_;
        throw_io(args, "no longer the primary of " + endpoint_.master_name + ": " +
                           std::string(ReplyView(reply.get()).text()));
    }
    return reply;
}

ReplyPtr Connection::command(const Args& args) {
    auto reply = command_allow_error(args);
    throw_if_error(args, reply);
    return reply;
}

void Connection::append(const Args& args) {
    encode(args);
    ++appended_;
}

void Connection::append(const CommandBuffer& commands) {
    if (broken()) throw_io({"PIPELINE"}, "connection is broken");
    output_.append(commands);
    appended_ += commands.commands();
}

ReplyPtr Connection::read_reply() {
    if (appended_ == 0) throw std::logic_error("read_reply without an appended command");
    --appended_;
    const Args pipeline{"PIPELINE"};
    if (broken()) throw_io(pipeline, "connection is broken");
    flush(pipeline);
    auto reply = next_reply(pipeline);
    // The rest of the pipeline is still on the wire: read it before dropping the socket.
    if (says_demoted(reply)) {
        ++not_primary_replies_;
        demoted_ = true;
    }
    if (demoted_ && appended_ == 0) drop();
    return reply;
}

bool Connection::broken() const {
    return !transport_.has_value();
}

void Connection::reconnect(const Backoff& backoff) {
    auto deadline = std::chrono::steady_clock::now() + backoff.give_up_after;
    auto delay = backoff.initial;
    for (;;) {
        try {
            open();
            return;
        } catch (const RedisIoError&) {
            if (std::chrono::steady_clock::now() + delay >= deadline) throw;
        } catch (const RedisReplyError& error) {
            // A server that is still loading its data set answers LOADING: wait like for I/O.
            if (error.redis_message().rfind("LOADING", 0) != 0 ||
                std::chrono::steady_clock::now() + delay >= deadline) {
                throw;
            }
        }
        std::this_thread::sleep_for(delay);
        delay = std::min(delay * 2, backoff.max_delay);
    }
}

}  // namespace sh::redis
