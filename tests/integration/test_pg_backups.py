"""PGBackups through the real heroku CLI against real PostgreSQL: capture (verified by a
restore into a scratch database), list, info, restore from a backup and from a URL, download,
delete, cancel, pg:copy, and the faults that must never end in a backup called completed."""
import json
import os
import re
import shutil
import signal
import subprocess
import threading
import time
from http.server import HTTPServer, SimpleHTTPRequestHandler
from pathlib import Path

from harness import HerokuCli, unique_name
from test_addons import PSQL, config, create_db, psql

PG_RESTORE = "/usr/lib/postgresql/15/bin/pg_restore"
PG_DUMP = "/usr/lib/postgresql/15/bin/pg_dump"
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def app_with_db(cli, rows=3):
    app = unique_name()
    cli.ok("apps:create", app)
    create_db(cli, app)
    url = config(cli, app)["DATABASE_URL"]
    fill(url, rows)
    return app, url


def fill(url, rows):
    r = psql(url, "create table items (id int primary key, note text);"
                  f"insert into items select g, md5(g::text) from generate_series(1, {rows}) g")
    assert r.returncode == 0, r.stderr


def add_big_table(url, rows):
    """Table `big`, 640 bytes of text a row: enough for a dump and restore to take a while."""
    r = psql(url, "create table big as select g, repeat(md5(g::text), 20) t "
                  f"from generate_series(1, {rows}) g")
    assert r.returncode == 0, r.stderr


def count(url, table="items"):
    r = psql(url, f"select count(*) from {table}")
    assert r.returncode == 0, r.stderr
    return int(r.stdout.strip())


def scratch_databases_left(url):
    """Work databases still on the server: verification's scratch databases, restores' staged
    and replaced ones (dropped just after the transfer finishes, off its clock)."""
    deadline = time.time() + 30  # a restarted control plane sweeps them at its start
    while True:
        r = psql(url, "select count(*) from pg_database where datname like 'slipway\\_%'")
        assert r.returncode == 0, r.stderr
        if int(r.stdout.strip()) == 0 or time.time() > deadline:
            return int(r.stdout.strip())
        time.sleep(0.2)


def transfers(server, app):
    return server.request("GET", f"/client/v11/apps/{app}/transfers").json


def test_capture_list_info_restore(cli, server):
    app, url = app_with_db(cli, rows=5)
    proc = cli.ok("pg:backups:capture", "-a", app, timeout=180)
    assert "b001" in proc.stdout + proc.stderr
    listing = cli.ok("pg:backups", "-a", app).stdout
    assert re.search(r"b001.*Completed", listing), listing
    info = cli.ok("pg:backups:info", "b001", "-a", app).stdout
    assert "Verified: 1 tables, 5 rows match" in info, info
    # Dumped in parallel, then stored as one custom-format archive.
    assert "rewrapped as one custom-format archive" in info, info
    # The rows verified against were counted in the dump's own data, not read again.
    assert "rows counted: 1 tables in the archive's data, 0 with count(*)" in info, info
    # The shared server loads every table over several connections (conftest.py).
    assert "Loading public.items (0 kB archived) over" in info, info
    assert "Manual" in info
    assert scratch_databases_left(url) == 0
    [t] = transfers(server, app)
    assert t["from_type"] == "pg_dump" and t["to_type"] == "gof3r" and t["succeeded"] is True
    assert "@" not in t["from_url"] or ":" not in t["from_url"].split("@")[0][11:]
    # The app's id works as well as its name (the CLI polls restores by id).
    app_id = server.request("GET", f"/apps/{app}").json["id"]
    assert server.request("GET", f"/client/v11/apps/{app_id}/transfers/1").json["num"] == 1
    assert server.request("GET", f"/client/v11/apps/{app}/transfers/{t['uuid']}").json["num"] == 1

    assert psql(url, "delete from items where id > 2; create table junk (x int)").returncode == 0
    cli.ok("pg:backups:restore", "b001", "DATABASE", "--confirm", app, "-a", app, timeout=180)
    assert count(url) == 5
    # Restored objects still belong to the add-on's own role.
    owner = psql(url, "select tableowner = current_user from pg_tables where tablename='items'")
    assert owner.stdout.strip() == "t"
    listing = cli.ok("pg:backups", "-a", app).stdout
    assert re.search(r"r002.*Completed", listing), listing
    assert "Loading public.items" in cli.ok("pg:backups:info", "r002", "-a", app).stdout


