#include "harness/run/redis_setup.hpp"

#include <algorithm>
#include <sstream>

#include "harness/errors.hpp"
#include "harness/measure/cpu.hpp"
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

bool key_exists(redis::Connection& connection, const std::string& key) {
    auto reply = connection.command({"EXISTS", key});
    return redis::ReplyView(reply.get()).integer() != 0;
}

void refuse_existing_groups(redis::Connection& connection, const model::RunKeys& keys,
                            const std::vector<std::string>& groups) {
    for (const auto& info : redis::xinfo_groups(connection, keys.stream())) {
        if (std::find(groups.begin(), groups.end(), info.name) == groups.end()) continue;
        throw EnvironmentError(
            "stream " + keys.stream() + " already has a consumer group '" + info.name + "' (" +
            std::to_string(info.consumers) + " consumers, " + std::to_string(info.pending) +
            " pending) that this run did not create: streamharness never reads, claims or "
            "destroys someone else's group; give the workload's group another name");
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

}  // namespace

std::int64_t evicted_keys(redis::Connection& connection) {
    auto text = measure::info_field(connection, "stats", "evicted_keys");
    return text.empty() ? 0 : std::stoll(text);
}

ServerFacts check_server(redis::Connection& connection, bool allow_eviction) {
    ServerFacts facts;
    facts.version = measure::info_field(connection, "server", "redis_version");
    require_version(facts.version);
    facts.maxmemory_policy = measure::info_field(connection, "memory", "maxmemory_policy");
    if (evicts(facts.maxmemory_policy) && !allow_eviction) {
        auto maxmemory = measure::info_field(connection, "memory", "maxmemory");
        throw EnvironmentError(
            "Redis runs with maxmemory-policy " + facts.maxmemory_policy + " (maxmemory " +
            maxmemory +
            "): it may evict the run's ledger and hide duplicates or invent losses. Use a "
            "server with noeviction, or pass --allow-eviction to run anyway (the run then "
            "fails if any key is evicted while it goes)");
    }
    facts.evicted_keys = evicted_keys(connection);
    return facts;
}

void create_run_groups(redis::Connection& connection, const model::RunKeys& keys,
                       const std::vector<std::string>& groups, CreatedOnRedis& record) {
    if (groups.empty()) return;
    if (!key_exists(connection, keys.stream())) {
        // The first group creates the stream (MKSTREAM): everything in it is the run's.
        record.group_start_id = "0";
        record.stream = true;
        create_one(connection, keys, groups.front(), "0", record);
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

void remove_created(redis::Connection& connection, const model::RunKeys& keys,
                    const std::vector<std::string>& groups, const CreatedOnRedis& record) {
    redis::Args unlink{"UNLINK"};
    for (const auto& key : keys.owned_keys(groups)) {
        if (key != keys.stream()) unlink.push_back(key);
    }
    if (record.stream) unlink.push_back(keys.stream());
    connection.command(unlink);
    if (record.stream) return;
    // The stream stays (it was there before the run): only the groups this run made go.
    for (const auto& group : record.groups) {
        connection.command_allow_error({"XGROUP", "DESTROY", keys.stream(), group});
    }
}

CreatedCleanup::CreatedCleanup(redis::Connection& connection, const model::RunKeys& keys,
                               std::vector<std::string> groups, bool enabled)
    : connection_(connection), keys_(keys), groups_(std::move(groups)), enabled_(enabled) {}

CreatedCleanup::~CreatedCleanup() {
    // The run already failed: its own error is what the user sees, so this is best effort.
    try {
        remove();
    } catch (const RedisIoError&) {
        try {
            connection_.reconnect({std::chrono::milliseconds(20), std::chrono::milliseconds(200),
                                   std::chrono::milliseconds(2000)});
            remove_created(connection_, keys_, groups_, record_);
        } catch (const std::exception&) {
        }
    } catch (const std::exception&) {
    }
}

void CreatedCleanup::remove() {
    if (!enabled_) return;
    enabled_ = false;
    remove_created(connection_, keys_, groups_, record_);
}

}  // namespace sh::run
