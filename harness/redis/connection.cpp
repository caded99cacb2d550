#include "harness/redis/connection.hpp"

#include <hiredis/hiredis.h>
#include <strings.h>

#include <algorithm>
#include <cstring>
#include <thread>

#include "harness/errors.hpp"

namespace sh::redis {

namespace {

bool same_word(const std::string& a, const char* b) {
    return strcasecmp(a.c_str(), b) == 0;
}

// Bytes read per call: a large XREADGROUP batch arrives in a few reads, not hundreds.
constexpr std::size_t read_chunk = 64 * 1024;

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
    transport_.reset();
    output_.clear();
    appended_ = 0;
    reader_.reset(redisReaderCreate());
    if (!reader_) throw RedisIoError("CONNECT", "", "out of memory allocating a reply reader");
    try {
        transport_.emplace(Transport::connect(endpoint_, options_.connect_timeout));
    } catch (const TransportError& error) {
        throw RedisIoError("CONNECT", "",
                           "cannot reach " + endpoint_.redacted() + ": " + error.what());
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
}

void Connection::throw_io(const Args& args, const std::string& what) {
    transport_.reset();
    throw RedisIoError(args.empty() ? "" : args[0], key_of(args),
                       what + " (" + endpoint_.redacted() + ")");
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
    return next_reply(args);
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
    return next_reply(pipeline);
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
