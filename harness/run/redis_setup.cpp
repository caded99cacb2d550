#include "harness/run/redis_setup.hpp"

#include <algorithm>
#include <sstream>

#include "harness/errors.hpp"
#include "harness/measure/cpu.hpp"
#include "harness/model/order.hpp"
#include "harness/redis/info.hpp"
#include "harness/redis/script.hpp"
#include "harness/redis/streams.hpp"

namespace sh::run {

namespace {

// Redis 6.2 brought XAUTOCLAIM and XPENDING IDLE, which the claim loop relies on.
void require_version(const std::string& version) {
    int major = 0;
    int minor = 0;
    char dot = 0;
    std::istringstream(version) >> major >> dot >> minor;
    if (major < 6 || (major == 6 && minor < 2)) {
        throw EnvironmentError("Redis " + version +
                               " is too old: streamharness needs 6.2 or later (XAUTOCLAIM, "
                               "XPENDING IDLE)");
    }
}

bool evicts(const std::string& policy) {
    return policy.rfind("allkeys-", 0) == 0 || policy.rfind("volatile-", 0) == 0;
}

// Creates the stream with the first group only if no key of that name exists, in one step: a
// stream someone else creates at the same moment is theirs, not the run's to delete later.
constexpr const char* create_if_absent_lua = R"lua(
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('XGROUP', 'CREATE', KEYS[1], ARGV[1], '0', 'MKSTREAM')
return 1
)lua";

// Whether the stream the run created holds only what the run put there: someone else may have
// added a group or entries to it while the run went, and those are not the run's to delete.
// A stream under the run's own key prefix is the run's by name; its entries are not scanned.
std::vector<std::string> others_in_stream(redis::Connection& connection, const model::RunKeys& keys,
                                          const std::vector<std::string>& groups) {
    std::vector<std::string> others;
    for (const auto& info : redis::xinfo_groups(connection, keys.stream())) {
        if (std::find(groups.begin(), groups.end(), info.name) == groups.end()) {
            others.push_back("group '" + info.name + "'");
        }
    }
    if (keys.stream_is_run_scoped()) return others;
    std::string start = "-";
    for (;;) {
        auto reply = connection.command({"XRANGE", keys.stream(), start, "+", "COUNT", "1000"});
        auto entries = redis::parse_entries(redis::ReplyView(reply.get()));
        for (const auto& entry : entries) {
            if (!model::stamped_by(entry.fields, keys.stamp())) {
                others.push_back("entry " + entry.id);
                return others;
            }
        }
        if (entries.size() < 1000) return others;
        start = "(" + entries.back().id;
    }
}

void refuse_existing_groups(redis::Connection& connection, const model::RunKeys& keys,
                            const std::vector<std::string>& groups) {
    for (const auto& info : redis::xinfo_groups(connection, keys.stream())) {
        if (std::find(groups.begin(), groups.end(), info.name) == groups.end()) continue;
        throw EnvironmentError(
            "stream " + keys.stream() + " already has a consumer group '" + info.name + "' (" +
            std::to_string(info.consumers) + " consumers, " + std::to_string(info.pending) +
            " pending) that this run did not create: streamharness never reads, claims or "
            "destroys someone else's group; give the workload's group another name (if an "
            "earlier run left it behind, its report says so under summary.cleanup)");
    }
}

void create_one(redis::Connection& connection, const model::RunKeys& keys, const std::string& group,
                const std::string& start_id, CreatedOnRedis& record) {
    if (!redis::create_group(connection, keys.stream(), group, start_id)) {
        throw EnvironmentError("consumer group '" + group + "' appeared on " + keys.stream() +
                               " while the run was creating it: someone else owns it");
    }
    record.groups.push_back(group);
}

// CONFIG GET one parameter, or "" when the server refuses it (ACL) or does not know it.
std::string config_value(redis::Connection& connection, const char* parameter) {
    try {
        auto reply = connection.command({"CONFIG", "GET", parameter});
        redis::ReplyView view(reply.get());
        if (view.is_array() && view.size() == 2) return std::string(view.element(1).text());
    } catch (const RedisError&) {
    }
    return "";
}

RedisConfig read_config(redis::Connection& node, bool cluster, bool embedded) {
    RedisConfig config;
    config.mode = cluster ? "cluster" : "standalone";
    auto maxmemory = redis::info_field(node, "memory", "maxmemory");
    if (!maxmemory.empty()) config.maxmemory_bytes = std::stoll(maxmemory);
    if (!embedded) return config;
    config.appendfsync = config_value(node, "appendfsync");
    auto threads = config_value(node, "io-threads");
    if (!threads.empty()) config.io_threads = std::stoi(threads);
    return config;
}

}  // namespace

