#include "harness/verify/ledger_reader.hpp"

#include <charconv>

#include "harness/errors.hpp"
#include "harness/redis/streams.hpp"

namespace sh::verify {

namespace {

constexpr int page = 1000;

std::int64_t to_int(std::string_view text) {
    std::int64_t value = 0;
    std::from_chars(text.data(), text.data() + text.size(), value);
    return value;
}

// HSCAN through a hash of integers (duplicates, points, shares can be large).
template <typename Visit>
void scan_hash(redis::Connection& connection, const std::string& key, Visit visit) {
    std::string cursor = "0";
    do {
        auto reply = connection.command({"HSCAN", key, cursor, "COUNT", std::to_string(page)});
        redis::ReplyView view(reply.get());
        cursor = std::string(view.element(0).text());
        auto items = view.element(1);
        for (std::size_t i = 0; i + 1 < items.size(); i += 2) {
            visit(items.element(i).text(), to_int(items.element(i + 1).text()));
        }
    } while (cursor != "0");
}

std::vector<DeadLetter> read_dead_letters(redis::Connection& connection, const std::string& key) {
    std::vector<DeadLetter> letters;
    std::string start = "-";
    for (;;) {
        auto reply = connection.command({"XRANGE", key, start, "+", "COUNT", std::to_string(page)});
        auto entries = redis::parse_entries(redis::ReplyView(reply.get()));
        for (const auto& entry : entries) {
            DeadLetter letter;
            if (const auto* reason = redis::find_field(entry.fields, "reason"))
                letter.reason = *reason;
            if (const auto* count = redis::find_field(entry.fields, "deliveries")) {
                letter.deliveries = to_int(*count);
            }
            if (const auto* seq = redis::find_field(entry.fields, "orderno")) {
                std::uint64_t value = 0;
                auto [end, ec] = std::from_chars(seq->data(), seq->data() + seq->size(), value);
                if (ec == std::errc{} && end == seq->data() + seq->size()) letter.seq = value;
            }
            letters.push_back(std::move(letter));
        }
        if (entries.size() < static_cast<std::size_t>(page)) return letters;
        start = "(" + entries.back().id;
    }
}

}  // namespace

bool has_unread(redis::Connection& connection, const std::string& stream_key,
                const redis::GroupInfo& info) {
    if (info.lag && *info.lag == 0) return false;
    auto reply =
        connection.command({"XRANGE", stream_key, "(" + info.last_delivered_id, "+", "COUNT", "1"});
    return redis::ReplyView(reply.get()).size() > 0;
}

std::int64_t unread_count(redis::Connection& connection, const std::string& stream_key,
                          const redis::GroupInfo& info) {
    if (info.lag && *info.lag == 0) return 0;
    std::int64_t count = 0;
    std::string start = "(" + info.last_delivered_id;
    for (;;) {
        auto reply =
            connection.command({"XRANGE", stream_key, start, "+", "COUNT", std::to_string(page)});
        auto entries = redis::parse_entries(redis::ReplyView(reply.get()));
        count += static_cast<std::int64_t>(entries.size());
        if (entries.size() < static_cast<std::size_t>(page)) return count;
        start = "(" + entries.back().id;
    }
}

GroupLedger read_ledger(redis::Connection& connection, const model::RunKeys& keys,
                        const workload::GroupSpec& group) {
    GroupLedger ledger;
    ledger.group = group.name;
    ledger.points_effect = group.effect == workload::Effect::points;
    auto bitmap = connection.command({"GET", keys.acked(group.name)});
    redis::ReplyView bitmap_view(bitmap.get());
    if (!bitmap_view.is_nil()) ledger.applied_bitmap = std::string(bitmap_view.text());
    scan_hash(connection, keys.dup(group.name), [&](std::string_view seq, std::int64_t extra) {
        ledger.extra_applications[static_cast<std::uint64_t>(to_int(seq))] = extra;
    });
    scan_hash(connection, keys.points(group.name),
              [&](std::string_view, std::int64_t points) { ledger.points_total += points; });
    scan_hash(connection, keys.shares(group.name), [&](std::string_view consumer, std::int64_t n) {
        ledger.shares[std::string(consumer)] = n;
    });
    ledger.dead_letters = read_dead_letters(connection, keys.dlq(group.name));
    auto exists = connection.command({"EXISTS", keys.stream()});
    if (redis::ReplyView(exists.get()).integer() == 0) return ledger;  // gone with a restart
    for (const auto& info : redis::xinfo_groups(connection, keys.stream())) {
        if (info.name != group.name) continue;
        ledger.pending_left = info.pending;
        ledger.lag_left = unread_count(connection, keys.stream(), info);
    }
    return ledger;
}

}  // namespace sh::verify
