"""The router: Host-based routing to up web dynos, forwarding headers, H-codes, router logs."""
import http.client
import threading
import time

import pytest

from harness import HerokuCli
from runtime_helpers import app_log, dynos, wait_dynos_up, wait_for, web_ports
from slugs import release_fixture, release_slug

FAST = {"SLIPWAY_STOP_GRACE": "3", "SLIPWAY_BOOT_TIMEOUT": "10", "SLIPWAY_ROUTER_TIMEOUT": "3"}


@pytest.fixture
def platform(own_server, tmp_path):
    server = own_server(env=FAST).start()
    return server, HerokuCli(server, tmp_path / "home")


def through_router(server, app, path="/", headers=None, conn=None):
    own = conn is None
    conn = conn or http.client.HTTPConnection("127.0.0.1", server.router_port, timeout=20)
    conn.request("GET", path, headers={"Host": f"{app}.localhost:{server.router_port}",
                                       **(headers or {})})
    resp = conn.getresponse()
    body = resp.read()
    if own:
        conn.close()
    return resp, body


def deploy(server, cli, name, config=None):
    cli.ok("apps:create", name)
    if config:
        cli.ok("config:set", *[f"{k}={v}" for k, v in config.items()], "-a", name)
    release_fixture(server, name, "python-web")
    wait_dynos_up(server, name, ["web.1"])
    resp, body = through_router(server, name)  # a dyno shown up is already routed
    assert resp.status == 200, (resp.status, body)


def test_requests_reach_every_web_dyno_with_forwarding_headers(platform):
    server, cli = platform
    deploy(server, cli, "routed", {"GREETING": "hi"})
    cli.ok("ps:scale", "web=2", "-a", "routed")
    wait_for(lambda: len([1 for d in server.request("GET", "/apps/routed/dynos").json
                          if d["state"] == "up"]) == 2, what="two web dynos up")
    wait_for(lambda: len(__import__("runtime_helpers").web_ports(server, "routed")) == 2,
             what="both in the routing table")
    seen = set()
    conn = http.client.HTTPConnection("127.0.0.1", server.router_port, timeout=20)
    deadline = time.time() + 10  # the router picks web.2 up within ~100 ms of the agent
    while seen != {"web.1", "web.2"} and time.time() < deadline:  # one keep-alive connection
        resp, body = through_router(server, "routed", conn=conn)
        assert resp.status == 200
        data = __import__("json").loads(body)
        seen.add(data["dyno"])
        headers = {k.lower(): v for k, v in data["headers"].items()}
        assert data["greeting"] == "hi"
        assert headers["x-forwarded-for"] == "127.0.0.1"
        assert headers["x-forwarded-proto"] == "http"
        assert headers["x-forwarded-port"] == str(server.router_port)
        assert headers["via"] == "1.1 slipway"
        assert len(headers["x-request-id"]) >= 20
        assert resp.getheader("X-Request-Id") == headers["x-request-id"]
    conn.close()
    assert seen == {"web.1", "web.2"}
    kept_id = "abcdef12-3456-7890-abcd-ef1234567890"
    resp, body = through_router(server, "routed", headers={"X-Request-Id": kept_id})
    assert __import__("json").loads(body)["headers"]["X-Request-Id"] == kept_id
    line = wait_for(lambda: [l for l in app_log(server, "routed").splitlines()
                             if "heroku[router]: at=info" in l and kept_id in l], what="router line")
    assert 'method=GET path="/"' in line[0] and "status=200" in line[0]
    assert "dyno=web." in line[0] and "connect=" in line[0] and "service=" in line[0]
    assert 'fwd="127.0.0.1"' in line[0] and "protocol=http" in line[0]


def test_a_dyno_shown_up_is_routed_at_once(platform):
    server, cli = platform
    deploy(server, cli, "prompt")
    for _ in range(5):  # each round, by the old 100 ms watcher alone, failed about half the time
        cli.ok("ps:scale", "web=0", "-a", "prompt")
        wait_for(lambda: not dynos(server, "prompt"), what="web.1 gone")
        cli.ok("ps:scale", "web=1", "-a", "prompt")
        # Asked the moment the API says up: the router's own watcher may not have looked yet.
        wait_dynos_up(server, "prompt", ["web.1"], interval=0)
        resp, body = through_router(server, "prompt")
        assert resp.status == 200, (resp.status, body)


def test_unknown_app_gets_404_page(platform):
    server, _ = platform
    resp, body = through_router(server, "no-such-app")
    assert resp.status == 404 and b"No such app" in body


def test_no_web_dynos_is_h14(platform):
    server, cli = platform
    deploy(server, cli, "scaled-down")
    cli.ok("ps:scale", "web=0", "-a", "scaled-down")
    # While the table catches up (~100 ms) a request may still meet the stopping dyno (H10/H13).
    wait_for(lambda: through_router(server, "scaled-down")[0].status == 503 and
             'at=error code=H14 desc="No web processes running"' in app_log(server, "scaled-down"),
             what="H14")
    resp, body = through_router(server, "scaled-down")
    assert resp.status == 503 and b"Application Error" in body