EvictionCount::EvictionCount(redis::Connection& connection) {
    read(connection);
    total_ = 0;  // what was evicted before the run is not the run's
    first_ = last_;
}

void EvictionCount::read(redis::Connection& connection) {
    redis::for_each_node(connection, [&](redis::Connection& node) {
        auto id = redis::info_field(node, "server", "run_id");
        auto text = redis::info_field(node, "stats", "evicted_keys");
        std::int64_t now = text.empty() ? 0 : std::stoll(text);
        // A process first seen now started during the run: all it evicted is the run's.
        auto& last = last_[id];
        if (now > last) total_ += now - last;
        last = std::max(last, now);
    });
}

void require_client_commands(redis::Connection& connection) {
    // Both probes change nothing: no connection has ID 0.
    for (const redis::Args& probe : {redis::Args{"CLIENT", "LIST", "TYPE", "pubsub"},
                                     redis::Args{"CLIENT", "KILL", "ID", "0"}}) {
        auto reply = connection.command_allow_error(probe);
        redis::ReplyView view(reply.get());
        if (view.is_error() && view.text().rfind("NOPERM", 0) == 0) {
            throw EnvironmentError(
                "disconnect faults and external consumers need CLIENT LIST and CLIENT KILL, "
                "which this Redis user may not run (" +
                std::string(view.text()) +
                "): grant them with ACL SETUSER <user> +client|list +client|kill, or run "
                "without them");
        }
    }
}

ServerFacts check_server(redis::Connection& connection, bool allow_eviction, bool embedded) {
    ServerFacts facts;
    // On a cluster every node holds some of the run's keys or may be promoted to: each must pass.
    redis::for_each_node(connection, [&](redis::Connection& node) {
        auto version = redis::info_field(node, "server", "redis_version");
        require_version(version);
        auto policy = redis::info_field(node, "memory", "maxmemory_policy");
        if (evicts(policy) && !allow_eviction) {
            auto maxmemory = redis::info_field(node, "memory", "maxmemory");
            auto where = connection.cluster() ? " on node " + node.endpoint().redacted() : "";
            throw EnvironmentError(
                "Redis runs with maxmemory-policy " + policy + " (maxmemory " + maxmemory + ")" +
                where +
                ": it may evict the run's ledger and hide duplicates or invent losses. Use a "
                "server with noeviction, or pass --allow-eviction to run anyway (the run then "
                "fails if any key is evicted while it goes)");
        }
        if (facts.version.empty()) {
            facts.version = version;
            facts.config = read_config(node, connection.cluster(), embedded);
        }
        if (facts.maxmemory_policy.empty() || evicts(policy)) facts.maxmemory_policy = policy;
    });
    return facts;
}

namespace {

void create_shard_groups(redis::Connection& connection, const model::RunKeys& keys,
                         const std::vector<std::string>& groups, CreatedOnRedis& record) {
    if (groups.empty()) return;
    redis::Script create_if_absent("create-stream", create_if_absent_lua);
    auto created = create_if_absent.run(connection, {keys.stream()}, {groups.front()});
    if (redis::ReplyView(created.get()).integer() == 1) {
        // The first group created the stream: everything in it is the run's.
        record.group_start_id = "0";
        record.stream = true;
        record.groups.push_back(groups.front());
    } else {
        refuse_existing_groups(connection, keys, groups);
        // "$" is the stream's last ID when the group is made; the other groups and any later
        // re-creation start exactly there too.
        create_one(connection, keys, groups.front(), "$", record);
        for (const auto& info : redis::xinfo_groups(connection, keys.stream())) {
            if (info.name == groups.front()) record.group_start_id = info.last_delivered_id;
        }
    }
    for (std::size_t i = 1; i < groups.size(); ++i) {
        create_one(connection, keys, groups[i], record.group_start_id, record);
    }
}

}  // namespace

