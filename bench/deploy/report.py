#!/usr/bin/env python3
"""Prints bench/deploy/run's table from measure_push.py's JSON files (RESULTS/<kind>.<round>.json,
kind cold or warm). All durations in milliseconds; medians over the rounds of each kind."""
import json
import statistics
import sys
from pathlib import Path


HEADER = "-- "


def per_round(r):
    """[(label, ms or None)] for one push; plain strings starting with HEADER are headings."""
    g, s, a, rt = r["git"], r["server"], r["app_log"], r["router"]
    t2 = r["trace2"]
    creds = sum(end - start for start, end, _ in t2["credential_helper"])
    # git asks the helper for credentials (get) after the 401, repeats GET info/refs with them,
    # and then tells the helper they worked (store): the gap between the two is that GET.
    helper = {what: (start, end) for start, end, what in t2["credential_helper"]}
    info_refs = (helper["store"][0] - helper["get"][1]) * 1000 \
        if "get" in helper and "store" in helper else None

    def d(a_, b_):
        return None if a_ is None or b_ is None else (b_ - a_) * 1000

    e2e = d(0, rt["first_ok"])
    compile_ = d(s["detected"], s["discovering"])
    boot = d(a["web_starting"], a["web_up"])
    overhead = None if None in (e2e, compile_, boot) else e2e - compile_ - boot
    return [
        HEADER + "as git shows it (remote: lines; the server relays them every 200 ms)",
        ("1 receive: push start -> 'Building on'", d(0, g["building_on"])),
        ("  detect: -> 'Node.js app detected'", d(g["building_on"], g["detected"])),
        ("2 compile: -> 'Discovering process types'", d(g["detected"], g["discovering"])),
        ("3 slug: -> 'Launching...'", d(g["discovering"], g["launching"])),
        ("4 release: -> 'Released vN'", d(g["launching"], g["released"])),
        ("5 push end: -> git exits", d(g["released"], g["exit"])),
        ("6 first request: git exit -> new build 200", d(g["exit"], rt["first_ok"])),
        ("  first request: 'Released vN' -> new build 200", d(g["released"], rt["first_ok"])),
        HEADER + "server side (build output file, app log, git trace2)",
        ("a client: push start -> POST git-receive-pack", d(0, t2["push_refs"])),
        ("  of which git's credential helper (get + store)", creds * 1000),
        ("  of which authenticated GET info/refs", info_refs),
        ("b receive: POST -> 'Building on' written", d(t2["push_refs"], s["building_on"])),
        ("c detect: -> 'Node.js app detected'", d(s["building_on"], s["detected"])),
        ("d compile: -> 'Discovering process types'", compile_),
        ("  of which after 'Build succeeded!' (bin/release)",
         d(s["build_succeeded"], s["discovering"])),
        ("e slug: -> 'Launching...'", d(s["discovering"], s["launching"])),
        ("f release: -> 'Released vN' written", d(s["launching"], s["released"])),
        ("g agent: release created -> web.1 started", d(a["release_created"], a["web_starting"])),
        ("h app boot: web.1 started -> up", boot),
        ("  release created -> web.1 up (= g + h)", d(a["release_created"], a["web_up"])),
        ("i router: web.1 up -> new build 200", d(a["web_up"], rt["first_ok"])),
        ("  (parallel to g-i) 'Released' written -> git exits", d(s["released"], g["exit"])),
        HEADER + "totals",
        ("git push: push start -> git exits", d(0, g["exit"])),
        ("end to end: push start -> new build 200", e2e),
        ("Slipway overhead = end to end - d - h", overhead),
        ("  without the credential helper",
         None if overhead is None else overhead - creds * 1000),
    ]


def fmt(v):
    return "-" if v is None else f"{v:.0f}"


def main():
    results = Path(sys.argv[1])
    rounds = {"cold": [], "warm": []}
    for kind in rounds:
        for path in sorted(results.glob(f"{kind}.*.json"), key=lambda p: int(p.stem.split(".")[1])):
            rounds[kind].append(per_round(json.loads(path.read_text())))
    rows = (rounds["cold"] or rounds["warm"])[0]
    width = max(len(row[0]) for row in rows if isinstance(row, tuple)) + 2
    print(f"{'phase (ms)':<{width}}{'cold':>7}{'warm':>7}   cold per round / warm per round")
    for i, row in enumerate(rows):
        if isinstance(row, str):
            print(row)
            continue
        label = row[0]
        cells, lists = [], []
        for kind in ("cold", "warm"):
            values = [r[i][1] for r in rounds[kind]]
            known = [v for v in values if v is not None]
            cells.append(fmt(statistics.median(known)) if known else "-")
            lists.append("[" + ", ".join(fmt(v) for v in values) + "]")
        print(f"{label:<{width}}{cells[0]:>7}{cells[1]:>7}   {lists[0]} / {lists[1]}")


if __name__ == "__main__":
    main()
