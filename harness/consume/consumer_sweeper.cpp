#include "harness/consume/consumer_sweeper.hpp"

namespace sh::consume {

namespace {

// KEYS: stream. ARGV: group, min_idle_ms, self. XINFO CONSUMERS entries are flat
// [name, n, pending, p, idle, i] arrays on Redis 7.0.
constexpr const char* sweep_lua = R"lua(
local removed = 0
local min_idle = tonumber(ARGV[2])
for _, consumer in ipairs(redis.call('XINFO', 'CONSUMERS', KEYS[1], ARGV[1])) do
  local info = {}
  for i = 1, #consumer, 2 do info[consumer[i]] = consumer[i + 1] end
  if info['name'] ~= ARGV[3] and info['pending'] == 0 and info['idle'] >= min_idle then
    redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], info['name'])
    removed = removed + 1
  end
end
return removed
)lua";

}  // namespace

ConsumerSweeper::ConsumerSweeper(const model::RunKeys& keys, std::string group, std::string self)
    : keys_(keys), group_(std::move(group)), self_(std::move(self)), script_("sweep", sweep_lua) {}

std::int64_t ConsumerSweeper::sweep(redis::Connection& connection, std::int64_t min_idle_ms) {
    auto reply =
        script_.run(connection, {keys_.stream()}, {group_, std::to_string(min_idle_ms), self_});
    return redis::ReplyView(reply.get()).integer();
}

}  // namespace sh::consume
