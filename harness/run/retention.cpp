#include "harness/run/retention.hpp"

#include <algorithm>
#include <optional>

#include "harness/redis/streams.hpp"

namespace sh::run {

namespace {

using IdPair = std::pair<std::uint64_t, std::uint64_t>;

std::string format_id(IdPair id) {
    return std::to_string(id.first) + "-" + std::to_string(id.second);
}

IdPair successor(IdPair id) {
    return id.second == UINT64_MAX ? IdPair{id.first + 1, 0} : IdPair{id.first, id.second + 1};
}

}  // namespace

Retention::Retention(workload::Retention spec, std::vector<std::string> stream_keys,
                     std::vector<std::string> groups)
    : spec_(spec), stream_keys_(std::move(stream_keys)), groups_(std::move(groups)) {}

std::string Retention::oldest_needed_id(redis::Connection& connection, const std::string& key,
                                        const std::vector<std::string>& groups) {
    // Both bounds only move forward while consumers work (acks shrink the pending list from
    // anywhere, deliveries advance last-delivered-id), so reading them one after the other
    // can only make the bound too low, never too high.
    std::optional<IdPair> needed;
    auto lower = [&](IdPair candidate) {
        if (!needed || candidate < *needed) needed = candidate;
    };
    std::size_t present = 0;
    for (const auto& info : redis::xinfo_groups(connection, key)) {
        if (std::find(groups.begin(), groups.end(), info.name) == groups.end()) continue;
        ++present;
        lower(successor(redis::parse_id(info.last_delivered_id)));
        auto summary = connection.command({"XPENDING", key, info.name});
        redis::ReplyView view(summary.get());
        if (view.element(0).integer() > 0) {
            lower(redis::parse_id(std::string(view.element(1).text())));
        }
    }
    // After a Redis restart without persistence the groups come back one by one, each starting
    // from the beginning: until all are back, nothing is safe to trim.
    if (present < groups.size()) return {};
    return needed ? format_id(*needed) : std::string{};
}

std::int64_t Retention::tick(redis::Connection& connection, std::int64_t now_ns) {
    if (spec_.mode == workload::RetentionMode::off || now_ns < next_ns_) return 0;
    next_ns_ = now_ns + spec_.interval_ms * 1'000'000;
    std::int64_t deleted = 0;
    for (const auto& key : stream_keys_) {
        redis::Args trim;
        if (spec_.mode == workload::RetentionMode::unsafe) {
            trim = {"XTRIM", key, "MAXLEN", std::to_string(spec_.max_len)};
        } else {
            auto min_id = oldest_needed_id(connection, key, groups_);
            if (min_id.empty()) continue;
            trim = {"XTRIM", key, "MINID", min_id};
        }
        auto reply = connection.command(trim);
        auto shard_deleted = redis::ReplyView(reply.get()).integer();
        trimmed_ += shard_deleted;
        deleted += shard_deleted;
    }
    return deleted;
}

}  // namespace sh::run
