"""What the reference consumers share: the environment streamharness hands a consumer, the
entry's fields, stopping on SIGTERM, and the loop that reads, claims and comes back after a
lost connection. The consumers differ only in how they apply and acknowledge a batch.

The contract itself is docs/consumer-contract.md; this file is one reading of it.
"""

import os
import signal
import sys
import time

import redis

# How a consumer that reads the dead-letter stream finds the order again.
DEAD_LETTER_LUA = """
-- KEYS: stream, dead letters. ARGV: group, id, reason, deliveries, consumer.
-- Acknowledge and record in one step: an entry another consumer acknowledged meanwhile is
-- not dead-lettered, and one dead-lettered is never left pending.
if redis.call('XACK', KEYS[1], ARGV[1], ARGV[2]) == 0 then return 0 end
local record = {'source_id', ARGV[2], 'group', ARGV[1], 'reason', ARGV[3],
                'deliveries', ARGV[4], 'consumer', ARGV[5]}
local entry = redis.call('XRANGE', KEYS[1], ARGV[2], ARGV[2])
if #entry > 0 then
  for _, value in ipairs(entry[1][2]) do record[#record + 1] = value end
end
redis.call('XADD', KEYS[2], '*', unpack(record))
return 1
"""


class Contract:
    """The STREAMHARNESS_* variables, read once at start."""

    def __init__(self, environ=None):
        environ = os.environ if environ is None else environ

        def need(name):
            value = environ.get(name)
            if not value:
                raise SystemExit(f"{sys.argv[0]}: {name} is not set: run me under streamharness "
                                 "(see docs/consumer-contract.md)")
            return value

        self.redis_url = need("STREAMHARNESS_REDIS_URL")
        self.stream = need("STREAMHARNESS_STREAM")
        self.group = need("STREAMHARNESS_GROUP")
        self.consumer = need("STREAMHARNESS_CONSUMER")
        self.applied_key = need("STREAMHARNESS_APPLIED_KEY")
        self.dead_letter_key = need("STREAMHARNESS_DEAD_LETTER_KEY")
        self.run = need("STREAMHARNESS_RUN")
        self.min_idle_ms = int(need("STREAMHARNESS_MIN_IDLE_MS"))
        self.claim_interval_ms = int(need("STREAMHARNESS_CLAIM_INTERVAL_MS"))
        self.max_deliveries = int(need("STREAMHARNESS_MAX_DELIVERIES"))

    def connect(self):
        return redis.Redis.from_url(redis_py_url(self.redis_url), decode_responses=True,
                                    socket_connect_timeout=5)


def redis_py_url(url):
    """The URL without the parameters redis-py does not take: ssl_server_name (streamharness
    --tls-server-name; redis-py checks a certificate against the URL's host only, so with
    another server name it verifies the certificate chain alone) and cluster=yes|no (the
    harness's own switch; a redis-py client talks to the one node of the URL). Everything else
    is left as it is."""
    base, separator, query = url.partition("?")
    kept = [
        pair
        for pair in query.split("&")
        if not pair.startswith("ssl_server_name=") and not pair.startswith("cluster=")
    ]
    return base + separator + "&".join(kept) if any(kept) else base


# The handler's own work per order (milliseconds), to stand in for a real service's: the
# examples' knob, not part of the contract. Longer work means a kill finds more in hand.
WORK_S = float(os.environ.get("WORK_MS", "0")) / 1000


def do_work():
    if WORK_S > 0:
        time.sleep(WORK_S)


def log(contract, message):
    print(f"{contract.consumer}: {message}", file=sys.stderr, flush=True)


class StopFlag:
    """SIGTERM (and Ctrl-C) ask for a stop: the batch in hand is finished first."""

    def __init__(self):
        self.requested = False
        signal.signal(signal.SIGTERM, self._request)
        signal.signal(signal.SIGINT, self._request)

    def _request(self, _signo, _frame):
        self.requested = True


class Order:
    """One entry as the handler sees it."""

    def __init__(self, entry_id, fields):
        self.id = entry_id
        self.fields = fields or {}

    @property
    def deleted(self):
        # Trimmed or deleted while pending: Redis returns the ID without fields.
        return not self.fields

    def of_run(self, run):
        # Entries without the run's stamp are someone else's: never applied.
        return self.fields.get("run") == run

    @property
    def orderno(self):
        value = self.fields.get("orderno", "")
        return value if value.isdigit() else None

    @property
    def poison(self):
        # The harness's stand-in for an order the handler cannot process.
        return self.fields.get("poison") == "1"


