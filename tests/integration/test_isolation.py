"""App isolation: each app's dynos run as their own unprivileged Unix user, so a dyno of one app
cannot read another app's files or config, nor the platform's own state, nor touch its dynos.

App A runs a probe web process that tries, as its own user, everything a hostile app would try
against app B and the platform, and answers with what happened. Only meaningful when Slipway
runs as root (as in production and CI): otherwise every dyno runs as the agent's own user.
"""
import json
import os
import urllib.parse
from pathlib import Path

import pytest

from harness import HerokuCli
from runtime_helpers import dyno_pids, through_router, wait_dynos_up, wait_for, web_ports
from slugs import fixture_slug, release_slug

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0,
    reason="app isolation needs root: a non-root Slipway runs every dyno as its own user "
           "(README, Security: app isolation)")

FAST = {"SLIPWAY_STOP_GRACE": "3", "SLIPWAY_BOOT_TIMEOUT": "10"}

PROBE = r'''
"""Tries, as this dyno's user, to reach what belongs to another app or to the platform."""
import errno
import http.server
import json
import os
import socket
import urllib.parse


def attempt(action):
    try:
        action()
        return {"ok": True}
    except OSError as e:
        return {"ok": False, "errno": errno.errorcode.get(e.errno, str(e.errno))}


def read(path):
    with open(path, "rb") as f:
        f.read(1)


def write_home():
    note = os.path.join(os.environ["HOME"], "scratch", "note.txt")
    os.makedirs(os.path.dirname(note), exist_ok=True)
    with open(note, "w") as f:
        f.write("mine")
    with open("relative-note.txt", "w") as f:  # the cwd is HOME too
        f.write("mine")
    with open(note) as f:
        assert f.read() == "mine"


def connect(port):
    socket.create_connection(("127.0.0.1", port), timeout=2).close()


def open_fds():
    fds = {}
    for fd in os.listdir("/proc/self/fd"):
        try:
            fds[fd] = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            pass
    return fds


def probe(spec):
    return {
        "uid": os.getuid(), "euid": os.geteuid(), "gid": os.getgid(), "egid": os.getegid(),
        "groups": os.getgroups(), "home": os.environ["HOME"], "cwd": os.getcwd(),
        "read": {name: attempt(lambda p=p: read(p)) for name, p in spec["read"].items()},
        "list": {name: attempt(lambda p=p: os.listdir(p)) for name, p in spec["list"].items()},
        "signal 0": attempt(lambda: os.kill(spec["pid"], 0)),
        "SIGKILL": attempt(lambda: os.kill(spec["pid"], 9)),
        "write home": attempt(write_home),
        "connect to B's port": attempt(lambda: connect(spec["port"])),
        "fds": open_fds(),
    }


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        query = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
        if "spec" in query:
            body = json.dumps(probe(json.loads(query["spec"][0]))).encode()
        else:
            body = json.dumps({"dyno": os.environ["DYNO"], "uid": os.getuid()}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *args):
        pass


print(f"probe listening on {os.environ['PORT']} as uid {os.getuid()}", flush=True)
http.server.ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler).serve_forever()
'''


@pytest.fixture
def platform(own_server, tmp_path):
    server = own_server(env=FAST).start()
    return server, HerokuCli(server, tmp_path / "home")


