"""The router streams bodies both ways: slow chunked responses arrive piece by piece, uploads and
downloads of any size pass through in bounded memory, and framing is fixed up per client."""
import hashlib
import http.client
import json
import os
import socket
import subprocess
import time
from pathlib import Path

import pytest

from harness import HerokuCli
from runtime_helpers import wait_dynos_up, wait_for
from slugs import release_fixture

FAST = {"SLIPWAY_STOP_GRACE": "3", "SLIPWAY_BOOT_TIMEOUT": "10"}


@pytest.fixture(scope="module")
def streaming(tmp_path_factory):
    from harness import Slipway, make_temp_dir
    root = make_temp_dir("slipway-it-stream-")
    server = Slipway(root / "data", (), FAST).start()
    try:
        cli = HerokuCli(server, tmp_path_factory.mktemp("home"))
        cli.ok("apps:create", "streamer")
        release_fixture(server, "streamer", "streaming-web")
        wait_dynos_up(server, "streamer", ["web.1"])
        wait_for(lambda: get(server, "/")[0].status == 200, what="streamer routed")
        yield server
    finally:
        server.stop()
        report = server.sanitizer_report()
        assert report is None, report


def connect(server):
    return http.client.HTTPConnection("127.0.0.1", server.router_port, timeout=30)


def host(server):
    return f"streamer.localhost:{server.router_port}"


def get(server, path, conn=None):
    conn = conn or connect(server)
    conn.request("GET", path, headers={"Host": host(server)})
    resp = conn.getresponse()
    return resp, resp.read()


def sanitized():
    """ASan builds keep freed memory in quarantine and add shadow memory: their RSS says nothing
    about how much the router buffers."""
    binary = os.environ.get("SLIPWAY_BIN", "")
    out = subprocess.run(["ldd", binary], capture_output=True, text=True).stdout if binary else ""
    return "libasan" in out


def router_peak_rss_mb(server):
    pid = int((Path(server.data_dir) / "run" / "router.pid").read_text())
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM for the router")


@pytest.mark.serial
def test_slow_chunked_response_arrives_piece_by_piece(streaming):
    conn = connect(streaming)
    start = time.monotonic()
    conn.request("GET", "/stream?n=3&gap=1.5", headers={"Host": host(streaming)})
    resp = conn.getresponse()
    assert resp.status == 200
    assert resp.getheader("Transfer-Encoding") == "chunked"
    first = resp.fp.readline()  # the chunk-size line of the first piece
    assert int(first, 16) > 0
    assert resp.fp.readline() == b"data: tick 0\n"
    # The first event reaches the client long before the dyno has finished (3 x 1.5 s).
    assert time.monotonic() - start < 1.2
    rest = b""
    while not rest.endswith(b"0\r\n\r\n"):
        rest += resp.fp.read1(4096)
    assert b"data: tick 2" in rest
    assert time.monotonic() - start > 3.0


def test_large_download_streams_in_bounded_memory(streaming):
    resp, body = get(streaming, "/big?mb=200")
    assert resp.status == 200
    assert len(body) == 200 << 20
    assert body[:256] == bytes(range(256))
    # Buffering the body would need 200 MB; streaming needs the scratch buffers only.
    if not sanitized():
        assert router_peak_rss_mb(streaming) < 100


def test_large_chunked_upload_streams_through(streaming):
    block = bytes(range(256)) * 4096  # 1 MiB
    digest = hashlib.sha256()
    for _ in range(150):
        digest.update(block)
    conn = connect(streaming)
    conn.request("POST", "/upload", body=(block for _ in range(150)), encode_chunked=True,
                 headers={"Host": host(streaming), "Transfer-Encoding": "chunked"})
    resp = conn.getresponse()
    data = json.loads(resp.read())
    assert resp.status == 200
    assert data["bytes"] == 150 << 20
    assert data["sha256"] == digest.hexdigest()
    if not sanitized():
        assert router_peak_rss_mb(streaming) < 100


def test_expect_continue_is_answered_by_the_router(streaming):
    body = b"x" * 100000
    with socket.create_connection(("127.0.0.1", streaming.router_port), timeout=10) as s:
        s.sendall(f"POST /upload HTTP/1.1\r\nHost: {host(streaming)}\r\n"
                  f"Content-Length: {len(body)}\r\nExpect: 100-continue\r\n\r\n".encode())
        interim = s.recv(4096)
        assert interim.startswith(b"HTTP/1.1 100 Continue\r\n\r\n")
        s.sendall(body)
        reply = b""
        while b"sha256" not in reply or not reply.endswith(b"}"):
            chunk = s.recv(65536)
            assert chunk, reply
            reply += chunk
    head, _, payload = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    data = json.loads(payload)
    assert data["bytes"] == len(body) and data["expect"] is None


def test_close_delimited_body_is_rechunked_and_connection_kept(streaming):
    conn = connect(streaming)
    resp, body = get(streaming, "/until-close", conn)
    assert resp.status == 200 and body == b"all of it, then close\n"
    assert resp.getheader("Transfer-Encoding") == "chunked"
    resp, body = get(streaming, "/", conn)  # the same client connection carries on
    assert resp.status == 200 and json.loads(body)["dyno"] == "web.1"


def test_http10_client_gets_chunked_body_unchunked(streaming):
    with socket.create_connection(("127.0.0.1", streaming.router_port), timeout=10) as s:
        s.sendall(f"GET /stream?n=2&gap=0.1 HTTP/1.0\r\nHost: {host(streaming)}\r\n\r\n".encode())
        reply = b""
        while chunk := s.recv(65536):
            reply += chunk
    head, _, payload = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.0 200")
    assert b"chunked" not in head.lower()
    assert payload == b"data: tick 0\n\ndata: tick 1\n\n"


def test_head_response_has_no_body_and_keeps_the_connection(streaming):
    conn = connect(streaming)
    conn.request("HEAD", "/", headers={"Host": host(streaming)})
    resp = conn.getresponse()
    assert resp.status == 200 and resp.getheader("Content-Length") == "12345"
    assert resp.read() == b""
    resp, body = get(streaming, "/", conn)
    assert resp.status == 200 and json.loads(body)["path"] == "/"
