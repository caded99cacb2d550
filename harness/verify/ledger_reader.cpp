#include "harness/verify/ledger_reader.hpp"

#include <algorithm>
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

// Calls visit(entry) for every entry of the run after `after` (exclusive) until it returns
// false or the stream ends.
template <typename Visit>
void each_own_entry(redis::Connection& connection, const model::RunKeys& keys,
                    const std::string& after, Visit visit) {
    std::string start = after.empty() ? "-" : "(" + after;
    for (;;) {
        auto reply = connection.command(
            {"XRANGE", keys.stream(), start, "+", "COUNT", std::to_string(page)});
        auto entries = redis::parse_entries(redis::ReplyView(reply.get()));
        for (const auto& entry : entries) {
            if (model::stamped_by(entry.fields, keys.stamp()) && !visit(entry)) return;
        }
        if (entries.size() < static_cast<std::size_t>(page)) return;
        start = "(" + entries.back().id;
    }
}

// Pending entries of the group that are the run's: its own, or deleted (nobody can tell whose
// they were, so they count against the run).
std::int64_t own_pending(redis::Connection& connection, const model::RunKeys& keys,
                         const redis::GroupInfo& info) {
    if (info.pending == 0 || keys.stream_is_run_scoped()) return info.pending;
    std::int64_t count = 0;
    std::string start = "-";
    for (;;) {
        auto pending = redis::xpending(connection, keys.stream(), info.name, 0, page, {}, start);
        for (const auto& entry : pending) {
            auto reply = connection.command({"XRANGE", keys.stream(), entry.id, entry.id});
            auto found = redis::parse_entries(redis::ReplyView(reply.get()));
            if (found.empty() || model::stamped_by(found.front().fields, keys.stamp())) ++count;
        }
        if (pending.size() < static_cast<std::size_t>(page)) return count;
        start = "(" + pending.back().id;
    }
}

}  // namespace

bool has_unread(redis::Connection& connection, const model::RunKeys& keys,
                const redis::GroupInfo& info) {
    if (info.lag && *info.lag == 0) return false;
    bool found = false;
    each_own_entry(connection, keys, info.last_delivered_id, [&](const redis::StreamEntry&) {
        found = true;
        return false;
    });
    return found;
}

std::int64_t unread_count(redis::Connection& connection, const model::RunKeys& keys,
                          const redis::GroupInfo& info) {
    if (info.lag && *info.lag == 0) return 0;
    std::int64_t count = 0;
    each_own_entry(connection, keys, info.last_delivered_id, [&](const redis::StreamEntry&) {
        ++count;
        return true;
    });
    return count;
}

std::vector<std::uint64_t> orders_in_stream(redis::Connection& connection,
                                            const model::RunKeys& keys) {
    std::vector<std::uint64_t> orders;
    auto exists = connection.command({"EXISTS", keys.stream()});
    if (redis::ReplyView(exists.get()).integer() == 0) return orders;
    each_own_entry(connection, keys, "", [&](const redis::StreamEntry& entry) {
        if (auto order = model::decode_order(entry.fields)) orders.push_back(order->seq);
        return true;
    });
    return orders;
}

std::vector<std::uint64_t> find_in_stream(redis::Connection& connection, const model::RunKeys& keys,
                                          const std::vector<std::uint64_t>& candidates) {
    std::vector<std::uint64_t> found;
    if (candidates.empty()) return found;
    std::vector<std::uint64_t> wanted = candidates;
    std::sort(wanted.begin(), wanted.end());
    auto exists = connection.command({"EXISTS", keys.stream()});
    if (redis::ReplyView(exists.get()).integer() == 0) return found;
    each_own_entry(connection, keys, "", [&](const redis::StreamEntry& entry) {
        auto order = model::decode_order(entry.fields);
        if (order && std::binary_search(wanted.begin(), wanted.end(), order->seq)) {
            found.push_back(order->seq);
        }
        return found.size() < wanted.size();
    });
    return found;
}

// An external consumer's ledger is a hash order number -> applications: the same facts as the
// built-in consumer's bitmap and duplicate hash, in another shape.
void read_applied_hash(redis::Connection& connection, const std::string& key, std::uint64_t orders,
                       GroupLedger& ledger) {
    scan_hash(connection, key, [&](std::string_view field, std::int64_t count) {
        std::uint64_t seq = 0;
        auto [end, ec] = std::from_chars(field.data(), field.data() + field.size(), seq);
        // Applied something the run never produced (a bit for it could be of any size).
        if (ec != std::errc{} || end != field.data() + field.size() || seq >= orders) {
            if (count > 0) ++ledger.applications_of_no_order;
            return;
        }
        if (count <= 0) return;
        set_bit(ledger.applied_bitmap, seq);
        if (count > 1) ledger.extra_applications[seq] = count - 1;
    });
}

