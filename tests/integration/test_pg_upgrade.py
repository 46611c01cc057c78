"""Postgres plan changes and promotions with the real heroku CLI, real PostgreSQL and the Django
sample app (deployed with git push, migrated by its release phase): `addons:upgrade` from the
shared tier to a dedicated instance while writes keep arriving through the router, back down
again, a failed upgrade that leaves everything as it was, and `pg:promote` back and forth."""
import http.client
import json
import re
import threading
import time
import urllib.parse
from pathlib import Path

import pytest

from harness import HerokuCli
from runtime_helpers import wait_dynos_up, wait_for
from test_addons import config, create_db, psql
from test_deploy import checkout, git

FAST = {"SLIPWAY_STOP_GRACE": "3", "SLIPWAY_BOOT_TIMEOUT": "30"}


@pytest.fixture
def platform(own_server, tmp_path):
    server = own_server(env=FAST).start()
    return server, HerokuCli(server, tmp_path / "home")


def routed(server, app, method, path, body=None):
    conn = http.client.HTTPConnection("127.0.0.1", server.router_port, timeout=20)
    headers = {"Host": f"{app}.localhost:{server.router_port}"}
    if body is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    conn.request(method, path, body=body, headers=headers)
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    return resp.status, data


def which_db(server, app):
    try:
        status, body = routed(server, app, "GET", "/db/")
    except OSError:
        return None
    return json.loads(body) if status == 200 else None


def deploy_with_database(server, cli, tmp_path, app):
    src = checkout(cli, tmp_path, "django-app")
    cli.ok("apps:create", app, cwd=src)
    name = create_db(cli, app)
    push = git(cli, src, "push", "heroku", "main")
    assert "Running release command" in push.stderr
    wait_dynos_up(server, app, ["web.1"], timeout=90)
    wait_for(lambda: which_db(server, app), timeout=60, what="django serving /db/")
    return name


class WriteLoad(threading.Thread):
    """POSTs numbered writes through the router; records which were acknowledged (2xx) and the
    longest stretch with no acknowledged write."""

    def __init__(self, server, app):
        super().__init__(daemon=True)
        self.server, self.app = server, app
        self.acked, self.failed = [], 0
        self.longest_gap = 0.0
        self.stop_event = threading.Event()

    def run(self):
        n, last_ok = 0, time.time()
        while not self.stop_event.is_set():
            n += 1
            try:
                status, _ = routed(self.server, self.app, "POST", "/writes/",
                                   urllib.parse.urlencode({"n": n}))
            except OSError:
                status = 0
            now = time.time()
            if 200 <= status < 300:
                self.acked.append(n)
                self.longest_gap = max(self.longest_gap, now - last_ok)
                last_ok = now
            else:
                self.failed += 1
                time.sleep(0.05)

    def stop(self):
        self.stop_event.set()
        self.join(timeout=60)


def addon_json(server, app, name):
    return server.request("GET", f"/apps/{app}/addons/{name}").json


def cutover_ms(server):
    logs = server_log(server)
    return [int(ms) for ms in re.findall(r"the cut-over \(maintenance on to off\) took (\d+) ms",
                                         logs)]


def server_log(server):
    return Path(server.stdout_path).read_text() + Path(server.stderr_path).read_text()


def streamed_moves(server):
    """Plan changes whose data was streamed while the app ran (logical replication)."""
    return len(re.findall(r"postgres: streaming \d+ tables to the new database",
                          server_log(server)))


def replication_slots(url):
    r = psql(url, "select count(*) from pg_replication_slots")
    assert r.returncode == 0, r.stderr
    return int(r.stdout.strip())


def database_with(cli, app, sql):
    """A new app with an essential-0 database filled by `sql`: (add-on name, DATABASE_URL)."""
    cli.ok("apps:create", app)
    name = create_db(cli, app)
    url = config(cli, app)["DATABASE_URL"]
    made = psql(url, sql)
    assert made.returncode == 0, made.stderr
    return name, url


