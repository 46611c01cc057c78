"""Zero-downtime dyno replacement (preboot): a restart, a config change or a new release starts
the replacement web dyno first and retires the old one only once the new one is up, so a steady
stream of routed requests sees no failure, and no old dyno process is left behind."""
import collections
import http.client
import json
import threading
import time

import pytest

from harness import HerokuCli
from runtime_helpers import alive, app_log, dyno_pids, dynos, wait_dynos_up, wait_for
from slugs import release_slug

FAST = {"SLIPWAY_STOP_GRACE": "3", "SLIPWAY_BOOT_TIMEOUT": "4", "SLIPWAY_ROUTER_TIMEOUT": "3"}

# A web process that says which config, release and process answered. Like most simple servers
# it dies at once on SIGTERM, so a request it is still given after that fails.
WEB = """
import http.server, json, os
class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive with the router
    def do_GET(self):
        body = json.dumps({"greeting": os.environ.get("GREETING", ""), "version": VERSION,
                           "dyno": os.environ["DYNO"], "pid": os.getpid()}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, fmt, *args):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler).serve_forever()
"""


def release_version(server, app, version, web="python3 web.py"):
    return release_slug(server, app, {"web.py": f"VERSION = {version!r}\n" + WEB}, {"web": web})


@pytest.fixture
def platform(own_server, tmp_path):
    server = own_server(env=FAST).start()
    return server, HerokuCli(server, tmp_path / "home")


class SteadyLoad:
    """Threads sending GETs through the router back to back on keep-alive connections; every
    outcome is kept, in order, with the phase it happened in."""

    def __init__(self, server, app, threads=2):
        self.server, self.app = server, app
        self.phase = "warm-up"
        self.outcomes = []  # (phase, status or error, parsed body or None)
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run) for _ in range(threads)]

    def _connect(self):
        return http.client.HTTPConnection("127.0.0.1", self.server.router_port, timeout=10)

    def _run(self):
        conn = self._connect()
        host = f"{self.app}.localhost:{self.server.router_port}"
        while not self._stop.is_set():
            phase = self.phase
            try:
                conn.request("GET", "/", headers={"Host": host})
                resp = conn.getresponse()
                body = resp.read()
            except OSError as e:
                self.outcomes.append((phase, repr(e), None))
                conn.close()
                conn = self._connect()
                continue
            parsed = json.loads(body) if resp.status == 200 else body[:200]
            self.outcomes.append((phase, resp.status, parsed))
        conn.close()

    def __enter__(self):
        for t in self._threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        for t in self._threads:
            t.join()

    def failures(self):
        """Failed requests, except while the router was still learning of the app (warm-up)."""
        return [o for o in self.outcomes if o[1] != 200 and o[0] != "warm-up"]

    def summary(self):
        """How many requests of each phase got each status, e.g. {("ps:restart", 503): 12}."""
        return dict(collections.Counter((o[0], o[1]) for o in self.outcomes))

    def latest(self, n, phase):
        answers = [o for o in self.outcomes if o[0] == phase]
        return answers[-n:] if len(answers) >= n else None

    def wait_routed(self):
        """Waits until the router knows the app (it re-reads its table within ~100 ms)."""
        wait_for(lambda: (latest := self.latest(20, "warm-up")) and
                 all(o[1] == 200 for o in latest), what=f"{self.app} routed")


def web_pids(server, app, quantity):
    app_id = server.request("GET", f"/apps/{app}").json["id"]
    return {p for i in range(1, quantity + 1) for p in dyno_pids(app_id, f"web.{i}")}


def replace_under_load(server, load, app, quantity, phase, change, greeting, version):
    """Runs `change`, then waits until only new processes answer (with `greeting` and `version`),
    `heroku ps` lists each web dyno once and up, and every old process has exited."""
    old = web_pids(server, app, quantity)
    assert len(old) == quantity
    load.phase = phase
    change()

    def replaced():
        listed = server.request("GET", f"/apps/{app}/dynos").json
        names = [d["name"] for d in listed]
        assert len(names) == len(set(names)), f"a dyno listed twice: {names}"
        latest = load.latest(20, phase)
        return (latest and all(o[1] == 200 and o[2]["pid"] not in old and
                               (o[2]["greeting"], o[2]["version"]) == (greeting, version)
                               for o in latest) and
                len(listed) == quantity and all(d["state"] == "up" for d in listed) and
                not any(alive(p) for p in old))
    wait_for(replaced, timeout=30, interval=0.1, what=f"{phase}: old dynos replaced on {app}")
    assert {o[2]["dyno"] for o in load.latest(20, phase)} <= {f"web.{i}" for i in
                                                              range(1, quantity + 1)}
    new = web_pids(server, app, quantity)
    assert len(new) == quantity and not new & old


