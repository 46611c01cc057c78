"""Releases through the real heroku CLI: list, info, per-release config."""
import json
import re

from harness import unique_name


def test_releases_list_and_info(cli):
    app = unique_name()
    cli.ok("apps:create", app)
    cli.ok("config:set", "A=1", "-a", app)
    cli.ok("config:set", "B=2", "C=3", "-a", app)
    cli.ok("config:unset", "A", "-a", app)
    out = cli.ok("releases", "-a", app).stdout
    assert f"=== {app} Releases - Current: v4" in out
    lines = [l for l in out.splitlines() if re.match(r"\s*v\d+\s", l)]
    assert [l.split()[0] for l in lines] == ["v4", "v3", "v2", "v1"]
    assert "Remove A config vars" in lines[0]
    assert "Set B, C config vars" in lines[1]
    assert "Set A config vars" in lines[2]
    assert "Initial release" in lines[3]
    limited = cli.ok("releases", "-n", "2", "-a", app).stdout
    assert "v4" in limited and "v3" in limited and "v2" not in limited

    latest = cli.ok("releases:info", "-a", app).stdout
    assert "=== Release v4" in latest
    assert "Remove A config vars" in latest
    assert "B: 2" in latest and "C: 3" in latest and "A: 1" not in latest
    v2 = cli.ok("releases:info", "v2", "-a", app).stdout
    assert "=== Release v2" in v2
    assert "A: 1" in v2 and "B: 2" not in v2
    data = json.loads(cli.ok("releases:info", "v3", "-a", app, "--json").stdout)
    assert data["version"] == 3 and data["eligible_for_rollback"] is True
    assert data["current"] is False


def test_unknown_release(cli):
    app = unique_name()
    cli.ok("apps:create", app)
    proc = cli.fails("releases:info", "v99", "-a", app)
    assert "Couldn't find that release." in proc.stderr