@pytest.mark.serial
def test_maintenance_mode_is_h80_within_a_second(platform):
    server, cli = platform
    deploy(server, cli, "maint")
    assert through_router(server, "maint")[0].status == 200
    cli.ok("maintenance:on", "-a", "maint")
    started = time.time()
    wait_for(lambda: through_router(server, "maint")[0].status == 503, timeout=5, interval=0.05,
             what="maintenance page")
    assert time.time() - started < 1.5
    assert b"Offline for Maintenance" in through_router(server, "maint")[1]
    assert "code=H80" in app_log(server, "maint")
    cli.ok("maintenance:off", "-a", "maint")
    wait_for(lambda: through_router(server, "maint")[0].status == 200, timeout=5, what="back")


def test_slow_dyno_is_h12_and_dropped_connection_is_h13(platform):
    server, cli = platform
    cli.ok("apps:create", "slowpoke")
    slow = ("python3 -c \"import http.server,os,time\n"
            "class H(http.server.BaseHTTPRequestHandler):\n"
            "  def do_GET(self):\n"
            "    if self.path == '/drop': os._exit(1)\n"
            "    time.sleep(10)\n"
            "http.server.ThreadingHTTPServer(('127.0.0.1', int(os.environ['PORT'])), H)"
            ".serve_forever()\"")
    release_slug(server, "slowpoke", {"x": "y"}, {"web": slow})
    wait_dynos_up(server, "slowpoke", ["web.1"])
    wait_for(lambda: web_ports(server, "slowpoke"), what="slowpoke in the routing table")
    time.sleep(0.3)  # the router re-reads the table within ~100 ms
    resp, _ = through_router(server, "slowpoke")
    assert resp.status == 503
    assert 'code=H12 desc="Request timeout"' in app_log(server, "slowpoke")
    resp, _ = through_router(server, "slowpoke", "/drop")
    assert resp.status == 503
    assert 'code=H13 desc="Connection closed without response"' in app_log(server, "slowpoke")


def test_control_plane_sigkill_under_load_fails_no_request(platform):
    server, cli = platform
    deploy(server, cli, "steady", {"GREETING": "steady"})
    failures, successes, stop = [], [0], threading.Event()

    def load():
        conn = http.client.HTTPConnection("127.0.0.1", server.router_port, timeout=10)
        while not stop.is_set():
            try:
                resp, body = through_router(server, "steady", conn=conn)
                if resp.status != 200:
                    failures.append(resp.status)
                else:
                    successes[0] += 1
            except OSError as e:
                failures.append(repr(e))
                conn = http.client.HTTPConnection("127.0.0.1", server.router_port, timeout=10)

    threads = [threading.Thread(target=load) for _ in range(2)]
    for t in threads:
        t.start()
    time.sleep(1)
    server.kill()
    time.sleep(2)
    server.start()
    time.sleep(1)
    stop.set()
    for t in threads:
        t.join()
    assert failures == []
    assert successes[0] > 50
    assert "router adopted" in server.stderr_path.read_text()


# A dyno that accepts any Upgrade, then echoes what it receives, upper-cased.
UPGRADE_ECHO = """
import os, socket
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(os.environ["PORT"])))
s.listen()
while True:
    c, _ = s.accept()
    head = b""
    while b"\\r\\n\\r\\n" not in head and (byte := c.recv(1)):
        head += byte
    if not head.endswith(b"\\r\\n\\r\\n"):  # e.g. the agent's check that $PORT is bound
        c.close()
        continue
    c.sendall(b"HTTP/1.1 101 Switching Protocols\\r\\nUpgrade: websocket\\r\\n"
              b"Connection: Upgrade\\r\\n\\r\\n")
    while data := c.recv(4096):
        c.sendall(data.upper())
    c.close()
"""


def test_websocket_upgrade_is_tunnelled(platform):
    import socket
    server, cli = platform
    cli.ok("apps:create", "sockets")
    release_slug(server, "sockets", {"echo.py": UPGRADE_ECHO}, {"web": "python3 echo.py"})
    wait_dynos_up(server, "sockets", ["web.1"])
    time.sleep(0.3)  # the router's table catches up
    with socket.create_connection(("127.0.0.1", server.router_port), timeout=10) as s:
        s.sendall(b"GET /ws HTTP/1.1\r\nHost: sockets.localhost\r\nConnection: Upgrade\r\n"
                  b"Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
                  b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
        head = b""
        while b"\r\n\r\n" not in head:
            head += s.recv(1)
        assert head.startswith(b"HTTP/1.1 101")
        for message in (b"hello", b"frames pass both ways"):
            s.sendall(message)
            got = b""
            while len(got) < len(message):
                got += s.recv(4096)
            assert got == message.upper()
    line = wait_for(lambda: [l for l in app_log(server, "sockets").splitlines()
                             if 'path="/ws"' in l], what="router line")
    assert "status=101" in line[0]
