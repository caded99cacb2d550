"""The reference consumers' shared code, without Redis: reading the contract's environment and
an entry's fields. Their behaviour against a real server is in
tests/integration/external_consumer_test.cpp."""

import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "examples", "consumers"))

import contract  # noqa: E402

FULL = {
    "STREAMHARNESS_REDIS_URL": "redis://127.0.0.1:6379",
    "STREAMHARNESS_STREAM": "sh:{r1:ordermq:0}:stream",
    "STREAMHARNESS_GROUP": "score",
    "STREAMHARNESS_CONSUMER": "score-1-1",
    "STREAMHARNESS_APPLIED_KEY": "sh:{r1:ordermq:0}:applied:score",
    "STREAMHARNESS_DEAD_LETTER_KEY": "sh:{r1:ordermq:0}:dlq:score",
    "STREAMHARNESS_RUN": "r1/0123456789abcdef",
    "STREAMHARNESS_MIN_IDLE_MS": "1000",
    "STREAMHARNESS_CLAIM_INTERVAL_MS": "200",
    "STREAMHARNESS_MAX_DELIVERIES": "5",
}


class ContractTest(unittest.TestCase):
    def test_reads_every_variable(self):
        read = contract.Contract(FULL)
        self.assertEqual(read.group, "score")
        self.assertEqual(read.consumer, "score-1-1")
        self.assertEqual(read.min_idle_ms, 1000)
        self.assertEqual(read.claim_interval_ms, 200)
        self.assertEqual(read.max_deliveries, 5)

    def test_a_missing_variable_names_itself(self):
        for name in FULL:
            partial = {key: value for key, value in FULL.items() if key != name}
            with self.assertRaises(SystemExit) as stopped:
                contract.Contract(partial)
            self.assertIn(name, str(stopped.exception))


class OrderTest(unittest.TestCase):
    def test_an_order_of_the_run(self):
        order = contract.Order("1-0", {"run": "r1/x", "orderno": "42", "user": "7"})
        self.assertTrue(order.of_run("r1/x"))
        self.assertFalse(order.of_run("r2/x"))
        self.assertEqual(order.orderno, "42")
        self.assertFalse(order.poison)
        self.assertFalse(order.deleted)

    def test_poison_malformed_and_deleted_entries(self):
        self.assertTrue(contract.Order("1-0", {"orderno": "1", "poison": "1"}).poison)
        self.assertIsNone(contract.Order("1-0", {"orderno": "x1"}).orderno)
        self.assertIsNone(contract.Order("1-0", {}).orderno)
        self.assertTrue(contract.Order("1-0", None).deleted)


if __name__ == "__main__":
    unittest.main()
