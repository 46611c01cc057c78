"""The Postgres add-on through the real heroku CLI: the catalog, creating (provisioned in the
background), attaching under other names and to other apps, detaching, renaming, destroying,
and the errors that must change nothing. Every database is a real PostgreSQL one."""
import json
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from harness import HEROKU_BIN, HerokuCli, make_temp_dir, unique_name

PG_BIN = Path("/usr/lib/postgresql/15/bin")
PSQL = str(PG_BIN / "psql")


def addon_name_in(out):
    match = re.search(r"(postgresql-[a-z]+-\d+)", out)
    assert match, out
    return match.group(1)


def create_db(cli, app, *extra):
    proc = cli.ok("addons:create", "heroku-postgresql:essential-0", "--wait", "-a", app, *extra,
                  timeout=180)
    return addon_name_in(proc.stdout + proc.stderr)


def create_in_background(cli, app, plan):
    proc = cli.ok("addons:create", f"heroku-postgresql:{plan}", "-a", app, timeout=60)
    out = proc.stdout + proc.stderr
    assert "is being created in the background" in out, out
    return addon_name_in(out)


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
    bare = cli.ok("pg", "-a", app).stdout  # `heroku pg` is pg:info
    assert "DATABASE_URL" in bare and re.search(r"Tables:\s+1/4000", bare), bare
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


@pytest.fixture
def gated_postgres_bin():
    """PostgreSQL's programs, with an initdb that waits while `<dir>/gate` exists: provisioning
    (a dedicated plan's own initdb, or the shared cluster's first) is held there for as long as
    a test needs. In a directory the postgres user can get through (it runs initdb)."""
    bin_dir = make_temp_dir("slipway-pg-bin-")
    for program in PG_BIN.iterdir():
        if program.name != "initdb":
            (bin_dir / program.name).symlink_to(program)
    initdb = bin_dir / "initdb"
    initdb.write_text("#!/bin/sh\n"
                      'while [ -e "$(dirname "$0")/gate" ]; do sleep 0.1; done\n'
                      f'exec {PG_BIN / "initdb"} "$@"\n')
    initdb.chmod(0o755)
    yield bin_dir
    shutil.rmtree(bin_dir, ignore_errors=True)


def test_addons_wait_by_name_by_app_and_account_wide(own_server, gated_postgres_bin, tmp_path):
    """The three forms of addons:wait (resolve, the app's list, the account's list) while add-ons
    are provisioning: the dedicated one is held in its initdb, and the shared one queued behind
    it (one worker provisions in order). They are let go once every wait is polling."""
    bin_dir = gated_postgres_bin
    s = own_server(["--postgres-bin-dir", str(bin_dir)]).start()
    cli = HerokuCli(s, tmp_path / "home")
    dedicated_app, shared_app = unique_name(), unique_name()
    cli.ok("apps:create", dedicated_app)
    cli.ok("apps:create", shared_app)
    (bin_dir / "gate").touch()
    dedicated = create_in_background(cli, dedicated_app, "standard-0")
    shared = create_in_background(cli, shared_app, "essential-0")
    states = {a["name"]: a["state"] for a in s.request("GET", "/addons").json}
    assert states == {dedicated: "provisioning", shared: "provisioning"}, states

    forms = {shared: ("addons:wait", shared, "-a", shared_app),
             dedicated: ("addons:wait", "-a", dedicated_app),
             "both": ("addons:wait",)}
    # The three lookups, as the daemon logs them once answered.
    lookups = ('method=POST path="/actions/addons/resolve"',
               f'method=GET path="/apps/{dedicated_app}/addons"', 'method=GET path="/addons"')
    logged_before = len(s.stderr_path.read_text())
    waits = {key: subprocess.Popen([HEROKU_BIN, *args, "--wait-interval", "1"], env=cli.env(),
                                   cwd=cli.home, text=True, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT)
             for key, args in forms.items()}
    try:
        # Every wait found its add-ons provisioning before provisioning may go on.
        while not all(line in s.stderr_path.read_text()[logged_before:] for line in lookups):
            assert all(p.poll() is None for p in waits.values()), "a wait ended early"
            time.sleep(0.1)
        (bin_dir / "gate").unlink()
        outs = {key: proc.communicate(timeout=180)[0] for key, proc in waits.items()}
    finally:
        for proc in waits.values():
            proc.kill()
    for key, proc in waits.items():
        assert proc.returncode == 0, outs[key]
    assert f"Created {shared} as DATABASE_URL" in outs[shared], outs[shared]
    assert dedicated not in outs[shared], outs[shared]
    assert f"Created {dedicated} as DATABASE_URL" in outs[dedicated], outs[dedicated]
    assert shared not in outs[dedicated], outs[dedicated]
    assert f"Created {dedicated} as DATABASE_URL" in outs["both"], outs["both"]
    assert f"Created {shared} as DATABASE_URL" in outs["both"], outs["both"]

    # A dedicated plan is a server of its own: another port than the shared cluster's.
    dedicated_url = config(cli, dedicated_app)["DATABASE_URL"]
    shared_url = config(cli, shared_app)["DATABASE_URL"]
    assert dedicated_url.split("@")[1].split("/")[0] != shared_url.split("@")[1].split("/")[0]
    assert psql(dedicated_url, "select 1").stdout.strip() == "1"
    # Nothing left to wait for: it returns at once, printing nothing.
    assert cli.ok("addons:wait", "-a", dedicated_app).stdout == ""

    # Destroyed in the background (not held: usually gone before the CLI starts), then waited
    # for; either way it is gone when the wait returns.
    cli.ok("addons:destroy", dedicated, "--confirm", dedicated_app, "-a", dedicated_app)
    cli.ok("addons:wait", "-a", dedicated_app, "--wait-interval", "1", timeout=120)
    assert s.request("GET", f"/apps/{dedicated_app}/addons/{dedicated}").status == 404
    assert psql(dedicated_url, "select 1").returncode != 0