def uid_of(pid):
    """The real, effective, saved and filesystem uids of a process, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Uid:"):
            return [int(u) for u in line.split()[1:]]
    raise AssertionError(f"no Uid line for {pid}")


def test_dynos_of_one_app_cannot_reach_another_apps_files_config_or_processes(platform):
    server, cli = platform
    data = server.data_dir
    cli.ok("apps:create", "app-b")
    cli.ok("config:set", "GREETING=b-greeting", "B_SECRET=b-very-secret", "-a", "app-b")
    files, types = fixture_slug("python-web")
    release_b = release_slug(server, "app-b", files, types)
    cli.ok("apps:create", "app-a")
    cli.ok("config:set", "A_SECRET=a-very-secret", "-a", "app-a")
    release_slug(server, "app-a", {"probe.py": PROBE}, {"web": "python3 probe.py"})
    wait_dynos_up(server, "app-b", ["web.1"])
    wait_dynos_up(server, "app-a", ["web.1"])

    b_id = server.request("GET", "/apps/app-b").json["id"]
    a_id = server.request("GET", "/apps/app-a").json["id"]
    b_pid = wait_for(lambda: dyno_pids(b_id, "web.1"), what="app-b's web.1 pid")[0]
    a_pid = wait_for(lambda: dyno_pids(a_id, "web.1"), what="app-a's web.1 pid")[0]
    b_home = data / "runtime" / "releases" / b_id / release_b["id"] / "app"
    assert (b_home / "web.py").exists()
    b_port = web_ports(server, "app-b")["web.1"]

    spec = {
        "read": {
            "B's desired state (its config vars)": str(data / "runtime" / "desired" / f"{b_id}.json"),
            "B's code": str(b_home / "web.py"),
            "B's log": str(data / "logs" / f"{b_id}.log"),
            "B's environment": f"/proc/{b_pid}/environ",
            "the store": str(data / "slipway.db"),
            "the store's WAL": str(data / "slipway.db-wal"),
            "the TLS key": str(data / "tls" / "server.key"),
            "the CA key": str(data / "tls" / "ca.key"),
            "the Postgres servers' TLS key": str(data / "tls" / "postgres.key"),
            "the admin token": str(data / "admin-token"),
            "the routing table": str(data / "runtime" / "routes.json"),
            "B's dyno status": str(data / "runtime" / "status" / f"{b_id}.json"),
            "the agent's log": str(data / "logs" / "agent.log"),
        },
        "list": {
            "B's releases": str(data / "runtime" / "releases" / b_id),
            "B's release dir": str(b_home.parent),
            "B's app dir": str(b_home),
            "the data dir": str(data),
            "desired states": str(data / "runtime" / "desired"),
            "blobs": str(data / "blobs"),
            "logs": str(data / "logs"),
            "tls": str(data / "tls"),
        },
        "pid": b_pid,
        "port": b_port,
    }
    path = "/probe?spec=" + urllib.parse.quote(json.dumps(spec))

    def probed():
        # The router learns of a dyno that is up a moment after the API shows it (H14 until
        # then; seen once on a loaded CI machine).
        status, body = through_router(server, "app-a", path)
        return None if status == 503 and b"H14" in body else (status, body)

    status, body = wait_for(probed, timeout=30, what="app-a's web.1 routed")
    assert status == 200, body
    report = json.loads(body)

    denied = {"EACCES", "EPERM"}
    allowed = {f"read {name}": r for name, r in report["read"].items() if r.get("errno") not in denied}
    allowed.update({f"list {name}": r for name, r in report["list"].items()
                    if r.get("errno") not in denied})
    for what in ("signal 0", "SIGKILL"):
        if report[what].get("errno") != "EPERM":
            allowed[what] = report[what]
    assert not allowed, f"app-a's dyno reached what is not its own: {allowed}"

    # Each app runs as its own unprivileged user and group, from the range reserved for apps.
    a_uids, b_uids = uid_of(a_pid), uid_of(b_pid)
    assert len(set(a_uids)) == 1 and len(set(b_uids)) == 1, (a_uids, b_uids)
    assert report["uid"] == report["euid"] == a_uids[0]
    assert report["gid"] == report["egid"] and report["groups"] in ([], [report["gid"]])
    assert a_uids[0] != b_uids[0]
    assert a_uids[0] >= 200000 and b_uids[0] >= 200000
    assert report["home"] == report["cwd"] and a_id in report["home"]

    # Nothing of the platform's reaches the dyno through an inherited file descriptor.
    leaked = {fd: target for fd, target in report["fds"].items()
              if target.startswith(str(data)) and not target.startswith(report["home"])}
    assert not leaked, leaked

    # The app still works: its home is writable, and both apps serve through the router.
    assert report["write home"] == {"ok": True}, report["write home"]
    assert (Path(report["home"]) / "scratch" / "note.txt").read_text() == "mine"
    status, body = through_router(server, "app-a")
    assert status == 200 and json.loads(body)["dyno"] == "web.1"
    status, body = through_router(server, "app-b")
    assert status == 200 and json.loads(body)["greeting"] == "b-greeting"
    # Loopback is not isolated yet: a dyno can connect to another app's port (reported, not
    # asserted as a property).
    print("connect to app-b's port from app-a:", report["connect to B's port"])


def test_app_uids_are_stable_across_restarts_and_unique(platform):
    server, cli = platform
    files, types = fixture_slug("python-web")
    for name in ("keep-one", "keep-two"):
        cli.ok("apps:create", name)
        release_slug(server, name, files, types)
    ids = {n: server.request("GET", f"/apps/{n}").json["id"] for n in ("keep-one", "keep-two")}

    def uids():
        wait_dynos_up(server, "keep-one", ["web.1"])
        wait_dynos_up(server, "keep-two", ["web.1"])
        return {n: uid_of(wait_for(lambda i=i: dyno_pids(i, "web.1"), what=f"{n} pid")[0])[0]
                for n, i in ids.items()}

    before = uids()
    assert before["keep-one"] != before["keep-two"]
    assert all(u >= 200000 for u in before.values())
    # A whole-platform restart (control plane, agent, dynos) keeps each app's uid.
    assert server.stop() == 0
    server.start()
    assert uids() == before
    # A destroyed app's uid is not handed to a new app.
    cli.ok("apps:destroy", "keep-two", "--confirm", "keep-two")
    cli.ok("apps:create", "keep-three")
    release_slug(server, "keep-three", files, types)
    wait_dynos_up(server, "keep-three", ["web.1"])
    three_id = server.request("GET", "/apps/keep-three").json["id"]
    three = uid_of(wait_for(lambda: dyno_pids(three_id, "web.1"), what="keep-three pid")[0])[0]
    assert three not in before.values() and three >= 200000


def test_data_dir_modes(platform):
    """Only the path down to each app's own directory is traversable by app users."""
    server, cli = platform
    cli.ok("apps:create", "modes")
    files, types = fixture_slug("python-web")
    release = release_slug(server, "modes", files, types)
    wait_dynos_up(server, "modes", ["web.1"])
    app_id = server.request("GET", "/apps/modes").json["id"]
    data = server.data_dir

    def mode(path):
        return oct(os.stat(path).st_mode & 0o7777)

    assert mode(data) == oct(0o711)
    assert mode(data / "runtime") == oct(0o711)
    assert mode(data / "runtime" / "releases") == oct(0o711)
    assert mode(data / "runtime" / "releases" / app_id) == oct(0o710)
    assert mode(data / "runtime" / "releases" / app_id / release["id"]) == oct(0o711)
    home = data / "runtime" / "releases" / app_id / release["id"] / "app"
    assert mode(home) == oct(0o700)
    app_uid = os.stat(home).st_uid
    assert app_uid >= 200000
    assert os.stat(data / "runtime" / "releases" / app_id).st_gid == app_uid
    assert all(os.lstat(p).st_uid == app_uid for p in home.rglob("*"))
    for private in ("slipway.db", "slipway.db-wal", "admin-token", "api-url"):
        assert mode(data / private) == oct(0o600), private
    for private in ("tls", "blobs", "logs", "run", "runtime/desired", "runtime/status"):
        assert mode(data / private) == oct(0o700), private
    assert mode(data / "runtime" / "routes.json") == oct(0o600)
    assert mode(data / "runtime" / "desired" / f"{app_id}.json") == oct(0o600)
    assert mode(data / "logs" / f"{app_id}.log") == oct(0o600)