def test_restore_replaces_the_database_under_an_idle_transaction_and_a_full_role(cli, server):
    app, url = app_with_db(cli, rows=4)
    cli.ok("pg:backups:capture", "-a", app, timeout=180)
    assert psql(url, "delete from items").returncode == 0
    # An app's connection left inside a transaction, holding a lock on items: restoring in
    # place would wait on it for ever. The restore fills a new database and ends the session
    # when it puts that database in place.
    holder = subprocess.Popen([PSQL, url, "-At"], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sleepers = []
    try:
        holder.stdin.write("begin; select count(*) from items;\n")
        holder.stdin.flush()
        # And the rest of the role's 20 connections (essential-0) taken: the restore's own
        # connections are the server admin's, not the role's.
        sleepers = [subprocess.Popen([PSQL, url, "-c", "select pg_sleep(600)"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
                    for _ in range(18)]
        busy = lambda: psql(url, "select count(*) filter (where state = 'idle in transaction'),"
                                 " count(*) from pg_stat_activity"
                                 " where usename = current_user and pid <> pg_backend_pid()"
                            ).stdout.strip()
        deadline = time.time() + 30
        while busy() != "1|19" and time.time() < deadline:
            time.sleep(0.2)
        assert busy() == "1|19"
        # The 20th: refused (and gone) if it came while a probe held the 20th slot; then again.
        last = None
        deadline = time.time() + 30
        while "too many connections" not in psql(url, "select 1").stderr:
            assert time.time() < deadline, "the role never reached its connection limit"
            if last is None or last.poll() is not None:
                last = subprocess.Popen([PSQL, url, "-c", "select pg_sleep(600)"],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                        text=True)
                sleepers.append(last)
            time.sleep(0.2)
        cli.ok("pg:backups:restore", "b001", "DATABASE", "--confirm", app, "-a", app,
               timeout=180)
        assert count(url) == 4
        restore = transfers(server, app)[-1]
        assert restore["succeeded"] is True
        assert any("Ended 20 session(s)" in line["message"] for line in restore["logs"]), \
            restore["logs"]
        _, err = holder.communicate("select 1;\n", timeout=10)
        assert "terminating connection" in err, err  # its session was ended
        for sleeper in sleepers:
            assert sleeper.wait(timeout=10) != 0
    finally:
        for p in [holder] + sleepers:
            p.kill()
            p.wait()
    assert scratch_databases_left(url) == 0


def trap_archive(url, path):
    """A pg_dump archive that fails to restore after its first tables are in: `trap`'s check
    constraint calls a function that now says no, which its rows never met (a constraint is
    not checked again when a function changes), so restoring its rows fails."""
    r = psql(url, "create table items (id int primary key, note text);"
                  "insert into items select g, 'from the trap' from generate_series(1, 9) g;"
                  "create function ok(int) returns bool language sql immutable as 'select true';"
                  "create table trap (id int check (ok(id)));"
                  "insert into trap values (1);"
                  "create or replace function ok(int) returns bool language sql immutable"
                  " as 'select false'")
    assert r.returncode == 0, r.stderr
    dumped = subprocess.run([PG_DUMP, "-Fc", "-f", str(path), url], capture_output=True,
                            text=True, timeout=60)
    assert dumped.returncode == 0, dumped.stderr


def test_a_restore_or_copy_failing_midway_leaves_the_database_as_it_was(cli, server, tmp_path):
    app, url = app_with_db(cli, rows=4)
    other, other_url = app_with_db(cli, rows=0)
    assert psql(other_url, "drop table items").returncode == 0
    trap_archive(other_url, tmp_path / "trap.dump")
    httpd = HTTPServer(("127.0.0.1", 0), lambda *a: SimpleHTTPRequestHandler(
        *a, directory=str(tmp_path)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        proc = cli.fails("pg:backups:restore", f"http://127.0.0.1:{httpd.server_port}/trap.dump",
                         "DATABASE", "--confirm", app, "-a", app, timeout=120)
    finally:
        httpd.shutdown()
    restore = transfers(server, app)[-1]
    assert restore["succeeded"] is False, restore
    logs = " ".join(line["message"] for line in restore["logs"])
    assert "pg_restore failed" in logs and "was not changed" in logs, logs
    # pg_restore had created and filled items (9 rows) before trap failed: none of it shows.
    assert count(url) == 4
    assert psql(url, "select note from items where note = 'from the trap'").stdout.strip() == ""
    assert psql(url, "select 1 from trap").returncode != 0

    # pg:copy from the same database: the same.
    cli.fails("pg:copy", other_url, "DATABASE", "--confirm", "DATABASE", "-a", app, timeout=120)
    copy = transfers(server, app)[-1]
    assert copy["from_type"] == "pg_dump" and copy["to_type"] == "pg_restore", copy
    assert copy["succeeded"] is False and copy["finished_at"], copy
    assert count(url) == 4
    assert psql(url, "select 1 from trap").returncode != 0
    assert scratch_databases_left(url) == 0


def test_a_plan_change_is_refused_while_a_restore_into_the_database_runs(cli, server, tmp_path):
    app, url = app_with_db(cli, rows=5)
    dumped = subprocess.run([PG_DUMP, "-Fc", "-f", str(tmp_path / "five.dump"), url],
                            capture_output=True, text=True, timeout=60)
    assert dumped.returncode == 0, dumped.stderr
    assert psql(url, "delete from items where id > 2").returncode == 0
    release = threading.Event()

    class HeldUntilReleased(SimpleHTTPRequestHandler):
        def do_GET(self):  # the restore's download hangs here: its transfer stays running
            release.wait(120)
            super().do_GET()

    httpd = HTTPServer(("127.0.0.1", 0), lambda *a: HeldUntilReleased(*a, directory=str(tmp_path)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    restored = {}
    restore = threading.Thread(target=lambda: restored.update(proc=cli.run(
        "pg:backups:restore", f"http://127.0.0.1:{httpd.server_port}/five.dump", "DATABASE",
        "--confirm", app, "-a", app, timeout=180)))
    restore.start()
    try:
        deadline = time.time() + 60
        while not [t for t in transfers(server, app) if t["to_type"] == "pg_restore"]:
            assert time.time() < deadline, "the restore's transfer never appeared"
            time.sleep(0.2)
        proc = cli.fails("addons:upgrade", "DATABASE", "heroku-postgresql:standard-0", "-a", app)
        assert "is being restored into" in proc.stdout + proc.stderr, proc.stderr
    finally:
        release.set()
        restore.join(200)
        httpd.shutdown()
    assert restored["proc"].returncode == 0, restored["proc"].stderr
    assert count(url) == 5
    # Nothing of the refused change happened: same plan, no change pending or recorded.
    addon = server.request("GET", f"/apps/{app}/addons").json[0]
    assert addon["plan"]["name"] == "heroku-postgresql:essential-0", addon
    assert "Changing" not in (addon.get("provision_message") or ""), addon
    # Once the restore has finished, the plan can change, with the restored data.
    cli.ok("addons:upgrade", "DATABASE", "heroku-postgresql:essential-1", "-a", app)
    deadline = time.time() + 180
    while server.request("GET", f"/apps/{app}/addons").json[0]["plan"]["name"] != \
            "heroku-postgresql:essential-1":
        assert time.time() < deadline, "the plan change after the restore did not finish"
        time.sleep(0.5)
    assert count(config(cli, app)["DATABASE_URL"]) == 5


def test_url_download_restore_from_url_and_delete(cli, server, tmp_path):
    app, url = app_with_db(cli, rows=7)
    cli.ok("pg:backups:capture", "-a", app, timeout=180)
    public = cli.ok("pg:backups:url", "b001", "-a", app).stdout.strip()
    assert public.startswith("https://") and "/backup-downloads/" in public
    # Served without credentials, with a Content-Length.
    head = subprocess.run(["curl", "-sS", "-D", "-", "-o", str(tmp_path / "x.dump"), "--cacert",
                           server.ca, public], capture_output=True, text=True, timeout=30)
    assert "content-length:" in head.stdout.lower(), head.stdout
    assert (tmp_path / "x.dump").read_bytes()[:5] == b"PGDMP"

    home = tmp_path / "dl"
    home.mkdir()
    cli.ok("pg:backups:download", "b001", "-a", app, cwd=home, timeout=60)
    listed = subprocess.run([PG_RESTORE, "-l", str(home / "latest.dump")], capture_output=True,
                            text=True)
    assert listed.returncode == 0 and "TABLE DATA public items" in listed.stdout

    assert psql(url, "truncate items").returncode == 0
    cli.ok("pg:backups:restore", public, "DATABASE", "--confirm", app, "-a", app, timeout=180)
    assert count(url) == 7

    cli.ok("pg:backups:delete", "b001", "--confirm", app, "-a", app)
    assert "b001" not in cli.ok("pg:backups", "-a", app).stdout
    assert subprocess.run(["curl", "-sSf", "--cacert", server.ca, public],
                          capture_output=True).returncode != 0


def test_restore_of_bad_urls_fails_and_changes_nothing(cli, server, tmp_path):
    app, url = app_with_db(cli, rows=4)
    (tmp_path / "page.dump").write_text("<html>not a dump</html>")
    httpd = HTTPServer(("127.0.0.1", 0), lambda *a: SimpleHTTPRequestHandler(
        *a, directory=str(tmp_path)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        not_dump = f"http://127.0.0.1:{httpd.server_port}/page.dump"
        proc = cli.fails("pg:backups:restore", not_dump, "DATABASE", "--confirm", app, "-a", app,
                         timeout=120)
        assert "PGDMP" in proc.stdout + proc.stderr
        proc = cli.fails("pg:backups:restore", "http://127.0.0.1:9/none.dump", "DATABASE",
                         "--confirm", app, "-a", app, timeout=120)
        assert "cannot download" in proc.stdout + proc.stderr
    finally:
        httpd.shutdown()
    assert count(url) == 4
    failed = [t for t in transfers(server, app) if t["to_type"] == "pg_restore"]
    assert len(failed) == 2 and all(t["succeeded"] is False for t in failed)


def test_pg_copy_between_databases_and_from_external_url(cli, server):
    app, url = app_with_db(cli, rows=6)
    proc = cli.ok("addons:create", "heroku-postgresql:essential-0", "--wait", "-a", app,
                  timeout=180)
    second = re.search(r"(HEROKU_POSTGRESQL_[A-Z]+)_URL", proc.stdout + proc.stderr).group(1)
    target = config(cli, app)[second + "_URL"]
    assert psql(target, "create table old (x int)").returncode == 0
    confirm = second.replace("HEROKU_POSTGRESQL_", "")
    cli.ok("pg:copy", "DATABASE", second, "--confirm", confirm, "-a", app, timeout=180)
    assert count(target) == 6
    assert psql(target, "select 1 from old").returncode != 0  # the target was emptied first
    assert any(t["from_type"] == "pg_dump" and t["to_type"] == "pg_restore"
               for t in transfers(server, app))

    # From an external postgres:// URL (here: another app's database, by its URL).
    other, other_url = app_with_db(cli, rows=9)
    cli.ok("pg:copy", other_url, second, "--confirm", confirm, "-a", app, timeout=180)
    assert count(target) == 9
    assert re.search(r"c00\d.*Completed", cli.ok("pg:backups", "-a", app).stdout)


def test_cancel_running_capture(cli, server):
    app, url = app_with_db(cli, rows=1)
    # Big enough that the dump and its verification take a few seconds.
    add_big_table(url, 1500000)
    db = server.request("POST", "/actions/addon-attachments/resolve",
                        {"addon_attachment": "DATABASE", "app": app}).json[0]["addon"]["id"]
    t = server.request("POST", f"/client/v11/databases/{db}/backups").json
    assert t["num"] == 1 and t["created_at"]
    time.sleep(1.5)
    proc = cli.ok("pg:backups:cancel", "-a", app)
    assert "b001" in proc.stdout + proc.stderr
    deadline = time.time() + 30
    while time.time() < deadline:
        t = server.request("GET", f"/client/v11/apps/{app}/transfers/1").json
        if t["finished_at"]:
            break
        time.sleep(0.5)
    assert t["canceled_at"] and t["succeeded"] is False
    info = cli.ok("pg:backups:info", "b001", "-a", app).stdout
    assert "Cancel" in info


def test_corrupt_archive_fails_verification(own_server, tmp_path):
    s = own_server(["--postgres-bin-dir", str(FIXTURES / "pg-bin-corrupt")]).start()
    cli = HerokuCli(s, tmp_path / "home")
    app, url = app_with_db(cli, rows=50)
    proc = cli.run("pg:backups:capture", "-a", app, timeout=180)
    assert proc.returncode != 0
    [t] = transfers(s, app)
    assert t["succeeded"] is False
    assert not re.search(r"b001.*Completed", cli.ok("pg:backups", "-a", app).stdout)
    info = cli.ok("pg:backups:info", "b001", "-a", app).stdout
    # The damaged parallel dump is caught when its files are rewrapped; the single-process dump
    # tried next is damaged too, and its verification fails.
    assert "is corrupt" in info, info
    assert "Verification failed" in info, info
    assert scratch_databases_left(url) == 0


def test_a_capture_falls_back_to_one_pg_dump_when_the_parallel_dump_fails(own_server, tmp_path):
    s = own_server(["--postgres-bin-dir", str(FIXTURES / "pg-bin-serial")]).start()
    cli = HerokuCli(s, tmp_path / "home")
    app, url = app_with_db(cli, rows=12)
    cli.ok("pg:backups:capture", "-a", app, timeout=180)
    info = cli.ok("pg:backups:info", "b001", "-a", app).stdout
    assert "the parallel dump did not work" in info and "could not obtain lock" in info, info
    assert "Verified: 1 tables, 12 rows match" in info, info
    assert "rows counted: 0 tables in the archive's data, 1 with count(*)" in info, info
    assert psql(url, "delete from items").returncode == 0
    cli.ok("pg:backups:restore", "b001", "DATABASE", "--confirm", app, "-a", app, timeout=180)
    assert count(url) == 12


def test_transfers_that_would_fill_the_disk_are_stopped_and_change_nothing(own_server, tmp_path):
    # A reserve larger than any disk: every transfer finds the disk below it.
    s = own_server(["--transfer-disk-reserve", "1000TB"]).start()
    cli = HerokuCli(s, tmp_path / "home")
    app, url = app_with_db(cli, rows=7)
    assert cli.run("pg:backups:capture", "-a", app, timeout=180).returncode != 0
    info = cli.ok("pg:backups:info", "b001", "-a", app).stdout
    assert "Stopped to keep the disk from filling" in info, info
    assert "(--transfer-disk-reserve); free some space and try again. No backup was kept." in info
    assert not re.search(r"b001.*Completed", cli.ok("pg:backups", "-a", app).stdout)

    proc = cli.ok("addons:create", "heroku-postgresql:essential-0", "--wait", "-a", app,
                  timeout=180)
    second = re.search(r"(HEROKU_POSTGRESQL_[A-Z]+)_URL", proc.stdout + proc.stderr).group(1)
    target = config(cli, app)[second + "_URL"]
    fill(target, 3)
    confirm = second.replace("HEROKU_POSTGRESQL_", "")
    assert cli.run("pg:copy", "DATABASE", second, "--confirm", confirm, "-a", app,
                   timeout=180).returncode != 0
    copy = [t for t in transfers(s, app) if t["to_type"] == "pg_restore"][0]
    assert copy["succeeded"] is False
    info = cli.ok("pg:backups:info", f"c{copy['num']:03d}", "-a", app).stdout
    assert "Stopped to keep the disk from filling" in info and "was not changed" in info, info
    assert count(target) == 3
    assert scratch_databases_left(url) == 0
    assert not any((s.data_dir / "transfers").iterdir())


def test_a_capture_filling_the_disk_is_stopped_while_it_runs(own_server, tmp_path):
    first = own_server().start()
    cli = HerokuCli(first, tmp_path / "home")
    app, url = app_with_db(cli, rows=1)
    # ~400 MB of rows: the verification's restore writes them again (its WAL reuses old
    # segments, taking no more space).
    add_big_table(url, 600000)
    first.stop()
    # Keep free all but 150 MB of what is free now: the capture itself crosses the line, not
    # the server's start.
    reserve = shutil.disk_usage(first.data_dir).free - (150 << 20)
    s = own_server(["--transfer-disk-reserve", str(reserve)], data_dir=first.data_dir).start()
    cli = HerokuCli(s, tmp_path / "home")
    assert cli.run("pg:backups:capture", "-a", app, timeout=180).returncode != 0
    info = cli.ok("pg:backups:info", "b001", "-a", app).stdout
    assert "Verifying: restoring the archive" in info, info  # it had begun
    assert "Stopped to keep the disk from filling" in info and "No backup was kept" in info, info
    assert scratch_databases_left(url) == 0
    assert not any((s.data_dir / "transfers").iterdir())
    assert count(url, "big") == 600000


def test_postgres_killed_mid_capture_then_next_capture_works(own_server, tmp_path):
    s = own_server().start()
    cli = HerokuCli(s, tmp_path / "home")
    app, url = app_with_db(cli, rows=1)
    add_big_table(url, 1500000)
    db = s.request("POST", "/actions/addon-attachments/resolve",
                   {"addon_attachment": "DATABASE", "app": app}).json[0]["addon"]["id"]
    s.request("POST", f"/client/v11/databases/{db}/backups")
    time.sleep(1.0)
    pid_file = next((s.data_dir / "postgres").rglob("postmaster.pid"))
    os.kill(int(pid_file.read_text().split()[0]), signal.SIGKILL)
    deadline = time.time() + 60
    while time.time() < deadline:
        t = s.request("GET", f"/client/v11/apps/{app}/transfers/1").json
        if t["finished_at"]:
            break
        time.sleep(0.5)
    assert t["succeeded"] is False and t["logs"], t
    # The add-on worker brings PostgreSQL back; the next capture works.
    deadline = time.time() + 60
    while time.time() < deadline and psql(url, "select 1").returncode != 0:
        time.sleep(1)
    cli.ok("pg:backups:capture", "-a", app, timeout=300)
    assert re.search(r"b002.*Completed", cli.ok("pg:backups", "-a", app).stdout)


def test_a_control_plane_killed_mid_restore_leaves_the_database_as_it_was(own_server, tmp_path):
    s = own_server().start()
    cli = HerokuCli(s, tmp_path / "home")
    app, url = app_with_db(cli, rows=4)
    # Big enough that pg_restore takes a few seconds.
    add_big_table(url, 1500000)
    cli.ok("pg:backups:capture", "-a", app, timeout=300)
    assert psql(url, "delete from items").returncode == 0
    db = s.request("POST", "/actions/addon-attachments/resolve",
                   {"addon_attachment": "DATABASE", "app": app}).json[0]["addon"]["id"]
    s.request("POST", f"/client/v11/databases/{db}/restores",
              {"backup_url": s.request("GET", f"/client/v11/apps/{app}/transfers/1").json
               ["to_url"]})
    deadline = time.time() + 60
    staged = "0"
    while staged == "0" and time.time() < deadline:
        staged = psql(url, "select count(*) from pg_database"
                           " where datname like 'slipway\\_stage\\_%'").stdout.strip()
        time.sleep(0.05)
    assert staged == "1"
    s.kill()  # mid pg_restore; PostgreSQL outlives the control plane
    assert count(url) == 0
    s.start()
    restore = transfers(s, app)[-1]
    assert restore["to_type"] == "pg_restore" and restore["succeeded"] is False, restore
    assert scratch_databases_left(url) == 0  # the staged database dropped at the start
    assert count(url) == 0 and count(url, "big") == 1500000
    cli.ok("pg:backups:restore", "b001", "DATABASE", "--confirm", app, "-a", app, timeout=300)
    assert count(url) == 4