void create_run_groups(redis::Connection& connection, const model::StreamShards& shards,
                       const std::vector<std::string>& groups, CreatedOnRedis& record) {
    create_shard_groups(connection, shards.front(), groups, record);
    // More shards exist only on run-scoped streams (workload checks): new streams like the
    // first, so the first shard's record speaks for them all.
    for (std::size_t shard = 1; shard < shards.size(); ++shard) {
        CreatedOnRedis same;
        create_shard_groups(connection, shards[shard], groups, same);
    }
}

namespace {

// One shard's part of remove_created; false when one of its groups could not be destroyed.
bool remove_shard(redis::Connection& connection, const model::RunKeys& keys,
                  const std::vector<std::string>& groups, const CreatedOnRedis& record,
                  std::vector<std::string>& notes) {
    redis::Args unlink{"UNLINK"};
    for (const auto& key : keys.owned_keys(groups)) {
        if (key != keys.stream() && key != keys.record() && key != keys.alive() &&
            key != keys.agents()) {
            unlink.push_back(key);
        }
    }
    connection.command(unlink);
    if (record.stream) {
        // A run that failed while it created its shards did not reach the later ones.
        if (redis::ReplyView(connection.command({"EXISTS", keys.stream()}).get()).integer() == 0) {
            return true;
        }
        auto others = others_in_stream(connection, keys, record.groups);
        if (others.empty()) {
            connection.command({"UNLINK", keys.stream()});
            return true;
        }
        notes.push_back("kept stream " + keys.stream() +
                        ", which the run created: someone else added " + others.front() +
                        " to it; removed only the run's groups");
    }
    // The stream stays: only the groups this run made go.
    bool all_destroyed = true;
    for (const auto& group : record.groups) {
        auto reply = connection.command_allow_error({"XGROUP", "DESTROY", keys.stream(), group});
        redis::ReplyView view(reply.get());
        if (view.is_error()) {
            notes.push_back(could_not_destroy + ("'" + group + "' on ") + keys.stream() + ": " +
                            std::string(view.text()));
            all_destroyed = false;
        }
    }
    return all_destroyed;
}

}  // namespace

std::vector<std::string> remove_created(redis::Connection& connection,
                                        const model::StreamShards& shards,
                                        const std::vector<std::string>& groups,
                                        const CreatedOnRedis& record) {
    std::vector<std::string> notes;
    bool all_destroyed = true;
    for (const auto& keys : shards) {
        all_destroyed = remove_shard(connection, keys, groups, record, notes) && all_destroyed;
    }
    // The record goes last, and only when everything it names is gone: after a failure,
    // `cleanup --run-id` can still finish the job.
    if (all_destroyed) {
        const auto& run_keys = shards.front();
        connection.command({"UNLINK", run_keys.record(), run_keys.alive(), run_keys.agents()});
    }
    return notes;
}

CreatedCleanup::CreatedCleanup(redis::Connection& connection, const model::StreamShards& shards,
                               std::vector<std::string> groups, bool enabled)
    : connection_(connection), shards_(shards), groups_(std::move(groups)), enabled_(enabled) {}

CreatedCleanup::~CreatedCleanup() {
    // The run already failed: its own error is what the user sees, so this is best effort.
    try {
        remove();
    } catch (const RedisIoError&) {
        try {
            connection_.reconnect({std::chrono::milliseconds(20), std::chrono::milliseconds(200),
                                   std::chrono::milliseconds(2000)});
            remove_created(connection_, shards_, groups_, record_);
        } catch (const std::exception&) {
        }
    } catch (const std::exception&) {
    }
}

std::vector<std::string> CreatedCleanup::remove() {
    if (!enabled_) return {};
    enabled_ = false;
    return remove_created(connection_, shards_, groups_, record_);
}

}  // namespace sh::run
