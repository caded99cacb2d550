"""The failover table's arithmetic (tests/bench/failover_table.py): what it reads from a report
and how it prints medians and ranges. The runs themselves are real and take minutes; they are
made when the README's table is measured."""
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "bench"))
import failover_table  # noqa: E402


def report(lost, duplicated, rolled_back, outage, failed=0, indeterminate=0, ok_per_s=900.0):
    return {
        "replication": {
            "lost_writes": {"total": lost},
            "changes": [{"groups": {"outside": {"rolled_back_entries": rolled_back},
                                    "inside": {"rolled_back_entries": 0}}}],
            "clients": {"producers_max_no_primary_ms": outage,
                        "consumers_max_no_primary_ms": outage // 2},
        },
        "verification": {"outside": {"duplicated": duplicated}},
        "summary": {"produced": {"failed": failed, "indeterminate": indeterminate,
                                 "ok_per_s": ok_per_s}},
    }


class FailoverTable(unittest.TestCase):
    def test_a_report_gives_each_column(self):
        measured = failover_table.measure(report(12, 3, 40, 2300, failed=1, indeterminate=4))
        self.assertEqual(measured["lost_writes"], 12)
        self.assertEqual(measured["duplicates"], 3)
        self.assertEqual(measured["rolled_back"], 40)
        self.assertEqual(measured["outage_ms"], 2300)
        self.assertEqual(measured["not_acknowledged"], 5)

    def test_spread_is_the_median_and_the_range(self):
        self.assertEqual(failover_table.spread([3, 1, 2]), "2 (1-3)")
        self.assertEqual(failover_table.spread([5, 5, 5]), "5")

    def test_the_table_has_a_row_per_fault_and_mitigation(self):
        rows = {("graceful failover", "none"): [failover_table.measure(report(10, 0, 0, 100))],
                ("graceful failover", "WAIT after XADD"):
                    [failover_table.measure(report(0, 0, 0, 120))]}
        text = failover_table.table(rows, {"none": [1000.0], "WAIT after XADD": [400.0]})
        lines = text.splitlines()
        self.assertEqual(len(lines), 4)
        self.assertIn("| graceful failover | none | 10 | 0 | 0 | 100 | 0 | 1000 |", lines)
        self.assertIn("| graceful failover | WAIT after XADD | 0 | 0 | 0 | 120 | 0 | 400 |", lines)


if __name__ == "__main__":
    unittest.main()
