#!/usr/bin/env python3
"""How long each e2e group (one lab each) took in a test run, from its JUnit report.

    python3 scripts/group-times.py [.test-report.xml]

Prints each group's seconds, longest first, then the table to paste as GROUP_SECONDS in
tests/e2e/labs.py (the order in which pytest-xdist starts the groups). `make test` writes the
report (scripts/test.sh). A test's group is the `@group` pytest-xdist appends to its name.
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from collections import defaultdict


def group_seconds(report: str) -> dict[str, float]:
    totals: dict[str, float] = defaultdict(float)
    for case in ET.parse(report).getroot().iter("testcase"):
        name = case.get("name", "")
        if case.get("classname", "").startswith("tests.e2e.") and "@" in name:
            totals[name.rsplit("@", 1)[1]] += float(case.get("time", "0"))
    return dict(sorted(totals.items(), key=lambda kv: -kv[1]))


def main() -> int:
    report = sys.argv[1] if len(sys.argv) > 1 else ".test-report.xml"
    totals = group_seconds(report)
    if not totals:
        print(f"{report}: no test of an e2e group in it", file=sys.stderr)
        return 1
    for group, seconds in totals.items():
        print(f"{seconds:8.1f}s  {group}")
    print("\nGROUP_SECONDS: dict[str, int] = {")
    for group, seconds in totals.items():
        print(f'    "{group}": {round(seconds)},')
    print("}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
