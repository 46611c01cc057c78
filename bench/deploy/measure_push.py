#!/usr/bin/env python3
"""One timed `git push heroku main` for bench/deploy/run (see bench/README.md).

    measure_push.py push   --api URL --token T --ca PEM --data-dir D --router-port P
                           --app NAME --label L --checkout DIR --out FILE.json
    measure_push.py settle --api URL --token T --ca PEM --data-dir D --app NAME

`push` times the push from outside and from the platform's own records, all on one clock, as
seconds since the push started:
- git's stderr, line by line as it arrives (the `remote:` lines of the build);
- the build's output file, DATA_DIR/builds/<build id>.log, polled every 10 ms: the same lines as
  the server writes them, before the HTTPS server's 200 ms output poll delays them;
- git's own trace2 events (GIT_TRACE2_EVENT): the credential helper runs, the pack POST;
- the app log, DATA_DIR/logs/<app id>.log (microsecond timestamps): release created, web.1
  started, web.1 up;
- GETs through the router every 10 ms from `Launching...` on, until one answers 200 with
  build.build_label == L (the label the new build stamped).

`settle` waits until the app's dynos are quiet (one web.1 up and no old one still stopping, or
none at all), so that a push never starts while a config:set restart is still going on.
"""
import argparse
import datetime
import http.client
import json
import os
import re
import ssl
import subprocess
import sys
import threading
import time
from pathlib import Path

POLL = 0.01  # seconds between polls of the build output file and of the router


def api_get(args, path):
    ctx = ssl.create_default_context(cafile=args.ca)
    host, port = args.api.split("://", 1)[1].rsplit(":", 1)
    conn = http.client.HTTPSConnection(host, int(port), context=ctx, timeout=30)
    conn.request("GET", path, headers={"Accept": "application/vnd.heroku+json; version=3",
                                       "Authorization": f"Bearer {args.token}"})
    resp = conn.getresponse()
    body = resp.read()
    conn.close()
    if resp.status != 200:
        sys.exit(f"measure_push: GET {path} answered {resp.status}: {body[:300]!r}")
    return json.loads(body)


def app_log_path(args):
    return Path(args.data_dir) / "logs" / (api_get(args, f"/apps/{args.app}")["id"] + ".log")


def iso_to_epoch(text):
    # "2026-11-23T05:48:08.219283+00:00" (app log) or "2026-11-23T05:48:04.265591Z" (trace2)
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def read_app_log(path, offset=0):
    """[(epoch seconds, "source[process]", text)] of the app log from byte offset on."""
    entries = []
    try:
        with open(path, "rb") as f:
            f.seek(offset)
            data = f.read().decode(errors="replace")
    except FileNotFoundError:
        return entries
    for line in data.splitlines():
        m = re.match(r"(\S+) (\S+\[[^\]]*\]): (.*)$", line)
        if m:
            entries.append((iso_to_epoch(m.group(1)), m.group(2), m.group(3)))
    return entries


def settle(args):
    path = app_log_path(args)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        starts = exits = 0
        last_state = None
        for _, who, text in read_app_log(path):
            if not who.startswith("heroku[web."):
                continue
            if text.startswith("Starting process"):
                starts += 1
                last_state = "starting"
            elif text.startswith("Process exited"):
                exits += 1
            elif text == "State changed from starting to up":
                last_state = "up"
        running = starts - exits
        if running == 0 or (running == 1 and last_state == "up"):
            return
        time.sleep(0.1)
    print("measure_push: dynos did not settle within 60 s; measuring anyway", file=sys.stderr)


class BuildTail(threading.Thread):
    """Timestamps the lines of the build output file that appears in DATA_DIR/builds."""

    def __init__(self, builds_dir, clock, launching):
        super().__init__(daemon=True)
        self.dir = Path(builds_dir)
        self.known = set(os.listdir(self.dir)) if self.dir.is_dir() else set()
        self.clock = clock
        self.launching = launching
        self.lines = []  # (seconds, text)
        self.stop = threading.Event()

    def run(self):
        path, pos, partial = None, 0, b""
        while True:
            stopping = self.stop.is_set()  # read once more after git exits, then stop
            if path is None and self.dir.is_dir():
                new = sorted(set(os.listdir(self.dir)) - self.known)
                if new:
                    path = self.dir / new[0]
            if path is not None:
                with open(path, "rb") as f:
                    f.seek(pos)
                    chunk = f.read()
                if chunk:
                    now = self.clock()
                    pos += len(chunk)
                    partial += chunk
                    *complete, partial = partial.split(b"\n")
                    for raw in complete:
                        text = raw.decode(errors="replace")
                        self.lines.append((now, text))
                        if text.startswith("-----> Launching"):
                            self.launching.set()
            if stopping:
                return
            time.sleep(POLL)


