"""Backup schedules through the real heroku CLI: pg:backups:schedule, schedules, unschedule;
replacing, bad zones and hours (nothing changed), surviving a restart, going with the add-on.
The capture a schedule starts is not checked here (the scheduler's unit tests check when it
runs); these check what the CLI sees and what the store keeps."""
import json
import re
import sqlite3
import time

from harness import HerokuCli, unique_name
from test_addons import create_db


def schedules(cli, app):
    proc = cli.ok("pg:backups:schedules", "-a", app)
    return proc.stdout + proc.stderr


def database_id(cli, app):
    proc = cli.ok("addons", "-a", app, "--json")
    return next(a["id"] for a in json.loads(proc.stdout)
                if a["addon_service"]["name"] == "heroku-postgresql")


def test_schedule_list_replace_unschedule(cli, server):
    app = unique_name()
    cli.ok("apps:create", app)
    create_db(cli, app)
    assert "No backup schedules found" in schedules(cli, app)

    proc = cli.ok("pg:backups:schedule", "DATABASE", "--at", "02:00 America/New_York", "-a", app)
    assert "Scheduling automatic daily backups of" in proc.stderr
    assert "at 02:00 America/New_York" in proc.stderr
    assert "DATABASE_URL: daily at 2:00 America/New_York" in schedules(cli, app)

    # The raw schedule: what the CLI reads, and when it runs next (02:00 New York is 06:00 or
    # 07:00 UTC).
    listed = server.request("GET", f"/client/v11/databases/{database_id(cli, app)}"
                                   "/transfer-schedules").json
    assert len(listed) == 1
    assert listed[0]["hour"] == 2 and listed[0]["name"] == "DATABASE_URL"
    assert re.match(r"\d{4}-\d\d-\d\dT0[67]:00:00Z$", listed[0]["next_run_at"])

    # Again: replaces (one schedule), abbreviations mapped by the CLI, hour without a zero.
    cli.ok("pg:backups:schedule", "DATABASE", "--at", "5:00 PST", "-a", app)
    out = schedules(cli, app)
    assert "DATABASE_URL: daily at 5:00 America/Los_Angeles" in out
    assert "America/New_York" not in out

    cli.ok("pg:backups:unschedule", "DATABASE", "-a", app)
    assert "No backup schedules found" in schedules(cli, app)

    # Unschedule without naming the database: the CLI finds the only schedule.
    cli.ok("pg:backups:schedule", "--at", "23:00", "-a", app)
    assert "DATABASE_URL: daily at 23:00 UTC" in schedules(cli, app)
    cli.ok("pg:backups:unschedule", "-a", app)
    assert "No backup schedules found" in schedules(cli, app)
    cli.fails("pg:backups:unschedule", "-a", app)


def test_bad_zone_and_bad_hour_change_nothing(cli, server):
    app = unique_name()
    cli.ok("apps:create", app)
    create_db(cli, app)
    cli.ok("pg:backups:schedule", "DATABASE", "--at", "02:00 Europe/London", "-a", app)

    proc = cli.fails("pg:backups:schedule", "DATABASE", "--at", "03:00 Mars/Olympus", "-a", app)
    assert "Unknown time zone `Mars/Olympus`" in proc.stderr
    proc = cli.fails("pg:backups:schedule", "DATABASE", "--at", "03:00 ../../etc/passwd",
                     "-a", app)
    assert "Unknown time zone" in proc.stderr
    # The CLI refuses a bad --at itself; the server refuses a bad hour from any other client.
    proc = cli.fails("pg:backups:schedule", "DATABASE", "--at", "24:00 UTC", "-a", app)
    assert "Invalid schedule format" in proc.stderr
    db = database_id(cli, app)
    path = f"/client/v11/databases/{db}/transfer-schedules"
    for hour in ("24", "-1", "002", "2:00", 25):
        r = server.request("POST", path, {"hour": hour, "timezone": "UTC",
                                          "schedule_name": "DATABASE_URL"})
        assert r.status == 422, (hour, r.status, r.raw)
        assert r.json["id"] == "invalid_params" and "Invalid hour" in r.json["message"]
    r = server.request("DELETE", path + "/00000000-0000-0000-0000-000000000000")
    assert r.status == 404 and r.json["id"] == "not_found"

    assert "DATABASE_URL: daily at 2:00 Europe/London" in schedules(cli, app)


def test_schedule_survives_a_restart_and_goes_with_its_addon(own_server, tmp_path):
    s = own_server().start()
    cli = HerokuCli(s, tmp_path / "home")
    app = unique_name()
    cli.ok("apps:create", app)
    name = create_db(cli, app)
    cli.ok("pg:backups:schedule", "DATABASE", "--at", "04:00 Asia/Kathmandu", "-a", app)

    s.stop()
    s.start()
    cli = HerokuCli(s, tmp_path / "home")
    assert "DATABASE_URL: daily at 4:00 Asia/Kathmandu" in schedules(cli, app)

    # A schedule whose run was missed while the server was down runs once when it is back.
    s.stop()
    with sqlite3.connect(s.data_dir / "slipway.db") as db:
        db.execute("UPDATE transfer_schedules SET next_run_at = '2020-01-01T00:00:00Z'")
    s.start()
    # It is a real backup: aNNN, marked scheduled, verified like any other.
    deadline = time.time() + 120
    scheduled, transfers = [], []
    while time.time() < deadline:
        transfers = s.request("GET", f"/client/v11/apps/{app}/transfers").json
        scheduled = [t for t in transfers if t.get("schedule")]
        if scheduled and scheduled[0].get("finished_at"):
            break
        time.sleep(1)
    time.sleep(2)  # a second run would have started by now
    transfers = s.request("GET", f"/client/v11/apps/{app}/transfers").json
    scheduled = [t for t in transfers if t.get("schedule")]
    assert len(scheduled) == 1, transfers
    assert scheduled[0]["succeeded"] is True, s.request("GET", f"/client/v11/apps/{app}/transfers/{scheduled[0]['num']}?verbose=true").json["logs"]
    assert "a001" in cli.ok("pg:backups", "-a", app).stdout
    listed = s.request("GET", f"/client/v11/databases/{name}/transfer-schedules").json
    assert listed[0]["last_run_at"] and listed[0]["next_run_at"] > "2020-01-02"

    cli.ok("addons:destroy", name, "--confirm", app, "-a", app, "--wait", timeout=120)
    deadline = time.time() + 30
    while time.time() < deadline:
        with sqlite3.connect(s.data_dir / "slipway.db") as db:
            left = db.execute("SELECT COUNT(*) FROM transfer_schedules").fetchone()[0]
        if left == 0:
            break
        time.sleep(0.5)
    assert left == 0


def test_a_restore_keeps_the_schedule(cli):
    """Heroku's restore drops the database's backup schedule; Slipway's keeps it."""
    app = unique_name()
    cli.ok("apps:create", app)
    create_db(cli, app)
    cli.ok("pg:backups:schedule", "DATABASE", "--at", "03:00 Europe/Paris", "-a", app)
    cli.ok("pg:backups:capture", "-a", app, timeout=180)
    cli.ok("pg:backups:restore", "b001", "DATABASE", "--confirm", app, "-a", app, timeout=180)
    assert "DATABASE_URL: daily at 3:00 Europe/Paris" in schedules(cli, app)
