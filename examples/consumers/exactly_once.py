#!/usr/bin/env python3
"""A consumer whose effect happens exactly once per order, whatever the harness does to it.

The effect and the acknowledgement are one atomic step (a Lua script): the copy that
acknowledges the entry first applies it; a copy delivered again after a kill, or claimed
from a consumer that stalled and woke up, finds it acknowledged and does nothing. So a hard
kill between reading and acknowledging loses nothing (the entry stays pending and is
claimed) and duplicates nothing.

Run it under streamharness with workloads/external-exactly-once.json.
"""

from contract import ConsumerLoop, do_work

APPLY_LUA = """
-- KEYS: stream, applied. ARGV: group, id, orderno.
if redis.call('XACK', KEYS[1], ARGV[1], ARGV[2]) == 1 then
  redis.call('HINCRBY', KEYS[2], ARGV[3], 1)
  return 1
end
return 0
"""


class ExactlyOnce:
    def __init__(self):
        self.script = None

    def __call__(self, client, contract, orders):
        if self.script is None:
            self.script = client.register_script(APPLY_LUA)
        pipe = client.pipeline(transaction=False)
        for order in orders:
            do_work()
            self.script(keys=[contract.stream, contract.applied_key],
                        args=[contract.group, order.id, order.orderno], client=pipe)
        pipe.execute()


if __name__ == "__main__":
    ConsumerLoop(ExactlyOnce()).run()
