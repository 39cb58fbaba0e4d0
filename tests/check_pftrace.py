#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Structural checker for .pftrace files, independent of the writer.

Decodes the trace with protoc against the part of Perfetto's schema that we
write (tests/perfetto_subset.proto; --proto names another, such as the full
perfetto_trace.proto), then checks the rules the Perfetto UI import relies on:
  - every string is valid UTF-8 (overlong forms, surrogates and code points
    above U+10FFFF included);
  - the first packet of the sequence sets SEQ_INCREMENTAL_STATE_CLEARED;
  - every interned id used was defined earlier on its sequence, and packets
    that use interned ids set SEQ_NEEDS_INCREMENTAL_STATE;
  - every track used was described by a TrackDescriptor;
  - on every track, slices nest: each BEGIN has its END, in order;
  - every flow that starts also terminates, and the other way round;
  - every callstack_iid names a Callstack, each of its frames a Frame, each
    frame's function and file a string defined before it; no iid is defined
    twice with another value. A slice's callstack becomes its arg
    "callstack": "file:line function" (or "function"), innermost first, " <- "
    between, and its callstack_weight the arg "callstack_weight".
Then prints a summary (slices per name, per track kind) as JSON, and checks
--expect NAME=COUNT and --expect-arg NAME:KEY=VALUE against it.

usage: check_pftrace.py TRACE.pftrace [--proto PATH] [--expect NAME=N]...
                        [--expect-arg NAME:KEY=VALUE]...
                        [--expect-stack TEXT=N] [--expect-weight TEXT=W]
                        [--expect-callstacks N]
exit 0 if every rule holds, 1 with the violations on stderr otherwise.
"""
import argparse
import collections
import json
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_PROTO = os.path.join(HERE, "perfetto_subset.proto")
BAD_UTF8 = []  # strings that were not valid UTF-8
SPACE = re.compile(r'\s*\Z')
TOKEN = re.compile(r'\s*(?:(\w+)\s*(\{)|(\w+)\s*:\s*("(?:[^"\\]|\\.)*"|[^\s{}]+)|(\}))')


def parse_text(text):
    """protoc's text format -> nested dicts of lists."""
    root = collections.defaultdict(list)
    stack = [root]
    pos = 0
    while pos < len(text):
        m = TOKEN.match(text, pos)
        if not m and SPACE.match(text, pos):
            break
        if not m:
            raise ValueError("cannot parse protoc output at %d: %r" % (pos, text[pos:pos + 60]))
        pos = m.end()
        if m.group(2):
            child = collections.defaultdict(list)
            stack[-1][m.group(1)].append(child)
            stack.append(child)
        elif m.group(3):
            v = m.group(4)
            if v.startswith('"'):
                raw = bytes(v[1:-1], "utf-8").decode("unicode_escape").encode("latin-1")
                try:
                    v = raw.decode("utf-8")
                except UnicodeDecodeError:
                    BAD_UTF8.append("%s: %r" % (m.group(3), raw[:80]))
                    v = raw.decode("utf-8", "replace")
            else:
                try:
                    v = int(v)
                except ValueError:
                    pass
            stack[-1][m.group(3)].append(v)
        else:
            stack.pop()
    return root


def one(d, key, default=None):
    v = d.get(key)
    return v[0] if v else default


