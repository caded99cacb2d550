#!/usr/bin/env python3
"""The seed tutorial's listener (ScoreConsumerA/B, PushConsumerA), ported line for line.

Every instance of a service reads under the same consumer name ("consumer-score" for the
score group), XREADGROUP ... BLOCK 60 min STREAMS ordermq >, handles each record and
acknowledges it, then sleeps a second. It never reads its pending list and has no claim
loop, so what a killed instance held stays pending under the shared name: the other
instance reads only new entries and never picks it up. Under kills the gate fails with
those entries lost, left pending and stuck.

It ignores STREAMHARNESS_CONSUMER on purpose, as the tutorial's code would. It is here to
show what the harness catches, not as a pattern.

Run it under streamharness with workloads/external-seed-naive.json.
"""

import time

import redis

from contract import Contract, Order, do_work, log


def main():
    contract = Contract()
    client = contract.connect()
    # Constants.CONSUMER_SCORE: one name for every instance of the service.
    consumer = f"consumer-{contract.group}"
    log(contract, f"reading {contract.stream} as {consumer} (the tutorial's shared name)")
    while True:
        try:
            # ReadOffset.lastConsumed(), StreamReadOptions.empty().block(Duration.ofMinutes(60))
            reply = client.xreadgroup(contract.group, consumer, {contract.stream: ">"},
                                      block=60 * 60 * 1000)
            for _stream, records in reply or []:
                for entry_id, fields in records:
                    order = Order(entry_id, fields)
                    if order.poison:
                        continue  # the handler fails; nothing ever retries it
                    if order.of_run(contract.run) and order.orderno is not None:
                        # "TODO 添加积分逻辑" (add the points): the effect the verifier counts
                        do_work()
                        client.hincrby(contract.applied_key, order.orderno, 1)
                    client.xack(contract.stream, contract.group, entry_id)
            time.sleep(1)
        except (redis.ConnectionError, redis.TimeoutError) as error:
            # Lettuce under RedisTemplate reconnects on its own.
            log(contract, f"lost Redis ({error}); reconnecting")
            time.sleep(1)


if __name__ == "__main__":
    main()
