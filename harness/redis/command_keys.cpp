#include "harness/redis/command_keys.hpp"

#include <strings.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <optional>
#include <stdexcept>

namespace sh::redis {

namespace {

enum class KeyAt : unsigned char {
    none,           // keyless
    first,          // arg 1
    second,         // arg 2 (XGROUP CREATE key, XINFO GROUPS key, OBJECT ENCODING key)
    after_streams,  // XREAD: the first key after STREAMS
    // XREADGROUP GROUP g c ... STREAMS key: after STREAMS, looked for past the group and
    // consumer names (a group may be called "streams")
    after_group_streams,
    script,  // EVAL/EVALSHA script numkeys key...: arg 3 when numkeys > 0
};

struct Entry {
    std::string_view name;  // upper case; the table is sorted by it
    KeyAt key;
    bool idempotent;
};

// Sorted by name for binary search. Idempotent: reads, and writes that leave the same data when
// repeated (SET of the same value, DEL, XACK...); not XADD, INCR, RPUSH, XREADGROUP, scripts.
constexpr std::array<Entry, 53> table{{
    {"AUTH", KeyAt::none, true},           {"BITCOUNT", KeyAt::first, true},
    {"BLPOP", KeyAt::first, false},        {"CLIENT", KeyAt::none, true},
    {"CLUSTER", KeyAt::none, true},        {"CONFIG", KeyAt::none, true},
    {"DBSIZE", KeyAt::none, true},         {"DEL", KeyAt::first, true},
    {"DUMP", KeyAt::first, true},          {"ECHO", KeyAt::none, true},
    {"EVAL", KeyAt::script, false},        {"EVALSHA", KeyAt::script, false},
    {"EXISTS", KeyAt::first, true},        {"EXPIRE", KeyAt::first, true},
    {"GET", KeyAt::first, true},           {"GETBIT", KeyAt::first, true},
    {"HGET", KeyAt::first, true},          {"HGETALL", KeyAt::first, true},
    {"HLEN", KeyAt::first, true},          {"HSCAN", KeyAt::first, true},
    {"HSET", KeyAt::first, true},          {"HVALS", KeyAt::first, true},
    {"INCR", KeyAt::first, false},         {"INFO", KeyAt::none, true},
    {"LLEN", KeyAt::first, true},          {"OBJECT", KeyAt::second, true},
    {"PEXPIRE", KeyAt::first, true},       {"PING", KeyAt::none, true},
    {"PTTL", KeyAt::first, true},          {"ROLE", KeyAt::none, true},
    {"RPUSH", KeyAt::first, false},        {"SCRIPT", KeyAt::none, true},
    {"SELECT", KeyAt::none, true},         {"SET", KeyAt::first, true},
    {"SETBIT", KeyAt::first, true},        {"TIME", KeyAt::none, true},
    {"TYPE", KeyAt::first, true},          {"UNLINK", KeyAt::first, true},
    {"WAIT", KeyAt::none, true},           {"WAITAOF", KeyAt::none, true},
    {"XACK", KeyAt::first, true},          {"XADD", KeyAt::first, false},
    {"XAUTOCLAIM", KeyAt::first, false},   {"XCLAIM", KeyAt::first, false},
    {"XDEL", KeyAt::first, false},         {"XGROUP", KeyAt::second, false},
    {"XINFO", KeyAt::second, true},        {"XLEN", KeyAt::first, true},
    {"XPENDING", KeyAt::first, true},      {"XRANGE", KeyAt::first, true},
    {"XREAD", KeyAt::after_streams, true}, {"XREADGROUP", KeyAt::after_group_streams, false},
    {"XTRIM", KeyAt::first, false},
}};

static_assert(std::is_sorted(table.begin(), table.end(),
                             [](const Entry& a, const Entry& b) { return a.name < b.name; }));

// Case-insensitive order; the names hold letters only, so it is the table's order too.
int compare(std::string_view a, std::string_view b) {
    int order = strncasecmp(a.data(), b.data(), std::min(a.size(), b.size()));
    if (order != 0) return order;
    return a.size() < b.size() ? -1 : a.size() > b.size() ? 1 : 0;
}

const Entry* find(std::string_view name) {
    auto it = std::lower_bound(table.begin(), table.end(), name,
                               [](const Entry& e, auto n) { return compare(e.name, n) < 0; });
    return it != table.end() && compare(it->name, name) == 0 ? &*it : nullptr;
}

bool is(std::string_view word, const char* upper) {
    return compare(word, upper) == 0;
}

// For Args and for views of an encoded command alike.
template <typename Words>
std::optional<std::string_view> key_at(KeyAt rule, const Words& args) {
    switch (rule) {
        case KeyAt::none:
            return std::nullopt;
        case KeyAt::first:
            if (args.size() > 1) return std::string_view(args[1]);
            return std::nullopt;
        case KeyAt::second:
            if (args.size() > 2) return std::string_view(args[2]);
            return std::nullopt;
        case KeyAt::after_streams:
        case KeyAt::after_group_streams:
            // Options before STREAMS take numbers (COUNT, BLOCK) or nothing (NOACK).
            for (std::size_t i = rule == KeyAt::after_streams ? 1 : 4; i + 1 < args.size(); ++i) {
                if (is(args[i], "STREAMS")) return std::string_view(args[i + 1]);
            }
            return std::nullopt;
        case KeyAt::script:
            if (args.size() > 3 && std::string_view(args[2]) != "0") {
                return std::string_view(args[3]);
            }
            return std::nullopt;
    }
    return std::nullopt;
}

template <typename Words>
CommandTraits traits_of(const Words& args) {
    CommandTraits traits;
    if (args.empty()) return traits;
    const Entry* entry = find(args[0]);
    if (entry == nullptr) return traits;
    traits.known = true;
    traits.idempotent = entry->idempotent;
    traits.key = key_at(entry->key, args);
    traits.every_primary =
        args.size() > 1 &&
        ((is(args[0], "SCRIPT") && (is(args[1], "LOAD") || is(args[1], "FLUSH"))) ||
         (is(args[0], "CONFIG") && is(args[1], "SET")));
    return traits;
}

}  // namespace

CommandTraits command_traits(const Args& args) {
    return traits_of(args);
}

CommandTraits command_traits(std::span<const std::string_view> args) {
    return traits_of(args);
}

std::size_t scan_command(std::string_view resp, std::vector<std::string_view>& words) {
    const auto size = resp.size();
    auto number = [&resp](char kind) {
        if (resp.empty() || resp.front() != kind) {
            throw std::invalid_argument(std::string("RESP command: expected '") + kind + "'");
        }
        std::size_t value = 0;
        auto [end, ec] = std::from_chars(resp.data() + 1, resp.data() + resp.size(), value);
        auto used = static_cast<std::size_t>(end - resp.data());
        if (ec != std::errc{} || resp.substr(used, 2) != "\r\n") {
            throw std::invalid_argument("RESP command: bad length");
        }
        resp.remove_prefix(used + 2);
        return value;
    };
    words.clear();
    auto count = number('*');
    for (std::size_t i = 0; i < count; ++i) {
        auto length = number('$');
        if (resp.size() < length + 2 || resp.substr(length, 2) != "\r\n") {
            throw std::invalid_argument("RESP command: truncated argument");
        }
        words.push_back(resp.substr(0, length));
        resp.remove_prefix(length + 2);
    }
    return size - resp.size();
}

std::vector<Args> decode_commands(std::string_view resp) {
    std::vector<Args> commands;
    std::vector<std::string_view> words;
    while (!resp.empty()) {
        resp.remove_prefix(scan_command(resp, words));
        commands.emplace_back(words.begin(), words.end());
    }
    return commands;
}

}  // namespace sh::redis
