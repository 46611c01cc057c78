"""Helpers for build tests: source tarballs of fixture apps, the Build API, output streams."""
import contextlib
import http.client
import http.server
import io
import json
import shutil
import ssl
import tarfile
import threading
import time
import urllib.parse
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def source_tarball(app_dir, extra_files=None, prefix="app-main/"):
    """A tar.gz of a fixture app under one top-level directory (as GitHub tarballs are)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        tar.add(app_dir, arcname=prefix.rstrip("/"))
        for name, text in (extra_files or {}).items():
            data = text.encode()
            info = tarfile.TarInfo(prefix + name)
            info.size = len(data)
            info.mode = 0o755
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def copy_fixture(name, dest, procfile=None):
    shutil.copytree(FIXTURES / "apps" / name, dest)
    if procfile is not None:
        (Path(dest) / "Procfile").write_text(procfile)
    return Path(dest)


def raw(server, method, url, body=None, headers=None):
    """A request to a full URL on the API server (capability URLs carry no credentials)."""
    parts = urllib.parse.urlsplit(url)
    ctx = ssl.create_default_context(cafile=server.ca)
    conn = http.client.HTTPSConnection(parts.hostname, parts.port, context=ctx, timeout=120)
    conn.request(method, parts.path, body=body, headers=headers or {})
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    return resp.status, data


def upload_source(server, tarball):
    created = server.request("POST", "/sources")
    assert created.status == 201, created.raw
    blob = created.json["source_blob"]
    status, _ = raw(server, "PUT", blob["put_url"], tarball, {"Content-Type": ""})
    assert status == 200
    return blob["get_url"]


def create_build(server, app, url, version="", buildpacks=None):
    body = {"source_blob": {"url": url, "version": version}}
    if buildpacks is not None:
        body["buildpacks"] = [{"url": b} for b in buildpacks]
    return server.request("POST", f"/apps/{app}/builds", body)


def wait_build(server, app, build_id, timeout=180):
    deadline = time.time() + timeout
    while time.time() < deadline:
        build = server.request("GET", f"/apps/{app}/builds/{build_id}").json
        if build["status"] != "pending":
            return build
        time.sleep(0.3)
    raise AssertionError(f"build {build_id} still pending after {timeout}s")


@contextlib.contextmanager
def serving(files):
    """A loopback HTTP server on port 0 serving `files` ({path: bytes}; 404 otherwise) for the
    duration of the block; yields its base URL. `requested` on the yielded object lists the
    request targets it saw."""
    requested = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's naming)
            requested.append(self.path)
            body = files.get(self.path.split("?")[0])
            self.send_response(200 if body is not None else 404)
            body = body if body is not None else b"not found\n"
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()

    class Served(str):
        pass

    base = Served(f"http://127.0.0.1:{httpd.server_address[1]}")
    base.requested = requested
    try:
        yield base
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()
