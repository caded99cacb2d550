#include "harness/redis/connection.hpp"

#include <hiredis/hiredis.h>
#include <strings.h>

#include <algorithm>
#include <cstring>
#include <thread>

#include "harness/errors.hpp"

namespace sh::redis {

namespace {

timeval to_timeval(std::chrono::milliseconds ms) {
    return timeval{static_cast<time_t>(ms.count() / 1000),
                   static_cast<suseconds_t>((ms.count() % 1000) * 1000)};
}

bool same_word(const std::string& a, const char* b) {
    return strcasecmp(a.c_str(), b) == 0;
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

void Connection::ContextDeleter::operator()(redisContext* context) const {
    redisFree(context);
}

Connection::Connection(Endpoint endpoint, ConnectionOptions options)
    : endpoint_(std::move(endpoint)), options_(std::move(options)) {
    open();
}

Connection::~Connection() = default;
Connection::Connection(Connection&&) noexcept = default;
Connection& Connection::operator=(Connection&&) noexcept = default;

void Connection::open() {
    context_.reset();
    pending_commands_.clear();
    appended_ = 0;
    auto timeout = to_timeval(options_.connect_timeout);
    redisContext* raw =
        endpoint_.unix_path.empty()
            ? redisConnectWithTimeout(endpoint_.host.c_str(), endpoint_.port, timeout)
            : redisConnectUnixWithTimeout(endpoint_.unix_path.c_str(), timeout);
    if (raw == nullptr) throw RedisIoError("CONNECT", "", "out of memory allocating a context");
    context_.reset(raw);
    if (context_->err != 0) {
        throw RedisIoError("CONNECT", "",
                           "cannot reach " + endpoint_.redacted() + ": " + context_->errstr);
    }
    if (redisSetTimeout(context_.get(), to_timeval(options_.command_timeout)) != REDIS_OK) {
        throw RedisIoError("CONNECT", "", "cannot set the command timeout");
    }
    if (!endpoint_.password.empty()) {
        Args auth = endpoint_.user.empty() ? Args{"AUTH", endpoint_.password}
                                           : Args{"AUTH", endpoint_.user, endpoint_.password};
        auto reply = command_allow_error(auth);
        if (ReplyView(reply.get()).is_error()) {
            // Never echo the password: report the user and Redis's reason only.
            throw RedisReplyError("AUTH", endpoint_.user,
                                  std::string(ReplyView(reply.get()).text()));
        }
    }
    if (endpoint_.db != 0) command({"SELECT", std::to_string(endpoint_.db)});
    if (!options_.client_name.empty()) command({"CLIENT", "SETNAME", options_.client_name});
}

void Connection::throw_io(const Args& args, const char* what) {
    std::string message = context_ && context_->err != 0 ? context_->errstr : what;
    if (context_ && context_->err == REDIS_ERR_IO && message.find("Resource temporarily") == 0) {
        message = "timed out after " + std::to_string(options_.command_timeout.count()) + " ms";
    }
    throw RedisIoError(args.empty() ? "" : args[0], key_of(args), message);
}

namespace {
struct ArgvView {
    std::vector<const char*> argv;
    std::vector<std::size_t> lengths;
    explicit ArgvView(const Args& args) {
        argv.reserve(args.size());
        lengths.reserve(args.size());
        for (const auto& arg : args) {
            argv.push_back(arg.data());
            lengths.push_back(arg.size());
        }
    }
};
}  // namespace

ReplyPtr Connection::command_allow_error(const Args& args) {
    if (broken()) throw_io(args, "connection is broken");
    ArgvView view(args);
    void* raw = redisCommandArgv(context_.get(), static_cast<int>(args.size()), view.argv.data(),
                                 view.lengths.data());
    if (raw == nullptr) throw_io(args, "no reply");
    return ReplyPtr(static_cast<redisReply*>(raw));
}

ReplyPtr Connection::command(const Args& args) {
    auto reply = command_allow_error(args);
    throw_if_error(args, reply);
    return reply;
}

void Connection::append(const Args& args) {
    if (broken()) throw_io(args, "connection is broken");
    ArgvView view(args);
    if (redisAppendCommandArgv(context_.get(), static_cast<int>(args.size()), view.argv.data(),
                               view.lengths.data()) != REDIS_OK) {
        throw_io(args, "cannot append command");
    }
    ++appended_;
}

void Connection::append(const CommandBuffer& commands) {
    if (broken()) throw_io({"PIPELINE"}, "connection is broken");
    auto data = commands.data();
    if (redisAppendFormattedCommand(context_.get(), data.data(), data.size()) != REDIS_OK) {
        throw_io({"PIPELINE"}, "cannot append commands");
    }
    appended_ += commands.commands();
}

ReplyPtr Connection::read_reply() {
    void* raw = nullptr;
    if (appended_ == 0) throw std::logic_error("read_reply without an appended command");
    --appended_;
    if (redisGetReply(context_.get(), &raw) != REDIS_OK || raw == nullptr) {
        throw_io({"PIPELINE"}, "no reply");
    }
    return ReplyPtr(static_cast<redisReply*>(raw));
}

bool Connection::broken() const {
    return !context_ || context_->err != 0;
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
