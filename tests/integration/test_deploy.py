"""`git push heroku main`, end to end: the push streams the build back, the buildpacks build the
app, the release phase gates the release, and the router serves the new version."""
import json
import shutil
import subprocess

import pytest

from builds_helpers import FIXTURES
from harness import HerokuCli
from runtime_helpers import through_router, wait_dynos_up, wait_for

FAST = {"SLIPWAY_STOP_GRACE": "3", "SLIPWAY_BOOT_TIMEOUT": "30"}


@pytest.fixture
def platform(own_server, tmp_path):
    server = own_server(env=FAST).start()
    return server, HerokuCli(server, tmp_path / "home")


def git(cli, cwd, *args, check=True):
    proc = subprocess.run(["git", *args], cwd=cwd, env=cli.env(), capture_output=True,
                          text=True, timeout=600)
    if check:
        assert proc.returncode == 0, f"git {' '.join(args)}: {proc.stdout}\n{proc.stderr}"
    return proc


def checkout(cli, tmp_path, fixture, name="src"):
    src = tmp_path / name
    shutil.copytree(FIXTURES / "apps" / fixture, src)
    git(cli, src, "init", "-q", "-b", "main")
    git(cli, src, "-c", "user.name=Dev", "-c", "user.email=dev@example.com", "add", "-A")
    git(cli, src, "-c", "user.name=Dev", "-c", "user.email=dev@example.com", "commit", "-qm",
        "first")
    return src


def commit_all(cli, src, message):
    git(cli, src, "add", "-A")
    git(cli, src, "-c", "user.name=Dev", "-c", "user.email=dev@example.com", "commit", "-qm",
        message)


def served_json(server, app):
    status, body = through_router(server, app)
    return json.loads(body) if status == 200 else None


def test_push_node_app_builds_releases_and_serves_then_next_push_replaces_it(platform, tmp_path):
    server, cli = platform
    src = checkout(cli, tmp_path, "node-app")
    cli.ok("apps:create", "nodeapp", cwd=src)
    cli.ok("config:set", "GREETING=hello-node", "BUILD_LABEL=one", "-a", "nodeapp")
    push = git(cli, src, "push", "heroku", "main")
    out = push.stderr
    assert "remote: -----> Node.js app detected" in out, out
    assert "remote: -----> Launching..." in out and "remote:        Released v3" in out
    wait_dynos_up(server, "nodeapp", ["web.1"], timeout=60)
    first = wait_for(lambda: served_json(server, "nodeapp"), timeout=30, what="nodeapp served")
    assert first["greeting"] == "hello-node" and first["dyno"] == "web.1"
    assert first["build"]["build_label"] == "one"  # config vars reach the build

    cli.ok("config:set", "BUILD_LABEL=two", "-a", "nodeapp")  # v4; the build runs on push
    (src / "VERSION").write_text("2\n")
    commit_all(cli, src, "second")
    push = git(cli, src, "push", "heroku", "main")
    assert "Released v5" in push.stderr
    wait_for(lambda: (served_json(server, "nodeapp") or {}).get("build", {}).get("build_label")
             == "two", timeout=60, what="v5 serving")
    releases = cli.ok("releases", "-a", "nodeapp").stdout
    assert "v5" in releases and "Deploy" in releases
    info = cli.ok("apps:info", "-a", "nodeapp").stdout
    assert "Slug Size" in info
    cli.ok("releases:rollback", "v3", "-a", "nodeapp")  # v3's slug and config again
    wait_for(lambda: (served_json(server, "nodeapp") or {}).get("build", {}).get("build_label")
             == "one", timeout=60, what="rolled back to the first build")


def test_push_django_app_runs_its_release_phase_migration(platform, tmp_path):
    server, cli = platform
    src = checkout(cli, tmp_path, "django-app")
    cli.ok("apps:create", "djangoapp", cwd=src)
    push = git(cli, src, "push", "heroku", "main")
    out = push.stderr
    assert "remote: -----> Python app detected" in out, out
    assert "Running release command" in out
    assert "Apply" in out or "migrat" in out.lower()
    release = server.request("GET", "/apps/djangoapp/releases").json[-1]
    assert release["status"] == "succeeded" and release["output_stream_url"]
    assert "migrat" in cli.ok("releases:output", "-a", "djangoapp").stdout.lower()
    wait_dynos_up(server, "djangoapp", ["web.1"], timeout=90)
    body = wait_for(lambda: served_json(server, "djangoapp"), timeout=60, what="django served")
    assert body["dyno"] == "web.1"


def test_failing_release_phase_fails_the_push_and_keeps_the_old_release(platform, tmp_path):
    server, cli = platform
    src = checkout(cli, tmp_path, "procfile-app")
    cli.ok("apps:create", "gated", cwd=src)
    git(cli, src, "push", "heroku", "main")
    wait_dynos_up(server, "gated", ["web.1"], timeout=60)
    wait_for(lambda: served_json(server, "gated"), what="gated served")

    (src / "Procfile").write_text("web: bin/serve\nrelease: echo checking; exit 2\n")
    commit_all(cli, src, "break the release phase")
    push = git(cli, src, "push", "heroku", "main", check=False)
    assert push.returncode != 0
    assert "Release command failed" in push.stderr
    assert "pre-receive hook declined" in push.stderr
    releases = server.request("GET", "/apps/gated/releases").json
    assert releases[-1]["status"] == "failed"
    assert "checking" in cli.ok("releases:output", "-a", "gated").stdout
    assert served_json(server, "gated") is not None  # the old release keeps serving


def test_push_without_anything_to_build_is_refused_clearly(platform, tmp_path):
    server, cli = platform
    src = tmp_path / "nothing"
    src.mkdir()
    (src / "README.md").write_text("no Procfile, no package.json\n")
    git(cli, src, "init", "-q", "-b", "main")
    commit_all(cli, src, "readme only")
    cli.ok("apps:create", "nothing", cwd=src)
    push = git(cli, src, "push", "heroku", "main", check=False)
    assert push.returncode != 0
    assert "Push rejected" in push.stderr
    assert server.request("GET", "/apps/nothing/releases").json[-1]["version"] == 1


def test_bin_release_config_vars_fill_in_the_config_and_addons_are_named(platform, tmp_path):
    server, cli = platform
    src = checkout(cli, tmp_path, "procfile-app")
    cli.ok("apps:create", "defaults", cwd=src)
    pack = (FIXTURES / "buildpacks" / "defaults").resolve()
    cli.ok("buildpacks:set", f"file://{pack}", "-a", "defaults")
    cli.ok("config:set", "PRESET=mine", "-a", "defaults")
    push = git(cli, src, "push", "heroku", "main")
    assert "Slipway does not provision the add-ons bin/release asks for" in push.stderr, push.stderr
    assert "heroku addons:create heroku-postgresql:essential-0 -a defaults" in push.stderr
    config = json.loads(cli.ok("config", "--json", "-a", "defaults").stdout)
    assert config["DEFAULTED"] == "from bin/release"
    assert config["PRESET"] == "mine"  # never overwritten
    releases = server.request("GET", "/apps/defaults/releases").json
    assert [r["version"] for r in releases] == [1, 2, 3]  # the deploy's own release carries them
    deployed = server.request("GET", "/apps/defaults/releases/3/config-vars").json
    assert deployed == {"DEFAULTED": "from bin/release", "PRESET": "mine"}