class Prober(threading.Thread):
    """From `Launching...` on, GETs / through the router until the new build answers."""

    def __init__(self, port, app, label, clock, start, timeout=90):
        super().__init__(daemon=True)
        self.port, self.host, self.label = port, f"{app}.localhost:{port}", label
        self.clock, self.start_event, self.timeout = clock, start, timeout
        self.first_ok = None
        self.first_probe = None
        self.probes = 0
        self.cancel = threading.Event()

    def get(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
        try:
            conn.request("GET", "/", headers={"Host": self.host})
            resp = conn.getresponse()
            body = resp.read()
            if resp.status != 200:
                return False
            return (json.loads(body).get("build") or {}).get("build_label") == self.label
        except (OSError, ValueError, http.client.HTTPException):
            return False
        finally:
            conn.close()

    def run(self):
        self.start_event.wait()
        self.first_probe = self.clock()
        deadline = self.first_probe + self.timeout
        while not self.cancel.is_set() and self.clock() < deadline:
            self.probes += 1
            if self.get():
                self.first_ok = self.clock()
                return
            time.sleep(POLL)


def trace2_events(path, wall0):
    """Credential helper runs [(start, end, what)] and the pack POST's start, from git's trace2."""
    creds, push_refs = [], None
    starts = {}
    try:
        lines = open(path).read().splitlines()
    except FileNotFoundError:
        return creds, push_refs
    for line in lines:
        e = json.loads(line)
        t = iso_to_epoch(e["time"]) - wall0 if "time" in e else None
        command = " ".join(e.get("argv", []))
        # A credential helper runs through the shell as "<helper> get|store|erase".
        if e["event"] == "child_start" and e.get("use_shell") and \
                command.rsplit(" ", 1)[-1] in ("get", "store", "erase"):
            starts[(e["sid"], e["child_id"])] = (t, command.rsplit(" ", 1)[-1])
        elif e["event"] == "child_exit" and (e["sid"], e["child_id"]) in starts:
            t0, what = starts.pop((e["sid"], e["child_id"]))
            creds.append((t0, t, what))
        elif e["event"] == "region_enter" and e.get("label") == "push_refs" and push_refs is None:
            push_refs = t
    return creds, push_refs


def first(lines, prefix, after=None):
    for t, text in lines:
        if text.startswith(prefix) and (after is None or t >= after):
            return t
    return None


def push(args):
    log_path = app_log_path(args)
    log_offset = log_path.stat().st_size if log_path.exists() else 0
    trace = Path(args.out).with_suffix(".trace2")
    env = {**os.environ, "GIT_TRACE2_EVENT": str(trace)}
    launching = threading.Event()

    mono0 = time.monotonic()
    wall0 = time.time()
    clock = lambda: time.monotonic() - mono0  # noqa: E731
    tail = BuildTail(Path(args.data_dir) / "builds", clock, launching)
    prober = Prober(args.router_port, args.app, args.label, clock, launching)
    tail.start()
    prober.start()
    proc = subprocess.Popen(["git", "push", "heroku", "main"], cwd=args.checkout, env=env,
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    git_lines = []
    for raw in iter(proc.stderr.readline, b""):  # git flushes each remote: line as it comes
        git_lines.append((clock(), raw.decode(errors="replace").rstrip("\r\n")))
    proc.wait()
    git_exit = clock()
    tail.stop.set()
    tail.join()
    launching.set()  # a push that failed before Launching still ends the prober
    if proc.returncode != 0:
        prober.cancel.set()
    prober.join()

    remote = [(t, text[len("remote: "):]) for t, text in git_lines if text.startswith("remote: ")]
    released = next((text for _, text in remote if "Released v" in text), "")
    version = re.search(r"Released v(\d+)", released)
    log = read_app_log(log_path, log_offset)
    release_created = next((t for t, who, text in log
                            if who == "app[api]" and version
                            and text.startswith(f"Release v{version.group(1)} created")), None)
    started = next((t for t, who, text in log if release_created and t >= release_created
                    and who == "heroku[web.1]" and text.startswith("Starting process")), None)
    up = next((t for t, who, text in log if started and t >= started and who == "heroku[web.1]"
               and text == "State changed from starting to up"), None)
    creds, push_refs = trace2_events(trace, wall0)
    rel = lambda t: None if t is None else t - wall0  # noqa: E731

    result = {
        "app": args.app, "label": args.label, "exit_code": proc.returncode,
        "release": int(version.group(1)) if version else None,
        "git": {  # as git shows it
            "building_on": first(remote, "-----> Building on"),
            "detected": first(remote, "-----> Node.js app detected")
            or first(remote, "-----> Using buildpack"),
            "discovering": first(remote, "-----> Discovering process types"),
            "launching": first(remote, "-----> Launching"),
            "released": first(remote, "       Released v"),
            "exit": git_exit,
        },
        "server": {  # as the build output file grew
            "building_on": first(tail.lines, "-----> Building on"),
            "detected": first(tail.lines, "-----> Node.js app detected")
            or first(tail.lines, "-----> Using buildpack"),
            "build_succeeded": first(tail.lines, "-----> Build succeeded"),
            "discovering": first(tail.lines, "-----> Discovering process types"),
            "compressing": first(tail.lines, "-----> Compressing"),
            "launching": first(tail.lines, "-----> Launching"),
            "released": first(tail.lines, "       Released v"),
        },
        "trace2": {"credential_helper": creds, "push_refs": push_refs},
        "app_log": {"release_created": rel(release_created), "web_starting": rel(started),
                    "web_up": rel(up)},
        "router": {"first_probe": prober.first_probe, "first_ok": prober.first_ok,
                   "probes": prober.probes},
        "git_output": git_lines,
        "build_output": tail.lines,
    }
    Path(args.out).write_text(json.dumps(result, indent=1) + "\n")
    served = "never" if prober.first_ok is None else f"{prober.first_ok:.2f} s"
    Path(args.out).with_suffix(".summary").write_text(
        f"git exited {git_exit:.2f} s (status {proc.returncode}), new build served {served}\n")
    if proc.returncode != 0:
        sys.stderr.write("".join(text + "\n" for _, text in git_lines))
        sys.exit(f"measure_push: git push exited {proc.returncode}")
    if prober.first_ok is None:
        sys.exit(f"measure_push: the router never served build_label={args.label}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["push", "settle"])
    for name in ("api", "token", "ca", "data-dir", "app"):
        parser.add_argument("--" + name, required=True)
    parser.add_argument("--router-port", type=int)
    parser.add_argument("--label")
    parser.add_argument("--checkout")
    parser.add_argument("--out")
    args = parser.parse_args()
    if args.mode == "settle":
        settle(args)
    else:
        push(args)


if __name__ == "__main__":
    main()
