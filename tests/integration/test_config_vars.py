"""Config vars through the real heroku CLI, including the errors that must change nothing."""
import json

from harness import unique_name


def releases_count(server, app):
    return len(server.request("GET", f"/apps/{app}/releases").json)


def test_set_get_unset_and_json(cli, server):
    app = unique_name()
    cli.ok("apps:create", app)
    proc = cli.ok("config:set", "A=1", "B=two words", "URL=postgres://u:p@h:5/d?x=1", "-a", app)
    assert "done, v2" in proc.stderr
    assert "A:" in proc.stdout and "two words" in proc.stdout
    out = cli.ok("config", "-a", app).stdout
    assert f"=== {app} Config Vars" in out
    assert "postgres://u:p@h:5/d?x=1" in out
    assert cli.ok("config:get", "B", "-a", app).stdout == "two words\n"
    assert cli.ok("config:get", "MISSING", "-a", app).stdout == "\n"
    proc = cli.ok("config:unset", "A", "-a", app)
    assert "done, v3" in proc.stderr
    data = json.loads(cli.ok("config", "--json", "-a", app).stdout)
    assert data == {"B": "two words", "URL": "postgres://u:p@h:5/d?x=1"}
    shell = cli.ok("config", "--shell", "-a", app).stdout
    assert "B='two words'" in shell


def test_invalid_name_changes_nothing(cli, server):
    app = unique_name()
    cli.ok("apps:create", app)
    cli.ok("config:set", "KEEP=1", "-a", app)
    before = releases_count(server, app)
    proc = cli.fails("config:set", "GOOD=1", "1BAD=2", "-a", app)
    assert "Invalid config var name" in proc.stderr
    assert "invalid_params" in proc.stderr
    assert json.loads(cli.ok("config", "--json", "-a", app).stdout) == {"KEEP": "1"}
    assert releases_count(server, app) == before


def test_oversized_config_is_refused_whole(cli, server):
    app = unique_name()
    cli.ok("apps:create", app)
    cli.ok("config:set", "KEEP=1", "-a", app)
    before = releases_count(server, app)
    proc = cli.fails("config:set", "BIG=" + "x" * 33000, "-a", app)
    assert "32 kB" in proc.stderr
    assert json.loads(cli.ok("config", "--json", "-a", app).stdout) == {"KEEP": "1"}
    assert releases_count(server, app) == before


def test_config_of_unknown_app(cli):
    proc = cli.fails("config", "-a", "no-such-app-at-all")
    assert "Couldn't find that app." in proc.stderr
