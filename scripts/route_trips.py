#!/usr/bin/env python3
"""Sums up a route log (HERALD_ROUTE_LOG, written by the suite's harness, tests/src/trips.rs):
one line per route the suite exercised, with its calls, the most round trips to the database
one call took, the route's budget, and the median time of a call. Usage: route_trips.py LOG LABEL"""
import statistics
import sys
from collections import defaultdict


def main(path, label):
    calls = defaultdict(list)
    for line in open(path, encoding="utf-8"):
        parts = line.split()
        if len(parts) != 6:
            continue
        method, route, trips, budget, micros, _status = parts
        calls[(route, method)].append((int(trips), int(budget), int(micros)))
    routes = sorted(calls)
    for route, method in routes:
        seen = calls[(route, method)]
        most = max(t for t, _, _ in seen)
        budget = seen[0][1]
        p50 = statistics.median(m for _, _, m in seen) / 1000
        print(f"round trips {label:<10} {method:<6} {route:<78} calls {len(seen):5d}  "
              f"most {most:3d}  budget {budget:3d}  p50 {p50:8.2f} ms")
    one = sum(1 for r in routes if max(t for t, _, _ in calls[r]) <= 1)
    print(f"round trips {label:<10} {len(routes)} routes exercised; {one} answered from at most one round trip")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "")