class Checker:
    def __init__(self):
        self.errors = []
        self.interned = collections.defaultdict(dict)  # kind -> iid -> value
        self.tracks = {}  # uuid -> descriptor
        self.open = collections.defaultdict(list)  # uuid -> stack of (ts, name)
        self.flows_out = collections.Counter()
        self.flows_in = collections.Counter()
        self.slices = []  # (name, uuid, ts, args)
        self.begins = self.ends = 0

    def err(self, msg):
        if len(self.errors) < 50:
            self.errors.append(msg)

    def define(self, kind, iid, value):
        old = self.interned[kind].get(iid)
        if old is not None and old != value:
            self.err("%s iid %s defined again as another value" % (kind, iid))
        self.interned[kind][iid] = value

    def intern(self, idata):
        for kind, key in (("event_names", "name"), ("event_categories", "name"),
                          ("debug_annotation_names", "name"),
                          ("debug_annotation_string_values", "str"),
                          ("function_names", "str"), ("source_paths", "str")):
            for e in idata.get(kind, []):
                self.define(kind, one(e, "iid"), one(e, key))
        where = "interned frame"
        for f in idata.get("frames", []):
            fn = self.lookup("function_names", one(f, "function_name_id"), where) \
                if "function_name_id" in f else "?"
            text = fn
            if "source_path_iid" in f:
                line = one(f, "line_number")
                text = "%s:%s %s" % (self.lookup("source_paths", one(f, "source_path_iid"), where),
                                     "?" if line is None else line, fn)
            self.define("frames", one(f, "iid"), text)
        for c in idata.get("callstacks", []):
            ids = c.get("frame_ids", [])
            if not ids:
                self.err("callstack %s has no frames" % one(c, "iid"))
            frames = [self.lookup("frames", i, "interned callstack") for i in ids]
            # Perfetto lists them outermost first; the text says them innermost first
            self.define("callstacks", one(c, "iid"), " <- ".join(reversed(frames)))

    def lookup(self, kind, iid, where):
        if iid not in self.interned[kind]:
            self.err("%s: %s iid %s used before it was defined" % (where, kind, iid))
            return "?"
        return self.interned[kind][iid]

    def packet(self, i, p):
        where = "packet %d" % i
        flags = one(p, "sequence_flags", 0)
        if i == 0 and not flags & 1:
            self.err("first packet lacks SEQ_INCREMENTAL_STATE_CLEARED")
        if one(p, "trusted_packet_sequence_id") is None:
            self.err("%s: no trusted_packet_sequence_id" % where)
        for idata in p.get("interned_data", []):
            self.intern(idata)
        for td in p.get("track_descriptor", []):
            self.tracks[one(td, "uuid")] = td
        for te in p.get("track_event", []):
            self.track_event(where, p, te, flags)

    def track_event(self, where, p, te, flags):
        uuid = one(te, "track_uuid")
        ts = one(p, "timestamp")
        typ = one(te, "type")
        if uuid not in self.tracks:
            self.err("%s: track %s was never described" % (where, uuid))
        uses = "name_iid" in te or "category_iids" in te or "debug_annotations" in te or \
            "callstack_iid" in te
        if uses and not flags & 2:
            self.err("%s: uses interned ids without SEQ_NEEDS_INCREMENTAL_STATE" % where)
        if typ == "TYPE_SLICE_BEGIN":
            self.begins += 1
            # past the writer's string budget a name is written as it is
            name = one(te, "name") if "name" in te else \
                self.lookup("event_names", one(te, "name_iid"), where)
            for c in te.get("category_iids", []):
                self.lookup("event_categories", c, where)
            args = {}
            for a in te.get("debug_annotations", []):
                key = self.lookup("debug_annotation_names", one(a, "name_iid"), where)
                if "string_value_iid" in a:
                    args[key] = self.lookup("debug_annotation_string_values",
                                            one(a, "string_value_iid"), where)
                else:
                    for k in ("uint_value", "int_value", "pointer_value", "string_value"):
                        if k in a:
                            args[key] = one(a, k)
            if "callstack_iid" in te:
                args["callstack"] = self.lookup("callstacks", one(te, "callstack_iid"), where)
            if "callstack_weight" in te:
                args["callstack_weight"] = float(one(te, "callstack_weight"))
            self.open[uuid].append((ts, name))
            self.slices.append((name, uuid, ts, args))
            self.flows_out.update(te.get("flow_ids", []))
            self.flows_in.update(te.get("terminating_flow_ids", []))
        elif typ == "TYPE_SLICE_END":
            self.ends += 1
            if not self.open[uuid]:
                self.err("%s: END on track %s with no open slice" % (where, uuid))
            else:
                bts, name = self.open[uuid].pop()
                if ts < bts:
                    self.err("%s: %s ends before it begins" % (where, name))

    def finish(self):
        for uuid, st in self.open.items():
            for ts, name in st:
                self.err("slice %s on track %s never ends" % (name, uuid))
        for f in set(self.flows_out) | set(self.flows_in):
            if self.flows_out[f] != 1 or self.flows_in[f] != 1:
                self.err("flow %s starts %d times, terminates %d times" %
                         (f, self.flows_out[f], self.flows_in[f]))

    def summary(self):
        gpu = {u for u, td in self.tracks.items() if "thread" not in td and "process" not in td}
        per = collections.Counter(n for n, _, _, _ in self.slices)
        on_gpu = collections.Counter(n for n, u, _, _ in self.slices if u in gpu)
        return {"slices": self.begins, "ends": self.ends, "tracks": len(self.tracks),
                "flows": len(self.flows_out), "by_name": per, "gpu_by_name": on_gpu,
                "callstacks": len(self.interned["callstacks"]),
                "frames": len(self.interned["frames"])}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("trace")
    ap.add_argument("--proto", default=DEFAULT_PROTO)
    ap.add_argument("--expect", action="append", default=[])
    ap.add_argument("--expect-arg", action="append", default=[])
    ap.add_argument("--expect-stack", action="append", default=[])
    ap.add_argument("--expect-callstacks", type=int)
    ap.add_argument("--expect-weight", action="append", default=[])
    a = ap.parse_args()
    with open(a.trace, "rb") as f:
        out = subprocess.run(["protoc", "--decode=perfetto.protos.Trace",
                              "-I", os.path.dirname(a.proto), a.proto],
                             stdin=f, capture_output=True)
    if out.returncode:
        print("protoc could not decode %s: %s" % (a.trace, out.stderr.decode()), file=sys.stderr)
        return 1
    trace = parse_text(out.stdout.decode("utf-8", "replace"))
    chk = Checker()
    for i, p in enumerate(trace.get("packet", [])):
        chk.packet(i, p)
    chk.finish()
    for b in BAD_UTF8:
        chk.err("a string is not valid UTF-8: " + b)
    s = chk.summary()
    for e in a.expect:
        name, n = e.rsplit("=", 1)
        if s["by_name"].get(name, 0) != int(n):
            chk.err("expected %s slices named %r, found %d" % (n, name, s["by_name"].get(name, 0)))
    for e in a.expect_arg:
        name, kv = e.split(":", 1)
        key, val = kv.split("=", 1)
        got = [args.get(key) for n, _, _, args in chk.slices if n == name]
        if not got or any(str(g) != val for g in got):
            chk.err("expected every %r to have %s=%s, got %s" % (name, key, val, sorted(set(map(str, got)))[:5]))
    for e in a.expect_stack:
        text, n = e.rsplit("=", 1)
        got = sum(1 for _, _, _, args in chk.slices if args.get("callstack") == text)
        if got != int(n):
            chk.err("expected %s slices with callstack %r, found %d" % (n, text, got))
    for e in a.expect_weight:
        text, w = e.rsplit("=", 1)
        got = sum(args.get("callstack_weight", 0) for _, _, _, args in chk.slices
                  if args.get("callstack") == text)
        if got != float(w):
            chk.err("expected callstack %r to weigh %s, found %s" % (text, w, got))
    if a.expect_callstacks is not None and s["callstacks"] != a.expect_callstacks:
        chk.err("expected %d callstacks defined, found %d" % (a.expect_callstacks,
                                                               s["callstacks"]))
    print(json.dumps(s, sort_keys=True))
    for e in chk.errors:
        print("check_pftrace: " + e, file=sys.stderr)
    return 1 if chk.errors else 0


if __name__ == "__main__":
    sys.exit(main())
