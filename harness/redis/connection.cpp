#include "harness/redis/connection.hpp"

#include <hiredis/hiredis.h>

#include <algorithm>
#include <cstring>
#include <thread>

#include "harness/errors.hpp"
#include "harness/redis/cluster_router.hpp"
#include "harness/redis/sentinel.hpp"

namespace sh::redis {

namespace {

// Bytes read per call: a large XREADGROUP batch arrives in a few reads, not hundreds.
constexpr std::size_t read_chunk = 64 * 1024;

std::string host_port(const Endpoint& endpoint) {
    return format_host_port(endpoint.host, endpoint.port);
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
    auto traits = command_traits(args);
    if (traits.key) return std::string(*traits.key);
    return traits.known || args.size() < 2 ? std::string{} : args[1];
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
    // A unix socket or Sentinel reaches one node (url.hpp refuses cluster=yes for them).
    if (endpoint_.cluster != ClusterMode::off && !endpoint_.through_sentinel() &&
        endpoint_.unix_path.empty()) {
        detect_cluster();
    }
}

void Connection::detect_cluster() {
    auto reply = single_command({"INFO", "cluster"});
    ReplyView view(reply.get());
    bool enabled = !view.is_error() && view.is_string() &&
                   view.text().find("cluster_enabled:1") != std::string_view::npos;
    if (!enabled) {
        // automatic: a server that does not say (an ACL without INFO, say) is a single node.
        if (endpoint_.cluster == ClusterMode::automatic) return;
        throw RedisReplyError(
            "INFO", "",
            "cluster=yes, but " + where(endpoint_) + " is not a cluster node (" +
                (view.is_error() ? std::string(view.text()) : std::string("cluster_enabled:0")) +
                ")");
    }
    // The router opens its own node connections; this socket is done (no outage: nothing failed).
    transport_.reset();
    cluster_ = std::make_unique<ClusterRouter>(endpoint_, options_);
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
    end_outage();
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

void Connection::end_outage() {
    if (!outage_start_) return;
    outage_total_ += std::chrono::steady_clock::now() - *outage_start_;
    outage_start_.reset();
}

std::chrono::nanoseconds Connection::time_without_server() const {
    if (cluster_) return cluster_->time_without_server();
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
    if (cluster_) return cluster_->command_allow_error(args);
    return single_command(args);
}

ReplyPtr Connection::single_command(const Args& args) {
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
    if (cluster_) return cluster_->command(args);
    auto reply = single_command(args);
    throw_if_error(args, reply);
    return reply;
}

void Connection::append(const Args& args) {
    if (cluster_) return cluster_->append(args);
    encode(args);
    ++appended_;
}

void Connection::append(const CommandBuffer& commands) {
    if (cluster_) return cluster_->append(commands);
    if (broken()) throw_io({"PIPELINE"}, "connection is broken");
    output_.append(commands);
    appended_ += commands.commands();
}

void Connection::append_encoded(std::string_view command) {
    if (broken()) throw_io({"PIPELINE"}, "connection is broken");
    output_.append_encoded(command);
    ++appended_;
}

ReplyPtr Connection::read_reply() {
    if (cluster_) return cluster_->read_reply();
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

std::size_t Connection::appended() const {
    return cluster_ ? cluster_->appended() : appended_;
}

bool Connection::broken() const {
    return cluster_ ? cluster_->broken() : !transport_.has_value();
}

std::int64_t Connection::outages() const {
    return cluster_ ? cluster_->outages() : outages_;
}

std::int64_t Connection::not_primary_replies() const {
    return cluster_ ? cluster_->not_primary_replies() : not_primary_replies_;
}

ClusterCounters Connection::cluster_counters() const {
    return cluster_ ? cluster_->counters() : ClusterCounters{};
}

std::vector<Endpoint> Connection::primaries() {
    return cluster_ ? cluster_->primaries() : std::vector<Endpoint>{endpoint_};
}

Endpoint Connection::node_for_key(const std::string& key) {
    return cluster_ ? cluster_->node_for_key(key) : endpoint_;
}

void Connection::reconnect(const Backoff& backoff) {
    if (cluster_) return cluster_->reconnect(backoff);
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
