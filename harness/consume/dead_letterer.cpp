#include "harness/consume/dead_letterer.hpp"

namespace sh::consume {

namespace {

// KEYS: stream, dlq. ARGV: group, id, reason, deliveries, consumer, delete ("1"), run stamp.
// The stamp is the first `run` field, as model::stamped_by reads it.
// Returns 1 moved, 0 not pending, 2 foreign (an entry that exists without the run's stamp).
constexpr const char* dead_letter_lua = R"lua(
local entry = redis.call('XRANGE', KEYS[1], ARGV[2], ARGV[2])
if #entry > 0 then
  local fields, stamp = entry[1][2], nil
  for i = 1, #fields, 2 do
    if fields[i] == 'run' then
      stamp = fields[i + 1]
      break
    end
  end
  if stamp ~= ARGV[7] then
    if redis.call('XACK', KEYS[1], ARGV[1], ARGV[2]) == 0 then return 0 end
    return 2
  end
end
if redis.call('XACK', KEYS[1], ARGV[1], ARGV[2]) == 0 then return 0 end
local record = {'source_id', ARGV[2], 'group', ARGV[1], 'reason', ARGV[3],
                'deliveries', ARGV[4], 'consumer', ARGV[5]}
if #entry > 0 then
  for _, value in ipairs(entry[1][2]) do record[#record + 1] = value end
end
redis.call('XADD', KEYS[2], '*', unpack(record))
if ARGV[6] == '1' then redis.call('XDEL', KEYS[1], ARGV[2]) end
return 1
)lua";

}  // namespace

DeadLetterer::DeadLetterer(const model::RunKeys& keys, std::string group, std::string consumer,
                           bool delete_entry)
    : keys_(keys),
      group_(std::move(group)),
      consumer_(std::move(consumer)),
      delete_entry_(delete_entry),
      script_("dead-letter", dead_letter_lua) {}

DeadLetterer::Moved DeadLetterer::move(redis::Connection& connection, const std::string& id,
                                       const std::string& reason, std::int64_t deliveries) {
    auto reply = script_.run(connection, {keys_.stream(), keys_.dlq(group_)},
                             {group_, id, reason, std::to_string(deliveries), consumer_,
                              delete_entry_ ? "1" : "0", keys_.stamp()});
    switch (redis::ReplyView(reply.get()).integer()) {
        case 1:
            return Moved::moved;
        case 2:
            return Moved::foreign;
        default:
            return Moved::not_pending;
    }
}

}  // namespace sh::consume
