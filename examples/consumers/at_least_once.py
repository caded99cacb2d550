#!/usr/bin/env python3
"""A consumer that applies first and acknowledges after: at-least-once delivery.

Nothing is lost: an order is acknowledged only once its effect is done, and an orphan is
claimed. But a consumer killed between the two leaves an applied order pending, and the
claim applies it again. A graceful stop (SIGTERM) finishes the batch and duplicates
nothing. The verdict tells the two apart: `duplicated` counts every extra application,
`duplicated_without_hard_kill` only those no hard kill explains.

Run it under streamharness with workloads/external-at-least-once.json.
"""

from contract import ConsumerLoop, do_work


def apply_then_acknowledge(client, contract, orders):
    # Each order's effect as soon as it is handled; the batch is acknowledged at its end.
    for order in orders:
        do_work()
        client.hincrby(contract.applied_key, order.orderno, 1)
    client.xack(contract.stream, contract.group, *[order.id for order in orders])


if __name__ == "__main__":
    ConsumerLoop(apply_then_acknowledge).run()
