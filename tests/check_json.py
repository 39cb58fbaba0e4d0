#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Checker for JSON traces, independent of the writer and of json-c.

  - the file is strict UTF-8 (no overlong forms, surrogates, code points above
    U+10FFFF, cut sequences) and strict JSON;
  - --cut: a trace whose writer was killed (SIGKILL, power loss) is accepted as
    Perfetto's JSON importer takes it: '{"traceEvents":[' then whole events,
    the array left open. It must end right after a whole event: appending the
    closing ']}' makes it valid JSON;
  - --expect NAME=N: N complete ("X") events named NAME;
  - --expect-arg NAME:KEY=VALUE: every "X" event named NAME has args KEY=VALUE.
Prints the events per name as JSON; exit 0 if every rule holds, 1 otherwise.
"""
import argparse
import collections
import json
import sys


def load(path, cut):
    raw = open(path, "rb").read()
    text = raw.decode("utf-8")  # strict: raises on any invalid sequence
    try:
        return json.loads(text), False
    except json.JSONDecodeError:
        if not cut:
            raise
    if not text.startswith('{"traceEvents":['):
        raise ValueError("a cut trace must start with {\"traceEvents\":[")
    return json.loads(text + "\n]}"), True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("trace")
    ap.add_argument("--cut", action="store_true")
    ap.add_argument("--expect", action="append", default=[])
    ap.add_argument("--expect-arg", action="append", default=[])
    a = ap.parse_args()
    errors = []
    try:
        doc, was_cut = load(a.trace, a.cut)
    except (ValueError, UnicodeDecodeError) as e:
        print("check_json: %s: %s" % (a.trace, e), file=sys.stderr)
        return 1
    events = doc["traceEvents"]
    by_name = collections.Counter(e["name"] for e in events if e.get("ph") == "X")
    for e in a.expect:
        name, n = e.rsplit("=", 1)
        if by_name.get(name, 0) != int(n):
            errors.append("expected %s events named %r, found %d" % (n, name, by_name.get(name, 0)))
    for e in a.expect_arg:
        name, kv = e.split(":", 1)
        key, val = kv.split("=", 1)
        got = [str(ev.get("args", {}).get(key)) for ev in events
               if ev.get("ph") == "X" and ev["name"] == name]
        if not got or any(g != val for g in got):
            errors.append("expected every %r to have %s=%s, got %s" % (name, key, val, sorted(set(got))[:5]))
    print(json.dumps({"cut": was_cut, "events": len(events), "by_name": by_name}, sort_keys=True))
    for e in errors:
        print("check_json: " + e, file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
