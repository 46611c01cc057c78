"""A backup round trip through a running app, with the real heroku CLI, real PostgreSQL 15 and
the Django sample app (deployed with git push, migrated by its release phase): rows written
through the router, `pg:backups:capture`, the rows deleted, `pg:backups:restore`, and the app
reads back exactly what it wrote before the capture and keeps serving."""
import json
import re
import urllib.parse

from runtime_helpers import dynos
from test_pg_backups import transfers
from test_pg_upgrade import platform  # noqa: F401 (the fixture)
from test_pg_upgrade import deploy_with_database, routed, which_db


def numbers_served(server, app):
    """The numbers the app reads back from its database (GET /writes/), sorted."""
    status, body = routed(server, app, "GET", "/writes/")
    assert status == 200, (status, body[:500])
    return sorted(json.loads(body)["numbers"])


def write(server, app, number):
    return routed(server, app, "POST", "/writes/", urllib.parse.urlencode({"n": number}))[0]


def test_backup_and_restore_through_the_app(platform, tmp_path):
    server, cli = platform
    app = "pgroundtrip"
    deploy_with_database(server, cli, tmp_path, app)
    written = [3, 14, 15, 92, 65, 35]
    for n in written:
        assert write(server, app, n) == 201
    assert numbers_served(server, app) == sorted(written)

    proc = cli.ok("pg:backups:capture", "-a", app, timeout=180)
    backup = re.search(r"\b(b\d{3})\b", proc.stdout + proc.stderr).group(1)
    info = cli.ok("pg:backups:info", backup, "-a", app).stdout
    verified = re.search(r"Verified: (\d+) tables, (\d+) rows match", info)
    assert verified, info
    # greetings_visit, greetings_write, django_migrations: the writes and the two migrations.
    assert verified.groups() == ("3", str(len(written) + 2)), info
    assert "rows counted: 3 tables in the archive's data, 0 with count(*)" in info, info

    # After the capture: one more write, then every row deleted (the app has no delete).
    assert write(server, app, 1000) == 201
    assert numbers_served(server, app) == sorted(written + [1000])
    deleted = cli.ok("pg:psql", "-c", "delete from greetings_write", "-a", app).stdout
    assert f"DELETE {len(written) + 1}" in deleted, deleted
    assert numbers_served(server, app) == []

    web_before = dynos(server, app)["web.1"]
    cli.ok("pg:backups:restore", backup, "DATABASE_URL", "--confirm", app, "-a", app,
           timeout=180)
    restore = [t for t in transfers(server, app) if t["to_type"] == "pg_restore"]
    assert [t["succeeded"] for t in restore] == [True], restore
    assert re.search(r"r\d{3}.*Completed", cli.ok("pg:backups", "-a", app).stdout)

    # The restored database took the old one's place, ending its sessions: the app's pooled
    # connection (CONN_MAX_AGE, one gunicorn worker) fails the request that finds it dead, and
    # Django (3.2: no CONN_HEALTH_CHECKS) connects again for the next one. At most that one.
    failures = 0
    while routed(server, app, "GET", "/writes/")[0] == 500 and failures < 3:
        failures += 1
    assert failures <= 1, failures
    # The app reads back exactly what was written before the capture: nothing lost, and not the
    # write made after it.
    assert numbers_served(server, app) == sorted(written)
    assert which_db(server, app)["writes"] == len(written)
    # And it keeps working on the restored tables: a new write lands, and the restored unique
    # constraint refuses a number already stored.
    assert write(server, app, 1001) == 201
    assert write(server, app, written[0]) == 500
    assert numbers_served(server, app) == sorted(written + [1001])
    status, body = routed(server, app, "GET", "/")
    assert status == 200 and json.loads(body)["dyno"] == "web.1", body
    # The dyno that served all along: a restore restarts nothing (nor does Heroku's), the app
    # simply goes on with the restored tables.
    assert dynos(server, app)["web.1"] == web_before