@pytest.mark.parametrize("quantity", [1, 2])
def test_restart_config_change_and_release_fail_no_request(platform, quantity):
    server, cli = platform
    app = f"preboot{quantity}"
    cli.ok("apps:create", app)
    cli.ok("config:set", "GREETING=one", "-a", app)
    release_version(server, app, "v1")
    if quantity > 1:
        cli.ok("ps:scale", f"web={quantity}", "-a", app)
    wait_dynos_up(server, app, [f"web.{i}" for i in range(1, quantity + 1)])
    with SteadyLoad(server, app) as load:
        load.wait_routed()
        log_start = len(app_log(server, app))
        replace_under_load(server, load, app, quantity, "ps:restart",
                           lambda: cli.ok("ps:restart", "-a", app), "one", "v1")
        replace_under_load(server, load, app, quantity, "config:set",
                           lambda: cli.ok("config:set", "GREETING=two", "-a", app), "two", "v1")
        replace_under_load(server, load, app, quantity, "release",
                           lambda: release_version(server, app, "v2"), "two", "v2")
    failures = load.failures()
    assert failures == [], f"{len(failures)} of {len(load.outcomes)} failed: {load.summary()}"
    for phase in ("ps:restart", "config:set", "release"):
        assert len([o for o in load.outcomes if o[0] == phase]) > 20, phase
    log = app_log(server, app)
    assert "at=error" not in log[log_start:]  # no H-code from the router once it knew the app
    for i in range(1, quantity + 1):  # each old dyno went after its replacement was up
        lines = [line.split(": ", 1)[1] for line in log.splitlines()
                 if f"heroku[web.{i}]: " in line]
        assert lines.count("Restarting") == 3, lines
        for at, line in enumerate(lines):
            if line == "Restarting":
                assert lines[at - 1] == "State changed from starting to up", lines
    if quantity > 1:  # scaling down is no replacement: the dyno stops at once, as before
        gone = web_pids(server, app, quantity) - web_pids(server, app, quantity - 1)
        cli.ok("ps:scale", f"web={quantity - 1}", "-a", app)
        wait_for(lambda: not any(alive(p) for p in gone), timeout=5, what="scaled-down dyno gone")
        stopped = f"heroku[web.{quantity}]: Stopping all processes with SIGTERM"
        assert stopped in app_log(server, app)


@pytest.mark.parametrize("bad_web, failure", [
    ("echo booting; sleep 2; exit 3", "Process exited with status 3"),
    ("sleep 1000", "Error R10 (Boot timeout)"),
])
def test_replacement_that_fails_to_boot_retires_the_old_dyno_too(platform, bad_web, failure):
    server, cli = platform
    app = "badboot"
    cli.ok("apps:create", app)
    release_version(server, app, "v1")
    wait_dynos_up(server, app, ["web.1"])
    old = web_pids(server, app, 1)
    with SteadyLoad(server, app) as load:
        load.wait_routed()
        load.phase = "booting"
        release_version(server, app, "v2", web=bad_web)
        time.sleep(1.5)  # the replacement is still starting: the old dyno serves meanwhile
    failures = load.failures()
    assert failures == [], f"{len(failures)} of {len(load.outcomes)} failed: {load.summary()}"
    assert len([o for o in load.outcomes if o[0] == "booting"]) > 20
    assert {o[2]["version"] for o in load.outcomes if o[0] == "booting"} == {"v1"}
    # Then the replacement fails, and the old dyno goes anyway: the new release is what was asked.
    wait_for(lambda: not any(alive(p) for p in old), timeout=20, what="the old dyno stopped")
    log = app_log(server, app)
    assert failure in log
    retired = "heroku[web.1]: Replacement failed to boot; stopping the old process anyway"
    assert log.index(failure) < log.index(retired)
    assert dynos(server, app)["web.1"]["release"]["version"] == 3


def test_stopping_the_platform_mid_replacement_stops_old_and_new(platform):
    server, cli = platform
    app = "midway"
    cli.ok("apps:create", app)
    release_version(server, app, "v1")
    wait_dynos_up(server, app, ["web.1"])
    release_version(server, app, "v2", web="sleep 1000")  # a replacement that stays starting
    app_id = server.request("GET", f"/apps/{app}").json["id"]
    pids = wait_for(lambda: p if len(p := dyno_pids(app_id, "web.1")) >= 2 else None,
                    what="old and new web.1 both running")
    started = time.time()
    assert server.stop() == 0
    assert time.time() - started < 15
    assert not any(alive(p) for p in pids)
