"""Starts the real `slipway server` and drives it with the real heroku CLI and raw HTTPS.

Everything is hermetic: loopback only, port 0 for the API, a temporary data dir, HOME and git
config per CLI environment. Every process started here is stopped by its fixture.
"""
import http.client
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SLIPWAY_BIN = os.environ.get("SLIPWAY_BIN", str(REPO / "build" / "slipway"))
HEROKU_BIN = shutil.which("heroku") or str(
    REPO / ".cache" / "heroku-cli" / "node_modules" / ".bin" / "heroku")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Slipway:
    """One daemon on a data dir. Can be stopped, killed and started again on the same dir."""

    def __init__(self, data_dir, extra_args=(), env=None):
        self.data_dir = Path(data_dir)
        self.extra_args = list(extra_args)
        self.env = {**os.environ, **(env or {})}
        self.router_port = free_port()
        self.proc = None
        self.stdout_path = self.data_dir.parent / (self.data_dir.name + ".stdout")
        self.stderr_path = self.data_dir.parent / (self.data_dir.name + ".stderr")

    def start(self, timeout=20):
        url_file = self.data_dir / "api-url"
        if url_file.exists():
            url_file.unlink()
        self._out = open(self.stdout_path, "ab")
        self._err = open(self.stderr_path, "ab")
        self.proc = subprocess.Popen(
            [SLIPWAY_BIN, "server", "--data-dir", str(self.data_dir),
             "--api-listen", "127.0.0.1:0",
             "--router-listen", f"127.0.0.1:{self.router_port}", *self.extra_args],
            stdout=self._out, stderr=self._err, stdin=subprocess.DEVNULL, env=self.env)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("slipway exited early:\n" + self.stderr_path.read_text())
            if url_file.exists() and url_file.read_text().endswith("\n"):
                self.url = url_file.read_text().strip()
                self.port = int(self.url.rsplit(":", 1)[1])
                self.token = (self.data_dir / "admin-token").read_text().strip()
                self.ca = str(self.data_dir / "tls" / "ca.pem")
                return self
            time.sleep(0.05)
        raise RuntimeError("slipway did not start in time")

    def stop(self, sig=signal.SIGTERM, timeout=35):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc:
            self._out.close()
            self._err.close()
        code = self.proc.returncode if self.proc else None
        self.proc = None
        return code

    def kill(self):
        return self.stop(signal.SIGKILL)

    def stdout(self):
        return self.stdout_path.read_text()

    def sanitizer_report(self):
        """The first AddressSanitizer/LeakSanitizer/UBSan report of the daemon, its agent or its
        router (their stderr goes to the daemon's stderr and to logs/agent.log, logs/router.log),
        if any."""
        logs = Path(self.data_dir) / "logs"
        for path in (self.stderr_path, logs / "agent.log", logs / "router.log"):
            if not path.exists():
                continue
            text = path.read_text(errors="replace")
            for marker in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:"):
                at = text.find(marker)
                if at >= 0:
                    return f"{path.name}: " + text[max(0, at - 200):at + 3000]
        return None

    # --- raw HTTPS -----------------------------------------------------------------------------
    def request(self, method, path, body=None, headers=None, token="default", raw_body=None):
        ctx = ssl.create_default_context(cafile=self.ca)
        conn = http.client.HTTPSConnection("localhost", self.port, context=ctx, timeout=30)
        h = {"Accept": "application/vnd.heroku+json; version=3"}
        if token == "default":
            token = self.token
        if token is not None:
            h["Authorization"] = f"Bearer {token}"
        data = raw_body
        if body is not None:
            data = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        h.update(headers or {})
        conn.request(method, path, body=data, headers=h)
        resp = conn.getresponse()
        payload = resp.read()
        conn.close()
        parsed = None
        if resp.getheader("Content-Type", "").startswith("application/json") and payload:
            parsed = json.loads(payload)
        return Response(resp.status, resp.getheaders(), parsed, payload)


class Response:
    def __init__(self, status, headers, json_body, raw):
        self.status = status
        self.headers = headers
        self.json = json_body
        self.raw = raw

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def header_all(self, name):
        return [v for k, v in self.headers if k.lower() == name.lower()]


class HerokuCli:
    """The real heroku CLI, with its own HOME and git config, pointed at one daemon."""

    def __init__(self, server, home):
        self.server = server
        self.home = Path(home)
        self.home.mkdir(parents=True, exist_ok=True)

    def env(self, **overrides):
        env = {
            "PATH": os.environ["PATH"],
            "HOME": str(self.home),
            "GIT_CONFIG_GLOBAL": str(self.home / "gitconfig"),
            "HEROKU_HOST": self.server.url,
            "HEROKU_API_KEY": self.server.token,
            "HEROKU_DATA_HOST": "localhost",
            "HEROKU_PARTICLEBOARD_URL": self.server.url,
            "DISABLE_TELEMETRY": "true",
            "HEROKU_SKIP_NEW_VERSION_CHECK": "true",
            # Otherwise every fresh HOME leaves a detached `heroku update --autoupdate` behind.
            "HEROKU_DISABLE_AUTOUPDATE": "1",
            "NODE_EXTRA_CA_CERTS": self.server.ca,
            "GIT_SSL_CAINFO": self.server.ca,
            "CI": "true",
            "NO_COLOR": "1",
            "COLUMNS": "200",
        }
        env.update(overrides)
        return {k: v for k, v in env.items() if v is not None}

    def run(self, *args, env=None, cwd=None, input=None, timeout=120):
        proc = subprocess.run([HEROKU_BIN, *args], env=self.env(**(env or {})),
                              cwd=cwd or self.home, input=input, capture_output=True,
                              text=True, timeout=timeout)
        return proc

    def ok(self, *args, **kw):
        proc = self.run(*args, **kw)
        assert proc.returncode == 0, (
            f"heroku {' '.join(args)} exited {proc.returncode}\n"
            f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}")
        return proc

    def fails(self, *args, **kw):
        proc = self.run(*args, **kw)
        assert proc.returncode != 0, f"heroku {' '.join(args)} unexpectedly succeeded:\n{proc.stdout}"
        return proc


def unique_name(prefix="app"):
    return f"{prefix}-{os.urandom(4).hex()}"


def make_temp_dir(prefix):
    """A fresh directory for data dirs. Searchable by others (0711, not mkdtemp's 0700): a root
    Slipway runs each app's dynos as the app's own user, which must get through it to reach its
    release directory under the data dir."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    path.chmod(0o711)
    return path
