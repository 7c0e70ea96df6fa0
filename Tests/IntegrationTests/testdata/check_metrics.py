"""Checks a /metrics page with the Prometheus project's Python parser (Debian's python3-prometheus-client).

Usage: check_metrics.py FIXTURE PAGE [MAY_BE_ABSENT]

FIXTURE lists the families docs/admin.md documents (admin-metrics.txt beside this file); PAGE is the text a
node served; MAY_BE_ABSENT names families, separated by commas, that this node need not have (a follower has no
`padlock_peer_lag_entries`). The parser is lax (it never rejects a family it does not know), so on top of its own errors this
checks what it lets through: every documented family present with its type, its label names and at least one
sample; no family declared twice or undocumented; no sample outside its family; histogram buckets cumulative
and ending in +Inf. Prints one line per problem and exits 1 when there is any.
"""

import math
import sys

from prometheus_client.parser import text_string_to_metric_families


def load_fixture(path):
    """{name: (type, label names)} from the fixture, names as exposed (counters keep `_total`)."""
    expected = {}
    with open(path, encoding="utf-8") as fixture:
        for line in fixture:
            if line.startswith("#") or not line.strip():
                continue
            name, kind, labels = line.split()
            expected[name] = (kind, frozenset() if labels == "-" else frozenset(labels.split(",")))
    return expected


def exposed_name(family):
    """The parser drops a counter's `_total` from the family name; put it back."""
    return family.name + "_total" if family.type == "counter" else family.name


def check_histogram(name, samples):
    """Buckets per series: cumulative, ending in +Inf equal to _count."""
    problems = []
    series = {}
    for sample in samples:
        key = tuple(sorted((k, v) for k, v in sample.labels.items() if k != "le"))
        series.setdefault(key, {"buckets": [], "count": None})
        if sample.name == name + "_bucket":
            series[key]["buckets"].append((float(sample.labels["le"]), sample.value))
        elif sample.name == name + "_count":
            series[key]["count"] = sample.value
    for key, parts in series.items():
        buckets = parts["buckets"]
        if not buckets or not math.isinf(buckets[-1][0]):
            problems.append(f"{name}{dict(key)}: the buckets do not end with le=\"+Inf\"")
            continue
        if any(a[0] >= b[0] or a[1] > b[1] for a, b in zip(buckets, buckets[1:])):
            problems.append(f"{name}{dict(key)}: buckets not increasing and cumulative: {buckets}")
        if parts["count"] != buckets[-1][1]:
            problems.append(f"{name}{dict(key)}: _count {parts['count']} differs from the +Inf bucket")
    return problems


def check_family(family, expected):
    name = exposed_name(family)
    kind, labels = expected
    problems = []
    if family.type != kind:
        problems.append(f"{name}: type {family.type}, documented {kind}")
    if not family.samples:
        problems.append(f"{name}: no sample")
    for sample in family.samples:
        found = frozenset(sample.labels) - ({"le"} if kind == "histogram" else set())
        if found != labels:
            problems.append(f"{sample.name}: labels {sorted(found)}, documented {sorted(labels)}")
            break
    if kind == "histogram":
        problems += check_histogram(name, family.samples)
    return problems


def main():
    expected = load_fixture(sys.argv[1])
    with open(sys.argv[2], encoding="utf-8") as page:
        text = page.read()
    problems = []
    seen = set()
    for family in text_string_to_metric_families(text):
        name = exposed_name(family)
        if family.type in ("untyped", "unknown"):
            problems.append(f"{name}: untyped (a sample outside its family, or no # TYPE line)")
        elif name in seen:
            problems.append(f"{name}: declared twice")
        elif name not in expected:
            problems.append(f"{name}: not documented in docs/admin.md")
        else:
            problems += check_family(family, expected[name])
        seen.add(name)
    may_be_absent = set(sys.argv[3].split(",")) if len(sys.argv) > 3 else set()
    problems += [f"{name}: missing" for name in expected if name not in seen and name not in may_be_absent]
    for problem in problems:
        print(problem)
    print(f"{len(seen)} families parsed, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
