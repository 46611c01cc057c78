"""The Postgres add-on through the real heroku CLI: the catalog, creating (provisioned in the
background), attaching under other names and to other apps, detaching, renaming, destroying,
and the errors that must change nothing. Every database is a real PostgreSQL one."""
import json
import re
import subprocess

from harness import unique_name

PSQL = "/usr/lib/postgresql/15/bin/psql"


def create_db(cli, app, *extra):
    proc = cli.ok("addons:create", "heroku-postgresql:essential-0", "--wait", "-a", app, *extra,
                  timeout=180)
    match = re.search(r"(postgresql-[a-z]+-\d+)", proc.stdout + proc.stderr)
    assert match, proc.stdout + proc.stderr
    return match.group(1)


def config(cli, app):
    return json.loads(cli.ok("config", "--json", "-a", app).stdout)


def descriptions(server, app):
    return [r["description"] for r in server.request("GET", f"/apps/{app}/releases").json]


def psql(url, sql):
    return subprocess.run([PSQL, url, "-At", "-c", sql], capture_output=True, text=True,
                          timeout=30)


def test_catalog(cli):
    services = cli.ok("addons:services").stdout
    assert "heroku-postgresql" in services
    plans = cli.ok("addons:plans", "heroku-postgresql").stdout
    for plan in ("essential-0", "essential-1", "essential-2", "standard-0"):
        assert plan in plans
    assert "default" in plans or "Essential 0" in plans


def test_create_attach_detach_destroy(cli, server):
    app, other = unique_name(), unique_name()
    cli.ok("apps:create", app)
    cli.ok("apps:create", other)
    name = create_db(cli, app)
    url = config(cli, app)["DATABASE_URL"]
    assert url.startswith("postgres://") and "@localhost:" in url
    assert f"Attach DATABASE (@ref:{name})" in descriptions(server, app)
    assert psql(url, "select 40 + 2").stdout.strip() == "42"

    listing = cli.ok("addons", "-a", app).stdout
    assert name in listing and "as DATABASE" in listing
    info = cli.ok("addons:info", name, "-a", app).stdout
    assert "essential-0" in info and app in info

    proc = cli.ok("addons:attach", name, "--as", "REPORTING", "-a", other)
    assert re.search(r"done, v\d+", proc.stderr + proc.stdout)
    assert config(cli, other)["REPORTING_URL"] == url
    cli.ok("addons:detach", "REPORTING", "-a", other)
    assert "REPORTING_URL" not in config(cli, other)

    cli.ok("addons:rename", name, "reports-db")
    assert "reports-db" in cli.ok("addons", "-a", app).stdout

    cli.ok("addons:destroy", "reports-db", "--confirm", app, "-a", app, "--wait", timeout=120)
    assert "DATABASE_URL" not in config(cli, app)
    assert "reports-db" not in cli.ok("addons", "-a", app).stdout
    # Its database is gone with it.
    assert psql(url, "select 1").returncode != 0


def test_second_database_gets_a_colour_and_legacy_plan_names_map(cli):
    app = unique_name()
    cli.ok("apps:create", app)
    create_db(cli, app)
    proc = cli.ok("addons:create", "heroku-postgresql:mini", "--wait", "-a", app, timeout=180)
    assert re.search(r"as HEROKU_POSTGRESQL_[A-Z]+_URL", proc.stdout + proc.stderr)
    assert "essential-0" in cli.ok("addons", "-a", app).stdout
    keys = config(cli, app)
    assert "DATABASE_URL" in keys
    assert any(re.fullmatch(r"HEROKU_POSTGRESQL_[A-Z]+_URL", k) for k in keys)