def test_startup_fixes_modes_and_ownership_of_an_existing_data_dir(platform):
    """A data dir from before isolation (everything root's, readable) is fixed on start."""
    server, cli = platform
    cli.ok("apps:create", "legacy")
    files, types = fixture_slug("python-web")
    release = release_slug(server, "legacy", files, types)
    wait_dynos_up(server, "legacy", ["web.1"])
    app_id = server.request("GET", "/apps/legacy").json["id"]
    assert server.stop() == 0
    data = server.data_dir
    home = data / "runtime" / "releases" / app_id / release["id"] / "app"
    # What an older Slipway left: open modes, the release unpacked as root.
    for path in [data, *data.rglob("*")]:
        if not path.is_symlink():
            os.chown(path, 0, 0)
            os.chmod(path, 0o755 if path.is_dir() else 0o644)
    server.start()
    wait_dynos_up(server, "legacy", ["web.1"])
    pid = wait_for(lambda: dyno_pids(app_id, "web.1"), what="legacy pid")[0]
    assert uid_of(pid)[0] >= 200000
    assert os.stat(home).st_uid == uid_of(pid)[0]
    assert oct(os.stat(home).st_mode & 0o777) == oct(0o700)
    assert oct(os.stat(data).st_mode & 0o777) == oct(0o711)
    # Private directories shut app users out whatever they hold, so the pass does not recurse.
    for private in ("slipway.db", "admin-token", "api-url", "runtime/routes.json", "tls", "blobs",
                    "logs", "run", "runtime/desired", "runtime/status"):
        assert oct(os.stat(data / private).st_mode & 0o077) == oct(0), private
    status, body = through_router(server, "legacy")
    assert status == 200, body
