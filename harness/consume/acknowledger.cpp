#include "harness/consume/acknowledger.hpp"

#include <stdexcept>

#include "harness/redis/replication_wait.hpp"

namespace sh::consume {

namespace {

// KEYS: stream, acked bitmap, dup hash, points hash, shares hash.
// ARGV: group, consumer, with_ack, dedupe, points, then (id, orderno, user, amount) per entry.
// Returns one status character per entry (see AckStatus).
constexpr const char* ack_lua = R"lua(
local group, consumer = ARGV[1], ARGV[2]
local with_ack, dedupe, points = ARGV[3] == '1', ARGV[4] == '1', ARGV[5] == '1'
local status, applied = {}, 0
for i = 6, #ARGV, 4 do
  local owned = 1
  if with_ack then owned = redis.call('XACK', KEYS[1], group, ARGV[i]) end
  if owned == 0 then
    status[#status + 1] = 'n'
  else
    local apply = true
    if redis.call('SETBIT', KEYS[2], ARGV[i + 1], 1) == 1 then
      if dedupe then
        apply = false
        status[#status + 1] = 's'
      else
        redis.call('HINCRBY', KEYS[3], ARGV[i + 1], 1)
        status[#status + 1] = 'd'
      end
    else
      status[#status + 1] = 'a'
    end
    if apply then
      applied = applied + 1
      if points then redis.call('HINCRBY', KEYS[4], ARGV[i + 2], ARGV[i + 3]) end
    end
  end
end
if applied > 0 then redis.call('HINCRBY', KEYS[5], consumer, applied) end
return table.concat(status)
)lua";

}  // namespace

redis::Args ack_script_argv(const std::string& group, const std::string& consumer, bool with_ack,
                            bool dedupe, bool points, const std::vector<ProcessedEntry>& batch) {
    redis::Args argv;
    argv.reserve(5 + 4 * batch.size());
    argv.push_back(group);
    argv.push_back(consumer);
    argv.emplace_back(with_ack ? "1" : "0");
    argv.emplace_back(dedupe ? "1" : "0");
    argv.emplace_back(points ? "1" : "0");
    for (const auto& entry : batch) {
        argv.push_back(entry.id);
        argv.push_back(std::to_string(entry.order.seq));
        argv.push_back(std::to_string(entry.order.user));
        argv.push_back(std::to_string(entry.order.amount));
    }
    return argv;
}

Acknowledger::Acknowledger(const model::RunKeys& keys, const workload::GroupSpec& group,
                           std::string consumer)
    : keys_(keys), group_(group), consumer_(std::move(consumer)), script_("ack", ack_lua) {}

std::vector<AckStatus> Acknowledger::apply(redis::Connection& stream, redis::Connection& ledger,
                                           const std::vector<ProcessedEntry>& batch,
                                           bool with_ack) {
    if (&stream == &ledger || !with_ack) return run_script(ledger, batch, with_ack);
    // One XACK per entry, pipelined: only an entry whose own XACK returned 1 is applied.
    for (const auto& entry : batch) stream.append({"XACK", keys_.stream(), group_.name, entry.id});
    std::vector<AckStatus> statuses(batch.size(), AckStatus::not_owned);
    std::vector<ProcessedEntry> owned;
    std::vector<std::size_t> where;
    // Every reply is read before an error is raised: one left unread would answer the next
    // command on this connection.
    redis::ReplyPtr refused;
    for (std::size_t i = 0; i < batch.size(); ++i) {
        auto reply = stream.read_reply();
        redis::ReplyView view(reply.get());
        if (view.is_error()) {
            if (!refused) refused = std::move(reply);
        } else if (view.integer() == 1) {
            owned.push_back(batch[i]);
            where.push_back(i);
        }
    }
    if (!owned.empty()) {
        auto applied = run_script(ledger, owned, false);
        for (std::size_t i = 0; i < owned.size(); ++i) statuses[where[i]] = applied[i];
    }
    // Raised once what was acknowledged is applied; the refused entries stay pending.
    if (refused) redis::throw_if_error({"XACK", keys_.stream()}, refused);
    return statuses;
}

bool Acknowledger::wait_for_replicas(redis::Connection& stream) {
    const auto& wait = group_.ack_wait;
    if (!wait.enabled()) return true;
    return redis::wait_for(stream,
                           {wait.replicas, wait.aof_local, wait.aof_replicas, wait.timeout_ms});
}

std::vector<AckStatus> Acknowledger::run_script(redis::Connection& connection,
                                                const std::vector<ProcessedEntry>& batch,
                                                bool with_ack) {
    auto argv = ack_script_argv(group_.name, consumer_, with_ack, group_.dedupe,
                                group_.effect == workload::Effect::points, batch);
    auto reply = script_.run(connection,
                             {keys_.stream(), keys_.acked(group_.name), keys_.dup(group_.name),
                              keys_.points(group_.name), keys_.shares(group_.name)},
                             argv);
    auto text = redis::ReplyView(reply.get()).text();
    if (text.size() != batch.size()) {
        throw std::runtime_error("ack script returned " + std::to_string(text.size()) +
                                 " statuses for " + std::to_string(batch.size()) + " entries");
    }
    std::vector<AckStatus> statuses;
    statuses.reserve(text.size());
    for (char c : text) statuses.push_back(static_cast<AckStatus>(c));
    return statuses;
}

std::int64_t Acknowledger::xack(redis::Connection& connection,
                                const std::vector<std::string>& ids) {
    if (ids.empty()) return 0;
    redis::Args args{"XACK", keys_.stream(), group_.name};
    args.insert(args.end(), ids.begin(), ids.end());
    auto reply = connection.command(args);
    return redis::ReplyView(reply.get()).integer();
}

}  // namespace sh::consume
