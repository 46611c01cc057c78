"""Helpers for runtime tests: waiting on dyno states, reaching dynos, finding their processes."""
import http.client
import json
import os
import time
import urllib.request
from pathlib import Path


def wait_for(predicate, timeout=30, interval=0.2, what="condition"):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}; last value: {last!r}")


def dynos(server, app):
    return {d["name"]: d for d in server.request("GET", f"/apps/{app}/dynos").json}


def wait_dynos_up(server, app, names, timeout=30, interval=0.2):
    def all_up():
        current = dynos(server, app)
        return current if all(current.get(n, {}).get("state") == "up" for n in names) and \
            set(current) == set(names) else None
    return wait_for(all_up, timeout, interval, what=f"{names} up on {app}")


def routes(server):
    path = Path(server.data_dir) / "runtime" / "routes.json"
    return json.loads(path.read_text())["apps"] if path.exists() else {}


def web_ports(server, app):
    return {b["dyno"]: b["port"] for b in routes(server).get(app, {}).get("backends", [])}


def get_json(port, path="/"):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as resp:
        return json.loads(resp.read())


def greeting_of(server, app, dyno="web.1"):
    """What the dyno answers, or None while it is restarting (no port yet, or refusing)."""
    port = web_ports(server, app).get(dyno)
    if not port:
        return None
    try:
        return get_json(port)["greeting"]
    except OSError:
        return None


def through_router(server, app, path="/"):
    """GET through the router on a fresh connection: (status, body)."""
    conn = http.client.HTTPConnection("127.0.0.1", server.router_port, timeout=20)
    conn.request("GET", path, headers={"Host": f"{app}.localhost:{server.router_port}"})
    resp = conn.getresponse()
    body = resp.read()
    conn.close()
    return resp.status, body


def app_log(server, app):
    app_id = server.request("GET", f"/apps/{app}").json["id"]
    path = Path(server.data_dir) / "logs" / f"{app_id}.log"
    return path.read_text() if path.exists() else ""


def pids_with_env(entry):
    """Pids of processes whose environment contains `entry` (e.g. "DYNO=web.1")."""
    found = []
    needle = entry.encode() + b"\0"
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            env = (proc / "environ").read_bytes()
        except OSError:
            continue
        if needle in env or env.startswith(needle):
            found.append(int(proc.name))
    return found


def dyno_pids(app_dir_marker, dyno):
    """Pids of a dyno's processes, told apart by DYNO and by HOME (the release directory). The
    dyno's wrapper shell (which sources .profile.d, then runs the command) is not counted."""
    return [p for p in pids_with_env(f"DYNO={dyno}")
            if app_dir_marker.encode() in _environ(p) and not _is_dyno_shell(p)]


def _is_dyno_shell(pid):
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return len(argv) > 3 and argv[3] == b"slipway-dyno"


def _environ(pid):
    try:
        return Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return b""


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and ") Z " in stat.read_text())