def missing_group(error):
    # A Redis restart without persistence took the group; the harness creates it again at
    # once, so it is waited for like a lost connection.
    return str(error).startswith("NOGROUP")


class ConsumerLoop:
    """Reads new entries, claims orphans, dead-letters what keeps failing, and survives a
    lost connection. `apply_batch(client, contract, orders)` does the handler's work on the
    batch's orders, applies their effects and acknowledges them."""

    read_count = 100
    claim_count = 100

    def __init__(self, apply_batch, claim=True, replay_own_pending=True):
        self.contract = Contract()
        self.apply_batch = apply_batch
        self.claim = claim
        self.replay_own_pending = replay_own_pending
        self.stop = StopFlag()
        self.client = self.contract.connect()
        self.dead_letter = self.client.register_script(DEAD_LETTER_LUA)
        self.next_claim = 0.0

    def run(self):
        contract = self.contract
        log(contract, f"reading {contract.stream} as {contract.consumer} of {contract.group}")
        backoff = 0.05
        replay = self.replay_own_pending
        while not self.stop.requested:
            try:
                if replay:
                    self.replay()
                    replay = False
                if self.claim and time.monotonic() >= self.next_claim:
                    self.claim_orphans()
                self.read_new()
                backoff = 0.05
            except redis.ResponseError as error:
                if not missing_group(error):
                    raise
                backoff = self.wait(f"no group ({error})", backoff)
                replay = self.replay_own_pending
            except (redis.ConnectionError, redis.TimeoutError) as error:
                # What was in hand stays pending under this name: replay it once back.
                backoff = self.wait(f"lost Redis ({error})", backoff)
                replay = self.replay_own_pending
        log(contract, "stopped")

    def wait(self, reason, backoff):
        """Sleeps the backoff; returns the next one."""
        log(self.contract, f"{reason}; retrying in {backoff:.2f} s")
        time.sleep(backoff)
        return min(backoff * 2, 2.0)

    def replay(self):
        """This consumer's own pending entries: what an earlier life of the same name left."""
        start = "0"
        while not self.stop.requested:
            reply = self.client.xreadgroup(self.contract.group, self.contract.consumer,
                                           {self.contract.stream: start}, count=self.read_count)
            entries = reply[0][1] if reply else []
            if not entries:
                return
            self.handle(entries)
            start = entries[-1][0]

    def read_new(self):
        block_ms = max(1, min(1000, self.contract.claim_interval_ms))
        reply = self.client.xreadgroup(self.contract.group, self.contract.consumer,
                                       {self.contract.stream: ">"}, count=self.read_count,
                                       block=block_ms)
        for _stream, entries in reply or []:
            self.handle(entries)

    def claim_orphans(self):
        """Entries idle for min_idle: their consumer died or stalls. Those delivered
        max_deliveries times go to the dead-letter stream; XAUTOCLAIM takes the rest."""
        contract = self.contract
        self.next_claim = time.monotonic() + contract.claim_interval_ms / 1000
        if contract.max_deliveries > 0:
            for entry in self.client.xpending_range(contract.stream, contract.group, min="-",
                                                    max="+", count=self.claim_count,
                                                    idle=contract.min_idle_ms):
                if entry["times_delivered"] >= contract.max_deliveries:
                    self.dead_letter(keys=[contract.stream, contract.dead_letter_key],
                                     args=[contract.group, entry["message_id"],
                                           "max-deliveries", entry["times_delivered"],
                                           contract.consumer])
        # XAUTOCLAIM checks min-idle itself: what another consumer claimed meanwhile is
        # skipped, and entries deleted from the stream leave the pending list (Redis 7).
        start = "0-0"
        while not self.stop.requested:
            start, entries = self.client.xautoclaim(contract.stream, contract.group,
                                                    contract.consumer, contract.min_idle_ms,
                                                    start_id=start, count=self.claim_count)[:2]
            self.handle(entries)
            if start == "0-0":
                return

    def handle(self, entries):
        contract = self.contract
        not_ours = []
        processed = []
        for entry_id, fields in entries:
            order = Order(entry_id, fields)
            if order.deleted or not order.of_run(contract.run):
                not_ours.append(order.id)  # nothing to apply: acknowledged as is
            elif order.orderno is None:
                self.dead_letter(keys=[contract.stream, contract.dead_letter_key],
                                 args=[contract.group, order.id, "malformed", 1,
                                       contract.consumer])
            elif order.poison:
                pass  # the handler fails: left pending, retried by a claim, then dead-lettered
            else:
                processed.append(order)
        if not_ours:
            self.client.xack(contract.stream, contract.group, *not_ours)
        if processed:
            self.apply_batch(self.client, contract, processed)