def change_plan(server, cli, app, name, plan, old_url, app_deployed=True):
    proc = cli.ok("addons:upgrade", "DATABASE", f"heroku-postgresql:{plan}", "-a", app)
    assert plan in proc.stdout + proc.stderr
    wait_for(lambda: addon_json(server, app, name)["plan"]["name"] == f"heroku-postgresql:{plan}",
             timeout=240, interval=0.5, what=f"{name} on {plan}")
    new_url = config(cli, app)["DATABASE_URL"]
    assert new_url != old_url
    if app_deployed:
        new_port = str(urllib.parse.urlsplit(new_url).port)
        wait_for(lambda: (which_db(server, app) or {}).get("port") == new_port, timeout=60,
                 what="the app on the new database")
    return new_url


def test_upgrade_under_load_keeps_every_acknowledged_write_then_downgrade(platform, tmp_path):
    server, cli = platform
    app = "pgmove"
    name = deploy_with_database(server, cli, tmp_path, app)
    before = addon_json(server, app, name)
    old_url = config(cli, app)["DATABASE_URL"]

    load = WriteLoad(server, app)
    load.start()
    wait_for(lambda: len(load.acked) >= 20, timeout=30, what="writes flowing")
    new_url = change_plan(server, cli, app, name, "standard-0", old_url)
    wait_for(lambda: len(load.acked) >= 20 + 20, timeout=30, what="writes flowing again")
    load.stop()

    after = addon_json(server, app, name)
    assert (after["id"], after["name"]) == (before["id"], before["name"])
    assert urllib.parse.urlsplit(new_url).port != urllib.parse.urlsplit(old_url).port
    stored = psql(new_url, "select number from greetings_write")
    assert stored.returncode == 0, stored.stderr
    numbers = {int(x) for x in stored.stdout.split()}
    missing = set(load.acked) - numbers
    assert not missing, f"acknowledged writes lost: {sorted(missing)[:20]}"
    assert "Standard 0" in cli.ok("pg:info", "-a", app).stdout
    assert "standard-0" in cli.ok("addons:info", name, "-a", app).stdout
    assert server.request("GET", f"/apps/{app}").json["maintenance"] is False
    # The old database is kept, but the app's role can no longer reach it.
    assert psql(old_url, "select 1").returncode != 0
    # The data was copied while the app ran; only the last writes were left for the cut-over.
    assert streamed_moves(server) == 1
    assert "copied inside the maintenance window" not in server_log(server)
    assert replication_slots(new_url) == 0
    print(f"\nplan change under load: cut-over {cutover_ms(server)} ms (maintenance on to off),"
          f" longest stretch without an acknowledged write {load.longest_gap:.2f} s,"
          f" {len(load.acked)} writes acknowledged, {load.failed} refused")

    down_url = change_plan(server, cli, app, name, "essential-0", new_url)
    count = psql(down_url, "select count(*) from greetings_write").stdout.strip()
    assert int(count) >= len(load.acked)
    assert addon_json(server, app, name)["id"] == before["id"]
    assert streamed_moves(server) == 2
    assert replication_slots(down_url) == 0


def test_failed_upgrade_leaves_the_app_on_its_old_database(platform, tmp_path):
    server, cli = platform
    app = "pgstay"
    name = deploy_with_database(server, cli, tmp_path, app)
    old_url = config(cli, app)["DATABASE_URL"]
    status, _ = routed(server, app, "POST", "/writes/", "n=7")
    assert status == 201
    # A disk fault: no dedicated instance can be created.
    dedicated = Path(server.data_dir) / "postgres" / "dedicated"
    dedicated.rename(dedicated.with_name("dedicated.away"))
    dedicated.write_text("not a directory\n")
    try:
        cli.ok("addons:upgrade", "DATABASE", "heroku-postgresql:standard-0", "-a", app)
        wait_for(lambda: "failed" in (addon_json(server, app, name).get("provision_message")
                                      or ""), timeout=120, interval=0.5, what="the failure shown")
    finally:
        dedicated.unlink()
        dedicated.with_name("dedicated.away").rename(dedicated)
    addon = addon_json(server, app, name)
    assert addon["plan"]["name"] == "heroku-postgresql:essential-0"
    assert addon["state"] == "provisioned"
    assert config(cli, app)["DATABASE_URL"] == old_url
    assert server.request("GET", f"/apps/{app}").json["maintenance"] is False
    assert (which_db(server, app) or {}).get("writes") == 1
    status, _ = routed(server, app, "POST", "/writes/", "n=8")
    assert status == 201
    # And the next attempt works.
    change_plan(server, cli, app, name, "standard-0", old_url)
    assert (which_db(server, app) or {}).get("writes") == 2