// Entries idle three claim idle times or more at the end, per consumer holding them; and the
// consumers holding entries that have been silent as long.
void read_stuck(redis::Connection& connection, const model::RunKeys& keys,
                const workload::GroupSpec& group, GroupLedger& ledger) {
    constexpr std::int64_t stuck_factor = 3;
    const auto idle_ms = stuck_factor * group.claim.min_idle_ms;
    for (const auto& entry :
         redis::xpending(connection, keys.stream(), group.name, idle_ms, 1'000'000)) {
        ++ledger.stuck;
        ++ledger.stuck_by_consumer[entry.consumer];
    }
    for (const auto& consumer : redis::xinfo_consumers(connection, keys.stream(), group.name)) {
        if (consumer.pending > 0 && consumer.idle_ms >= idle_ms) {
            ledger.stalled_consumers[consumer.name] = consumer.idle_ms;
        }
    }
}

GroupLedger read_ledger(redis::Connection& connection, const model::RunKeys& keys,
                        const workload::GroupSpec& group, std::uint64_t orders,
                        redis::Connection* effect_store) {
    auto& effects = effect_store != nullptr ? *effect_store : connection;
    GroupLedger ledger;
    ledger.group = group.name;
    ledger.points_effect = group.effect == workload::Effect::points;
    if (group.consumer) {
        read_applied_hash(connection, keys.applied(group.name), orders, ledger);
    } else {
        auto bitmap = effects.command({"GET", keys.acked(group.name)});
        redis::ReplyView bitmap_view(bitmap.get());
        if (!bitmap_view.is_nil()) ledger.applied_bitmap = std::string(bitmap_view.text());
        scan_hash(effects, keys.dup(group.name), [&](std::string_view seq, std::int64_t n) {
            ledger.extra_applications[static_cast<std::uint64_t>(to_int(seq))] = n;
        });
        scan_hash(effects, keys.points(group.name),
                  [&](std::string_view, std::int64_t points) { ledger.points_total += points; });
        scan_hash(effects, keys.shares(group.name), [&](std::string_view consumer, std::int64_t n) {
            ledger.shares[std::string(consumer)] = n;
        });
    }
    ledger.dead_letters = read_dead_letters(connection, keys.dlq(group.name));
    auto exists = connection.command({"EXISTS", keys.stream()});
    if (redis::ReplyView(exists.get()).integer() == 0) return ledger;  // gone with a restart
    for (const auto& info : redis::xinfo_groups(connection, keys.stream())) {
        if (info.name != group.name) continue;
        ledger.pending_left = own_pending(connection, keys, info);
        ledger.lag_left = unread_count(connection, keys, info);
        if (info.pending > 0) read_stuck(connection, keys, group, ledger);
    }
    return ledger;
}

GroupLedger read_ledger(redis::Connection& connection, const model::StreamShards& shards,
                        const workload::GroupSpec& group, std::uint64_t orders,
                        redis::Connection* effect_store) {
    auto ledger = read_ledger(connection, shards.front(), group, orders, effect_store);
    for (std::size_t shard = 1; shard < shards.size(); ++shard) {
        add_shard_ledger(ledger,
                         read_ledger(connection, shards[shard], group, orders, effect_store));
    }
    return ledger;
}

std::vector<std::uint64_t> orders_in_stream(redis::Connection& connection,
                                            const model::StreamShards& shards) {
    std::vector<std::uint64_t> orders;
    for (const auto& keys : shards) {
        auto more = orders_in_stream(connection, keys);
        orders.insert(orders.end(), more.begin(), more.end());
    }
    return orders;
}

std::vector<std::uint64_t> find_in_stream(redis::Connection& connection,
                                          const model::StreamShards& shards,
                                          const std::vector<std::uint64_t>& candidates) {
    std::vector<std::uint64_t> found;
    for (const auto& keys : shards) {
        auto more = find_in_stream(connection, keys, candidates);
        found.insert(found.end(), more.begin(), more.end());
    }
    return found;
}

}  // namespace sh::verify
