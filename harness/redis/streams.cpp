#include "harness/redis/streams.hpp"

#include <charconv>
#include <stdexcept>
#include <string_view>

#include "harness/errors.hpp"

namespace sh::redis {

namespace {

// Stream replies are arrays of bulk strings: any other node means a reply to something else,
// and reading on would act on it (an error's text taken for an entry ID, fields dropped).
[[noreturn]] void malformed(const char* expected, ReplyView node) {
    throw std::runtime_error(std::string("malformed stream reply: expected ") + expected +
                             ", got " + node.describe_type());
}

std::string_view string_at(ReplyView node) {
    if (!node.is_string()) malformed("a string", node);
    return node.text();
}

}  // namespace

std::vector<StreamEntry> parse_entries(ReplyView entries) {
    if (!entries.is_array()) malformed("an array of entries", entries);
    std::vector<StreamEntry> result;
    result.reserve(entries.size());
    for (std::size_t i = 0; i < entries.size(); ++i) {
        auto entry = entries.element(i);
        if (entry.is_nil()) continue;  // XCLAIM of an entry deleted meanwhile
        if (!entry.is_array() || entry.size() != 2) malformed("an entry [id, fields]", entry);
        StreamEntry parsed;
        parsed.id = std::string(string_at(entry.element(0)));
        auto fields = entry.element(1);  // nil: deleted from the stream but still pending
        if (!fields.is_nil() && (!fields.is_array() || fields.size() % 2 != 0)) {
            malformed("field names and values", fields);
        }
        parsed.fields.reserve(fields.size() / 2);
        for (std::size_t f = 0; f < fields.size(); f += 2) {
            parsed.fields.emplace_back(string_at(fields.element(f)),
                                       string_at(fields.element(f + 1)));
        }
        result.push_back(std::move(parsed));
    }
    return result;
}

std::vector<StreamEntry> parse_read_reply(ReplyView reply) {
    if (reply.is_nil()) return {};  // nothing new before BLOCK ran out
    if (!reply.is_array() || reply.size() > 1) malformed("the entries of one stream", reply);
    if (reply.size() == 0) return {};
    auto stream = reply.element(0);
    if (!stream.is_array() || stream.size() != 2 || !stream.element(0).is_string()) {
        malformed("[stream, entries]", stream);
    }
    return parse_entries(stream.element(1));
}

bool create_group(Connection& connection, const std::string& key, const std::string& group,
                  const std::string& start_id) {
    Args args{"XGROUP", "CREATE", key, group, start_id, "MKSTREAM"};
    auto reply = connection.command_allow_error(args);
    ReplyView view(reply.get());
    if (view.is_error() && view.text().rfind("BUSYGROUP", 0) == 0) return false;
    throw_if_error(args, reply);
    return true;
}

namespace {
// XINFO replies are flat [name, value, name, value...] arrays.
template <typename Visit>
void for_each_pair(ReplyView map, Visit visit) {
    for (std::size_t i = 0; i + 1 < map.size(); i += 2) {
        visit(map.element(i).text(), map.element(i + 1));
    }
}
}  // namespace

std::vector<GroupInfo> xinfo_groups(Connection& connection, const std::string& key) {
    auto reply = connection.command({"XINFO", "GROUPS", key});
    ReplyView groups(reply.get());
    std::vector<GroupInfo> result;
    for (std::size_t i = 0; i < groups.size(); ++i) {
        GroupInfo info;
        for_each_pair(groups.element(i), [&](std::string_view name, ReplyView value) {
            if (name == "name") info.name = std::string(value.text());
            if (name == "consumers") info.consumers = value.integer();
            if (name == "pending") info.pending = value.integer();
            if (name == "last-delivered-id") info.last_delivered_id = std::string(value.text());
            if (name == "lag" && !value.is_nil()) info.lag = value.integer();
        });
        result.push_back(std::move(info));
    }
    return result;
}

std::vector<ConsumerInfo> xinfo_consumers(Connection& connection, const std::string& key,
                                          const std::string& group) {
    auto reply = connection.command({"XINFO", "CONSUMERS", key, group});
    ReplyView consumers(reply.get());
    std::vector<ConsumerInfo> result;
    for (std::size_t i = 0; i < consumers.size(); ++i) {
        ConsumerInfo info;
        for_each_pair(consumers.element(i), [&](std::string_view name, ReplyView value) {
            if (name == "name") info.name = std::string(value.text());
            if (name == "pending") info.pending = value.integer();
            if (name == "idle") info.idle_ms = value.integer();
        });
        result.push_back(std::move(info));
    }
    return result;
}

std::vector<PendingEntry> xpending(Connection& connection, const std::string& key,
                                   const std::string& group, std::int64_t min_idle_ms,
                                   std::int64_t count, const std::string& consumer,
                                   const std::string& start) {
    Args args{"XPENDING",           key, group, "IDLE", std::to_string(min_idle_ms), start, "+",
              std::to_string(count)};
    if (!consumer.empty()) args.push_back(consumer);
    auto reply = connection.command(args);
    ReplyView entries(reply.get());
    std::vector<PendingEntry> result;
    result.reserve(entries.size());
    for (std::size_t i = 0; i < entries.size(); ++i) {
        auto entry = entries.element(i);
        result.push_back({std::string(entry.element(0).text()),
                          std::string(entry.element(1).text()), entry.element(2).integer(),
                          entry.element(3).integer()});
    }
    return result;
}

std::int64_t xlen(Connection& connection, const std::string& key) {
    auto reply = connection.command({"XLEN", key});
    return ReplyView(reply.get()).integer();
}

std::pair<std::uint64_t, std::uint64_t> parse_id(const std::string& id) {
    auto dash = id.find('-');
    std::uint64_t ms = 0;
    std::uint64_t seq = 0;
    auto end = dash == std::string::npos ? id.size() : dash;
    std::from_chars(id.data(), id.data() + end, ms);
    if (dash != std::string::npos)
        std::from_chars(id.data() + dash + 1, id.data() + id.size(), seq);
    return {ms, seq};
}

const std::string* find_field(const Fields& fields, std::string_view name) {
    for (const auto& [field, value] : fields) {
        if (field == name) return &value;
    }
    return nullptr;
}

}  // namespace sh::redis