def test_unknown_plan_is_refused_with_the_plan_list(platform, tmp_path):
    server, cli = platform
    app = "pgbad"
    cli.ok("apps:create", app)
    name = create_db(cli, app)
    proc = cli.fails("addons:upgrade", "DATABASE", "heroku-postgresql:gigantic-9", "-a", app)
    assert "gigantic-9" in proc.stderr and "standard-0" in proc.stderr
    proc = cli.fails("addons:upgrade", "DATABASE", "heroku-postgresql:essential-0", "-a", app)
    assert "already on essential-0" in proc.stderr
    assert addon_json(server, app, name)["plan"]["name"] == "heroku-postgresql:essential-0"


def test_attach_as_and_promote_switch_the_app_between_databases_and_back(platform, tmp_path):
    server, cli = platform
    app = "pgpromote"
    first = deploy_with_database(server, cli, tmp_path, app)
    first_db = which_db(server, app)["database"]
    routed(server, app, "POST", "/writes/", "n=1")
    proc = cli.ok("addons:create", "heroku-postgresql:essential-0", "--wait", "-a", app,
                  timeout=180)
    second_attachment = re.search(r"as (HEROKU_POSTGRESQL_[A-Z]+)_URL",
                                  proc.stdout + proc.stderr).group(1)

    promoted = cli.ok("pg:promote", second_attachment, "-a", app, timeout=300)
    # The app has a release phase (formation lists `release`): the CLI waits for the Attach
    # DATABASE release's phase to succeed.
    assert "Checking release phase... pg:promote succeeded." in promoted.stderr, promoted.stderr
    wait_for(lambda: (which_db(server, app) or {}).get("database") not in (None, first_db),
             timeout=90, what="the app on the promoted database")
    assert which_db(server, app)["writes"] == 0  # a fresh database, migrated by the release phase
    attachments = server.request("GET", f"/apps/{app}/addon-attachments").json
    old = [t["name"] for t in attachments
           if t["addon"]["name"] == first and t["name"] != "DATABASE"]
    assert old and old[0].startswith("HEROKU_POSTGRESQL_"), attachments

    cli.ok("pg:promote", old[0], "-a", app, timeout=300)
    wait_for(lambda: (which_db(server, app) or {}).get("database") == first_db, timeout=90,
             what="the app back on its first database")
    assert which_db(server, app)["writes"] == 1

    cli.ok("addons:attach", first, "--as", "REPORTING", "-a", app)
    urls = config(cli, app)
    assert urls["REPORTING_URL"] == urls["DATABASE_URL"]


def test_a_table_without_a_primary_key_is_copied_inside_the_window(platform):
    server, cli = platform
    app = "pgnokey"
    name, url = database_with(cli, app, "create table items (id int primary key);"
                              "insert into items select generate_series(1, 500);"
                              "create table events (item int references items, what text);"
                              "insert into events select g, 'e' || g"
                              " from generate_series(1, 300) g")
    new_url = change_plan(server, cli, app, name, "standard-0", url, app_deployed=False)
    assert psql(new_url, "select count(*) from items").stdout.strip() == "500"
    assert psql(new_url, "select count(*) from events").stdout.strip() == "300"
    # items was streamed; events, which streaming would have made the app's updates of fail,
    # was copied in the window.
    assert streamed_moves(server) == 1
    assert "1 copied in the cut-over" in server_log(server)


