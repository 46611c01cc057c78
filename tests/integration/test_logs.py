"""heroku logs: app, router and platform lines; -n, --ps, --dyno, --source; --tail."""
import http.client
import subprocess
import time

import pytest

from harness import HEROKU_BIN, HerokuCli
from runtime_helpers import app_log, wait_dynos_up, wait_for
from slugs import release_fixture

FAST = {"SLIPWAY_STOP_GRACE": "3", "SLIPWAY_BOOT_TIMEOUT": "10"}


@pytest.fixture
def logged_app(own_server, tmp_path):
    server = own_server(env=FAST).start()
    cli = HerokuCli(server, tmp_path / "home")
    cli.ok("apps:create", "chatty")
    cli.ok("config:set", "GREETING=hey", "-a", "chatty")
    release_fixture(server, "chatty", "python-web")
    cli.ok("ps:scale", "web=1", "worker=1", "-a", "chatty")
    wait_dynos_up(server, "chatty", ["web.1", "worker.1"])
    wait_for(lambda: get(server, "/hello") == 200, what="routed")
    return server, cli


def get(server, path):
    conn = http.client.HTTPConnection("127.0.0.1", server.router_port, timeout=10)
    conn.request("GET", path, headers={"Host": "chatty.localhost"})
    status = conn.getresponse().status
    conn.close()
    return status


def test_logs_show_app_router_and_platform_lines(logged_app):
    server, cli = logged_app
    wait_for(lambda: "heroku[router]" in app_log(server, "chatty"), what="router line")
    out = cli.ok("logs", "-n", "1500", "-a", "chatty").stdout
    assert "app[api]: Set GREETING config vars by user admin@localhost" in out
    assert "app[api]: Release v3 created by user admin@localhost" in out
    assert "app[api]: Scaled to web@1:Basic worker@1:Basic by user admin@localhost" in out
    assert "heroku[web.1]: State changed from starting to up" in out
    assert "app[web.1]: listening on" in out
    assert 'heroku[router]: at=info method=GET path="/hello"' in out
    assert "app[worker.1]: working worker.1 greeting=hey" in out
    first = out.splitlines()[0]
    assert first[4] == "-" and "+00:00 " in first  # Heroku's timestamp format


def test_logs_filters_and_line_count(logged_app):
    server, cli = logged_app
    lines = cli.ok("logs", "-n", "3", "-a", "chatty").stdout.strip().splitlines()
    assert len(lines) == 3
    router = cli.ok("logs", "--ps", "router", "-n", "50", "-a", "chatty").stdout.strip()
    assert router and all("heroku[router]:" in l for l in router.splitlines())
    web = cli.ok("logs", "--ps", "web", "-n", "50", "-a", "chatty").stdout.strip().splitlines()
    assert web and all("[web.1]:" in l for l in web)
    worker = cli.ok("logs", "--dyno", "worker.1", "--source", "app", "-n", "5", "-a",
                    "chatty").stdout.strip().splitlines()
    assert worker and all(" app[worker.1]: working" in l for l in worker)
    platform = cli.ok("logs", "--source", "heroku", "-n", "200", "-a", "chatty").stdout
    assert platform and all(" heroku[" in l for l in platform.strip().splitlines())


def test_logs_tail_follows_new_lines(logged_app):
    server, cli = logged_app
    proc = subprocess.Popen([HEROKU_BIN, "logs", "--tail", "-n", "1", "-a", "chatty"],
                            env=cli.env(), cwd=cli.home, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(3)
        assert get(server, "/after-tail-started") == 200
        time.sleep(2)
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=10)
    assert 'path="/after-tail-started"' in out
    assert "app[worker.1]: working" in out  # the worker keeps printing while we tail


def test_bad_log_session_bodies(logged_app):
    server, _ = logged_app
    for body in ({"lines": 0}, {"lines": 5000}, {"lines": "ten"}, {"tail": "yes"},
                 {"dyno": "web 1"}, {"source": ["app"]}):
        r = server.request("POST", "/apps/chatty/log-sessions", body)
        assert r.status == 422, body
    r = server.request("POST", "/apps/chatty/log-sessions", {"lines": 5})
    assert r.status == 201
    url = r.json["logplex_url"]
    assert "/log-streams/" in url
    missing = server.request("GET", "/log-streams/not-a-session", token=None)
    assert missing.status == 404


def read_events(server, url, headers=None, seconds=2.0):
    """Reads a log stream for a while (it is a capability URL: no credentials); returns
    (status, content type, [(id, data)])."""
    import ssl
    from urllib.parse import urlparse
    parsed = urlparse(url)
    conn = http.client.HTTPSConnection("localhost", parsed.port, timeout=seconds,
                                       context=ssl.create_default_context(cafile=server.ca))
    conn.request("GET", parsed.path, headers={"Accept": "text/event-stream", **(headers or {})})
    resp = conn.getresponse()
    raw = b""
    try:
        while True:
            chunk = resp.read1(65536)
            if not chunk:
                break
            raw += chunk
    except OSError:
        pass  # the tail stays open: stop reading after `seconds`
    conn.close()
    events = []
    for block in raw.decode().split("\n\n"):
        fields = dict(l.split(": ", 1) for l in block.splitlines() if ": " in l)
        if "data" in fields:
            events.append((fields.get("id"), fields["data"]))
    return resp.status, resp.getheader("Content-Type"), events


def test_tail_resumes_after_last_event_id(logged_app):
    server, _ = logged_app
    session = server.request("POST", "/apps/chatty/log-sessions",
                             {"lines": 5, "tail": True, "dyno": "router"}).json
    status, ctype, events = read_events(server, session["logplex_url"])
    assert status == 200 and ctype.startswith("text/event-stream")
    assert events and all("heroku[router]" in data for _, data in events)
    last_id = events[-1][0]
    assert get(server, "/while-disconnected") == 200
    _, _, resumed = read_events(server, session["logplex_url"], {"Last-Event-ID": last_id})
    assert [d for _, d in resumed if "/while-disconnected" in d], resumed
    assert all(int(i) > int(last_id) for i, _ in resumed)  # nothing seen before comes again
