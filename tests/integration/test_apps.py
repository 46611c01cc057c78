"""Apps through the real heroku CLI: create, list, info, rename, destroy, and their errors."""
import json
import re

from harness import unique_name


def test_create_with_name_then_info(cli, server):
    name = unique_name()
    proc = cli.ok("apps:create", name)
    assert f"http://{name}.localhost:{server.router_port}/" in proc.stdout
    assert f"https://localhost:{server.port}/{name}.git" in proc.stdout
    info = cli.ok("apps:info", "-a", name).stdout
    assert f"=== {name}" in info
    assert "Owner:" in info and "admin@localhost" in info
    assert re.search(r"Region:\s+us", info)
    assert re.search(r"Stack:\s+heroku-24", info)
    assert f"https://localhost:{server.port}/{name}.git" in info


def test_create_with_generated_name(cli, server):
    proc = cli.ok("apps:create", "--json")
    app = json.loads(proc.stdout)
    assert re.fullmatch(r"[a-z]+-[a-z]+-\d{5}", app["name"])
    assert server.request("GET", f"/apps/{app['name']}").status == 200


def test_apps_lists_created_apps(cli):
    names = [unique_name() for _ in range(2)]
    for n in names:
        cli.ok("apps:create", n)
    out = cli.ok("apps").stdout
    assert "=== admin@localhost Apps" in out
    for n in names:
        assert n in out


def test_apps_info_json_and_extended(cli):
    name = unique_name()
    cli.ok("apps:create", name)
    data = json.loads(cli.ok("apps:info", "-a", name, "--json").stdout)
    assert data["app"]["name"] == name
    assert data["app"]["owner"]["email"] == "admin@localhost"
    assert data["collaborators"][0]["user"]["email"] == "admin@localhost"
    assert data["addons"] == [] and data["dynos"] == []
    assert data["pipeline_coupling"] is None
    cli.ok("apps:info", "-a", name, "-x")


def test_rename(cli, server):
    old, new = unique_name(), unique_name()
    cli.ok("apps:create", old)
    cli.ok("config:set", "KEEP=me", "-a", old)
    proc = cli.ok("apps:rename", new, "-a", old)
    assert f"http://{new}.localhost" in proc.stdout
    assert server.request("GET", f"/apps/{old}").status == 404
    assert cli.ok("config:get", "KEEP", "-a", new).stdout.strip() == "me"


def test_destroy_with_confirm(cli, server):
    name = unique_name()
    cli.ok("apps:create", name)
    cli.ok("apps:destroy", "-a", name, "--confirm", name)
    proc = cli.fails("apps:info", "-a", name)
    assert "Couldn't find that app." in proc.stderr


def test_destroy_with_wrong_confirm_keeps_the_app(cli, server):
    name = unique_name()
    cli.ok("apps:create", name)
    cli.fails("apps:destroy", "-a", name, "--confirm", "something-else")
    assert server.request("GET", f"/apps/{name}").status == 200


def test_unknown_app_is_not_found(cli):
    proc = cli.fails("apps:info", "-a", "no-such-app-here")
    assert "Couldn't find that app." in proc.stderr
    assert "not_found" in proc.stderr


def test_invalid_names_are_refused_and_create_nothing(cli, server):
    before = server.request("GET", "/apps").json
    for bad, message in [
        ("ab", "Name is too short (minimum is 3 characters)"),
        ("a" * 31, "Name is too long (maximum is 30 characters)"),
        ("Bad_Name", "Name must start with a letter"),
        ("1abc", "Name must start with a letter"),
    ]:
        proc = cli.fails("apps:create", bad)
        assert message in proc.stderr.replace("\n ›   ", " "), proc.stderr
        assert "invalid_params" in proc.stderr
    assert server.request("GET", "/apps").json == before


def test_taken_name_is_refused(cli):
    name = unique_name()
    cli.ok("apps:create", name)
    proc = cli.fails("apps:create", name)
    assert f"Name {name} is already taken" in proc.stderr


def test_rename_to_taken_or_invalid_name_changes_nothing(cli, server):
    a, b = unique_name(), unique_name()
    cli.ok("apps:create", a)
    cli.ok("apps:create", b)
    proc = cli.fails("apps:rename", b, "-a", a)
    assert f"Name {b} is already taken" in proc.stderr
    cli.fails("apps:rename", "Not_Valid", "-a", a)
    assert server.request("GET", f"/apps/{a}").json["name"] == a