def test_a_control_plane_killed_mid_change_finishes_or_rolls_back(own_server, tmp_path):
    server = own_server(env=FAST).start()
    cli = HerokuCli(server, tmp_path / "home")
    app = "pgkill"
    name, url = database_with(cli, app, "create table items (id bigint primary key, note text);"
                              "insert into items select g, md5(g::text)"
                              " from generate_series(1, 400000) g")
    cli.ok("addons:upgrade", "DATABASE", "heroku-postgresql:standard-0", "-a", app)
    wait_for(lambda: streamed_moves(server) == 1, timeout=60, interval=0.05,
             what="the copy under way")
    server.kill()  # PostgreSQL outlives it, as after a crash of the control plane
    server.start()

    def settled():
        addon = addon_json(server, app, name)
        if addon["plan"]["name"] == "heroku-postgresql:standard-0":
            return "moved"
        return "failed" if "failed" in (addon.get("provision_message") or "") else None

    outcome = wait_for(settled, timeout=240, interval=0.5, what="the change settled")
    if outcome == "failed":  # caught in the cut-over: rolled back, and the next attempt works
        assert config(cli, app)["DATABASE_URL"] == url
        change_plan(server, cli, app, name, "standard-0", url, app_deployed=False)
    new_url = config(cli, app)["DATABASE_URL"]
    assert new_url != url
    assert psql(new_url, "select count(*) from items").stdout.strip() == "400000"
    assert server.request("GET", f"/apps/{app}").json["maintenance"] is False
    assert "Standard 0" in cli.ok("pg:info", "-a", app).stdout
    # No replication slot outlived the change on either server (one would hold WAL forever); a
    # second database on the shared cluster looks at the source's server.
    cli.ok("apps:create", "pgwitness")
    create_db(cli, "pgwitness")
    assert replication_slots(config(cli, "pgwitness")["DATABASE_URL"]) == 0
    assert replication_slots(new_url) == 0


def test_a_control_plane_killed_in_the_cut_over_rolls_back_and_the_next_attempt_works(
        own_server, tmp_path):
    server = own_server(env=FAST).start()
    cli = HerokuCli(server, tmp_path / "home")
    app = "pgcutkill"
    # A table without a primary key is copied inside the window: it keeps the window open long
    # enough to be caught in it.
    name, url = database_with(cli, app, "create table items (id int primary key);"
                              "insert into items values (1);"
                              "create table events (n int, what text); insert into events"
                              " select g, md5(g::text) from generate_series(1, 600000) g")
    cli.ok("addons:upgrade", "DATABASE", "heroku-postgresql:standard-0", "-a", app)
    wait_for(lambda: server.request("GET", f"/apps/{app}").json["maintenance"], timeout=120,
             interval=0.02, what="the cut-over under way")
    server.kill()
    server.start()

    def rolled_back():
        message = addon_json(server, app, name).get("provision_message") or ""
        return message if "interrupted" in message else None

    message = wait_for(rolled_back, timeout=120, interval=0.5, what="the change rolled back")
    assert "essential-0" in message, message
    assert addon_json(server, app, name)["plan"]["name"] == "heroku-postgresql:essential-0"
    assert config(cli, app)["DATABASE_URL"] == url
    assert server.request("GET", f"/apps/{app}").json["maintenance"] is False
    # The old database takes the app's logins again, whole, and holds no replication slot.
    assert psql(url, "select count(*) from events").stdout.strip() == "600000"
    assert replication_slots(url) == 0

    new_url = change_plan(server, cli, app, name, "standard-0", url, app_deployed=False)
    assert psql(new_url, "select count(*) from events").stdout.strip() == "600000"
    assert psql(new_url, "select count(*) from items").stdout.strip() == "1"
