"""The release phase of releases that builds do not make: config changes, rollbacks and Slug API
deploys, through the real heroku CLI. Each new release whose slug has `release:` starts pending;
only a zero exit makes it live, and until then (or after a failure) the last release that went
live keeps serving."""
import json
import re

import pytest

from harness import HerokuCli
from runtime_helpers import through_router, wait_for
from slugs import FIXTURES, release_slug

FAST = {"SLIPWAY_STOP_GRACE": "3", "SLIPWAY_BOOT_TIMEOUT": "30"}
SERVE = (FIXTURES / "procfile-app" / "bin" / "serve").read_text()
# Passes only while RELEASE_OK=yes; says which config it ran with.
GATED = 'sleep "${RELEASE_SLEEP:-0}"; echo "release phase with $GREETING"; test "$RELEASE_OK" = yes'


@pytest.fixture
def platform(own_server, tmp_path):
    server = own_server(env=FAST).start()
    return server, HerokuCli(server, tmp_path / "home")


def deploy(server, cli, app, greeting):
    """An app whose slug has a gated release phase, live and serving `greeting`."""
    cli.ok("apps:create", app)
    cli.ok("config:set", f"GREETING={greeting}", "RELEASE_OK=yes", "-a", app)
    release = release_slug(server, app, {"serve.py": SERVE},
                           {"web": "python3 serve.py", "release": GATED})
    assert release["status"] == "pending" and release["output_stream_url"], release
    assert wait_release(server, app, release["version"])["status"] == "succeeded"
    wait_serving(server, app, greeting)
    return release["version"]


def release(server, app, version):
    return server.request("GET", f"/apps/{app}/releases/{version}").json


def wait_release(server, app, version, timeout=60):
    """The release once its release phase has ended."""
    return wait_for(lambda: (lambda r: r if r["status"] != "pending" else None)(
        release(server, app, version)), timeout=timeout, what=f"v{version} to end")


def served_greeting(server, app):
    status, body = through_router(server, app)
    return json.loads(body)["greeting"] if status == 200 else None


def wait_serving(server, app, greeting):
    wait_for(lambda: served_greeting(server, app) == greeting, timeout=60,
             what=f"{app} serving {greeting}")


def latest_version(cli, app):
    out = cli.ok("releases", "-a", app).stdout
    return int(re.search(r"^\s*v(\d+)\s", out, re.M).group(1))


def release_line(cli, app, version):
    out = cli.ok("releases", "-a", app).stdout
    return next(line for line in out.splitlines() if re.match(rf"\s*v{version}\s", line))


def test_config_changes_run_the_release_phase_and_a_failure_keeps_the_old_release(platform):
    server, cli = platform
    good = deploy(server, cli, "cfgphase", "one")

    cli.ok("config:set", "GREETING=two", "RELEASE_OK=no", "-a", "cfgphase")
    failed = latest_version(cli, "cfgphase")
    assert failed == good + 1
    assert wait_release(server, "cfgphase", failed)["status"] == "failed"
    assert "release command failed" in release_line(cli, "cfgphase", failed)
    assert f"Current: v{good}" in cli.ok("releases", "-a", "cfgphase").stdout
    # Heroku keeps the new values as the app's config; the dynos keep the old release.
    config = json.loads(cli.ok("config", "--json", "-a", "cfgphase").stdout)
    assert config["GREETING"] == "two" and config["RELEASE_OK"] == "no"
    assert served_greeting(server, "cfgphase") == "one"
    output = cli.ok("releases:output", f"v{failed}", "-a", "cfgphase").stdout
    assert "release phase with two" in output and "Release command failed" in output

    cli.ok("config:set", "RELEASE_OK=yes", "-a", "cfgphase")
    fixed = latest_version(cli, "cfgphase")
    assert wait_release(server, "cfgphase", fixed)["status"] == "succeeded"
    wait_serving(server, "cfgphase", "two")
    assert "release phase with two" in cli.ok("releases:output", "-a", "cfgphase").stdout
    assert "release command" not in release_line(cli, "cfgphase", fixed)


def test_rollback_runs_the_release_phase_of_the_target(platform):
    server, cli = platform
    first = deploy(server, cli, "rollphase", "one")
    cli.ok("config:set", "GREETING=two", "-a", "rollphase")
    wait_serving(server, "rollphase", "two")
    cli.ok("config:set", "RELEASE_OK=no", "-a", "rollphase")
    refused = latest_version(cli, "rollphase")
    assert wait_release(server, "rollphase", refused)["status"] == "failed"

    # The CLI streams the new release's output_stream_url until its release phase ends.
    back = cli.ok("rollback", f"v{first}", "-a", "rollphase")
    assert "release phase with one" in back.stdout, back.stdout + back.stderr
    rolled = latest_version(cli, "rollphase")
    assert release(server, "rollphase", rolled)["status"] == "succeeded"
    assert f"Rollback to v{first}" in release_line(cli, "rollphase", rolled)
    wait_serving(server, "rollphase", "one")

    again = cli.run("rollback", f"v{refused}", "-a", "rollphase")  # its config fails the phase
    assert "Release command failed" in again.stdout, again.stdout + again.stderr
    bad = latest_version(cli, "rollphase")
    assert wait_release(server, "rollphase", bad)["status"] == "failed"
    assert "release command failed" in release_line(cli, "rollphase", bad)
    assert served_greeting(server, "rollphase") == "one"


def test_release_phases_of_one_app_run_one_at_a_time_while_the_live_release_serves(platform):
    server, cli = platform
    good = deploy(server, cli, "queued", "one")
    live_dyno = release(server, "queued", good)

    # Long enough for the CLI calls below (a few seconds each) to see it still running.
    set_slow = cli.ok("config:set", "GREETING=two", "RELEASE_SLEEP=15", "-a", "queued")
    assert "GREETING" in set_slow.stdout  # printed from the PATCH reply, the whole new config
    slow = good + 1
    assert "release command executing" in release_line(cli, "queued", slow)
    cli.ok("config:set", "GREETING=three", "RELEASE_SLEEP=0", "-a", "queued")
    after = slow + 1
    assert release(server, "queued", slow)["status"] == "pending"
    assert release(server, "queued", after)["status"] == "pending"  # waits for the slow one
    dynos = server.request("GET", "/apps/queued/dynos").json
    assert [d["release"]["version"] for d in dynos] == [live_dyno["version"]]
    assert served_greeting(server, "queued") == "one"

    assert wait_release(server, "queued", slow)["status"] == "succeeded"
    assert wait_release(server, "queued", after)["status"] == "succeeded"
    waited = cli.ok("releases:output", f"v{after}", "-a", "queued").stdout
    assert "Waiting for the release phase of an earlier release" in waited
    assert "release phase with three" in waited
    wait_serving(server, "queued", "three")


def test_slug_api_release_without_a_release_phase_is_live_at_once(platform):
    server, cli = platform
    cli.ok("apps:create", "nophase")
    cli.ok("config:set", "GREETING=plain", "-a", "nophase")
    made = release_slug(server, "nophase", {"serve.py": SERVE}, {"web": "python3 serve.py"})
    assert made["status"] == "succeeded" and made["current"] and made["output_stream_url"] is None
    wait_serving(server, "nophase", "plain")
    out = cli.ok("releases:output", "-a", "nophase")
    assert "has no release output available" in out.stdout + out.stderr