def test_bad_input_changes_nothing(cli, server):
    app = unique_name()
    cli.ok("apps:create", app)
    before = descriptions(server, app)
    proc = cli.fails("addons:create", "heroku-postgresql:gigantic-9", "-a", app)
    assert "gigantic-9" in proc.stderr
    proc = cli.fails("addons:create", "no-such-service", "-a", app)
    assert "no-such-service" in proc.stderr
    proc = cli.fails("addons:create", "heroku-postgresql", "--as", "lower_case", "-a", app)
    assert "uppercase" in proc.stderr
    proc = cli.fails("addons:info", "postgresql-missing-00000", "-a", app)
    assert "Couldn't find" in proc.stderr
    assert server.request("GET", f"/apps/{app}/addons").json == []
    assert descriptions(server, app) == before


def test_attaching_over_a_name_needs_confirmation(cli, server):
    app = unique_name()
    cli.ok("apps:create", app)
    first = create_db(cli, app)
    second = create_db(cli, app)
    body = {"addon": {"name": second}, "app": {"name": app}, "name": "DATABASE"}
    refused = server.request("POST", "/addon-attachments", body)
    assert refused.status == 423 and refused.json["id"] == "confirmation_required"
    first_url = config(cli, app)["DATABASE_URL"]
    body["confirm"] = app
    assert server.request("POST", "/addon-attachments", body).status == 201
    urls = config(cli, app)
    assert urls["DATABASE_URL"] != first_url
    assert f"Detach DATABASE (@ref:{first})" in descriptions(server, app)[-1]


def test_roles_are_isolated_from_each_others_databases(cli):
    app = unique_name()
    cli.ok("apps:create", app)
    create_db(cli, app)
    create_db(cli, app)
    urls = [v for k, v in config(cli, app).items() if k.startswith("HEROKU_POSTGRESQL_")]
    urls.append(config(cli, app)["DATABASE_URL"])
    a, b = urls[0], urls[1]
    assert a != b
    # a's role and password, b's database.
    a_creds, b_db = a.rsplit("/", 1)[0], b.rsplit("/", 1)[1]
    proc = psql(f"{a_creds}/{b_db}", "select 1")
    assert proc.returncode != 0
    assert "permission denied" in proc.stderr or "not permitted" in proc.stderr
    for other in ("postgres", "template1"):
        assert psql(f"{a_creds}/{other}", "select 1").returncode != 0


def test_pg_info_wait_credentials_psql_and_reset(cli):
    app = unique_name()
    cli.ok("apps:create", app)
    create_db(cli, app)
    url = config(cli, app)["DATABASE_URL"]
    assert psql(url, "create table t(x int); insert into t values (1),(2)").returncode == 0
    info = cli.ok("pg:info", "-a", app).stdout
    assert "DATABASE_URL" in info and "Essential 0" in info
    assert re.search(r"Tables:\s+1/4000 \(In compliance\)", info), info
    assert re.search(r"Status:\s+Available", info), info
    assert "PG Version:" in info and "15." in info
    cli.ok("pg:wait", "-a", app)
    creds = cli.ok("pg:credentials:url", "-a", app).stdout
    assert url in creds
    out = cli.ok("pg:psql", "-c", "select count(*) from t", "-a", app).stdout
    assert "2" in out
    # Apps written for Heroku require TLS (sslmode=require, Django's ssl_require=True).
    tls = psql(url + "?sslmode=require",
               "select ssl from pg_stat_ssl where pid = pg_backend_pid()")
    assert tls.returncode == 0 and tls.stdout.strip() == "t", tls.stderr
    # Over the Essential plans' 4,000 tables: reported as Heroku reports it.
    assert psql(url, "do $$ begin for i in 1..4000 loop"
                     " execute format('create table extra_%s ()', i); end loop; end $$"
                ).returncode == 0
    info = cli.ok("pg:info", "-a", app).stdout
    assert re.search(r"Status:\s+Over Plan Capacity: Action Required", info), info
    assert re.search(r"Tables:\s+4001/4000 \(Over limit\)", info), info
    cli.ok("pg:reset", "--confirm", app, "-a", app)
    assert psql(url, "select count(*) from t").returncode != 0  # the table went with the reset
    assert psql(url, "select 1").returncode == 0  # same credentials still work