def test_ambiguous_identifiers_change_nothing(cli, server):
    """A service name matches every add-on of that service on the app: with two databases
    it is ambiguous, and every command refuses it (multiple_matches) without changing
    anything; with one left, it names that one."""
    app = unique_name()
    cli.ok("apps:create", app)
    first, second = create_db(cli, app), create_db(cli, app)
    url = config(cli, app)["DATABASE_URL"]
    assert psql(url, "create table kept(x int); insert into kept values (7)").returncode == 0
    resolved = server.request("POST", "/actions/addons/resolve",
                              {"addon": "heroku-postgresql", "app": app})
    assert resolved.status == 200 and {a["name"] for a in resolved.json} == {first, second}
    before = descriptions(server, app)

    ambiguous = "Ambiguous identifier; multiple matching add-ons found: "
    for args in (("addons:info", "heroku-postgresql"),
                 ("addons:destroy", "heroku-postgresql", "--confirm", app),
                 ("pg:info", "heroku-postgresql"),
                 ("pg:reset", "heroku-postgresql", "--confirm", app)):
        proc = cli.fails(*args, "-a", app)
        assert ambiguous in proc.stderr, proc.stderr
        assert first in proc.stderr or "DATABASE" in proc.stderr, proc.stderr
    assert {a["name"] for a in server.request("GET", f"/apps/{app}/addons").json} == \
        {first, second}
    assert descriptions(server, app) == before
    assert psql(url, "select x from kept").stdout.strip() == "7"

    cli.ok("addons:destroy", second, "--confirm", app, "-a", app, "--wait", timeout=120)
    info = cli.ok("addons:info", "heroku-postgresql", "-a", app).stdout
    assert first in info and second not in info
    assert "kept" in cli.ok("pg:psql", "heroku-postgresql", "-c", r"\dt", "-a", app).stdout


def test_expansion_and_inclusion_are_always_given(cli, server):
    """The CLI asks for add-ons with Accept-Expansion (addon_service, plan) and attachments with
    Accept-Inclusion (addon:plan, config_vars), except where it doesn't (addons:wait -a); every
    answer carries them either way, so no command sees a bare reference."""
    app = unique_name()
    cli.ok("apps:create", app)
    name = create_db(cli, app)
    sdk = {"Accept": "application/vnd.heroku+json; version=3.sdk"}
    for headers in ({}, {**sdk, "Accept-Expansion": "addon_service,plan"}):
        for path in (f"/apps/{app}/addons", "/addons"):
            listed = [a for a in server.request("GET", path, headers=headers).json
                      if a["name"] == name]
            assert len(listed) == 1, (path, headers)
            addon = listed[0]
            assert addon["addon_service"]["name"] == "heroku-postgresql"
            assert addon["plan"]["name"] == "heroku-postgresql:essential-0"
            assert addon["plan"]["price"]["cents"] == addon["billed_price"]["cents"] > 0
            assert addon["state"] == "provisioned" and addon["config_vars"] == ["DATABASE_URL"]
    for headers in ({}, {**sdk, "Accept-Inclusion": "addon:plan,config_vars"}):
        attachments = server.request("GET", f"/apps/{app}/addon-attachments", headers=headers).json
        assert [(t["name"], t["addon"]["name"], t["addon"]["plan"]["name"], t["config_vars"])
                for t in attachments] == \
            [("DATABASE", name, "heroku-postgresql:essential-0", ["DATABASE_URL"])], headers
        resolved = server.request("POST", "/actions/addon-attachments/resolve",
                                  {"addon_attachment": "DATABASE_URL", "app": app},
                                  headers=headers).json
        assert resolved == attachments, headers
