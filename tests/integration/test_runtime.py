"""Releases become running dynos, supervised as on Heroku, driven through the real heroku CLI."""
import os
import signal
import time

import pytest

from harness import HerokuCli
from runtime_helpers import (alive, app_log, dyno_pids, dynos, get_json, greeting_of,
                             wait_dynos_up, wait_for, web_ports)
from slugs import release_fixture, release_slug

FAST = {"SLIPWAY_STOP_GRACE": "3", "SLIPWAY_BOOT_TIMEOUT": "4"}


@pytest.fixture
def platform(own_server, tmp_path):
    server = own_server(env=FAST).start()
    return server, HerokuCli(server, tmp_path / "home")


def create(server, cli, name, fixture="python-web", config=None):
    cli.ok("apps:create", name)
    if config:
        cli.ok("config:set", *[f"{k}={v}" for k, v in config.items()], "-a", name)
    release_fixture(server, name, fixture)


@pytest.mark.parametrize("fixture", ["python-web", "node-web"])
def test_release_runs_a_web_dyno_with_its_config(platform, fixture):
    server, cli = platform
    create(server, cli, "runs", fixture, {"GREETING": "hello"})
    wait_dynos_up(server, "runs", ["web.1"])
    out = cli.ok("ps", "-a", "runs").stdout
    assert "=== web (Basic):" in out and "(1)" in out
    assert "web.1: up" in out
    port = web_ports(server, "runs")["web.1"]
    body = get_json(port)
    assert body["greeting"] == "hello" and body["dyno"] == "web.1"
    assert "listening on" in app_log(server, "runs")
    assert "heroku[web.1]: State changed from starting to up" in app_log(server, "runs")


def test_scale_restart_and_config_change_replace_dynos(platform):
    server, cli = platform
    create(server, cli, "scaler", config={"GREETING": "one"})
    cli.ok("ps:scale", "web=2", "worker=1", "-a", "scaler")
    wait_dynos_up(server, "scaler", ["web.1", "web.2", "worker.1"])
    assert {get_json(p)["dyno"] for p in web_ports(server, "scaler").values()} == {"web.1", "web.2"}
    wait_for(lambda: "app[worker.1]: working worker.1 greeting=one" in app_log(server, "scaler"),
             what="worker output")

    cli.ok("config:set", "GREETING=two", "-a", "scaler")
    wait_for(lambda: greeting_of(server, "scaler", "web.1") == "two" and
             greeting_of(server, "scaler", "web.2") == "two", what="dynos with the new config")

    before = dynos(server, "scaler")
    time.sleep(1.1)  # updated_at has second precision
    cli.ok("ps:restart", "-a", "scaler")
    wait_for(lambda: all(d["updated_at"] != before[n]["updated_at"] and d["state"] == "up"
                         for n, d in dynos(server, "scaler").items()), what="all restarted")

    before = dynos(server, "scaler")
    time.sleep(1.1)
    cli.ok("ps:restart", "-d", "web.2", "-a", "scaler")
    wait_for(lambda: dynos(server, "scaler")["web.2"]["updated_at"] != before["web.2"]["updated_at"]
             and dynos(server, "scaler")["web.2"]["state"] == "up", what="web.2 restarted")
    assert dynos(server, "scaler")["web.1"]["updated_at"] == before["web.1"]["updated_at"]

    cli.ok("ps:stop", "-p", "worker", "-a", "scaler")  # formation dynos come back, as on Heroku
    wait_for(lambda: app_log(server, "scaler").count("heroku[worker.1]: Starting process") >= 4,
             what="worker restarted after stop")
    cli.ok("ps:scale", "web=1", "worker=0", "-a", "scaler")
    wait_dynos_up(server, "scaler", ["web.1"])


def test_crashed_dynos_restart_and_are_logged(platform):
    server, cli = platform
    cli.ok("apps:create", "crashy")
    release_slug(server, "crashy", {"x": "y"}, {"worker": "echo booting; sleep 1; exit 3"})
    cli.ok("ps:scale", "worker=1", "-a", "crashy")
    log = wait_for(lambda: (l := app_log(server, "crashy")).count("Starting process") >= 2 and l,
                   timeout=20, what="a restart after the crash")
    assert "heroku[worker.1]: Process exited with status 3" in log
    assert "heroku[worker.1]: State changed from up to crashed" in log
    assert "app[worker.1]: booting" in log


def test_killed_web_dyno_comes_back(platform):
    server, cli = platform
    create(server, cli, "killme", config={"GREETING": "hi"})
    wait_dynos_up(server, "killme", ["web.1"])
    app_id = server.request("GET", "/apps/killme").json["id"]
    pids = wait_for(lambda: dyno_pids(app_id, "web.1"), what="web.1's pid")
    os.kill(pids[0], signal.SIGKILL)
    # The first crash restarts at once, so "crashed" may last less than a poll: read the log.
    wait_for(lambda: app_log(server, "killme").count("heroku[web.1]: Starting process") == 2,
             what="a restart")
    log = app_log(server, "killme")
    assert "heroku[web.1]: Process exited with status 137" in log
    assert "heroku[web.1]: State changed from up to crashed" in log
    wait_dynos_up(server, "killme", ["web.1"])
    assert get_json(web_ports(server, "killme")["web.1"])["greeting"] == "hi"


def test_web_dyno_that_never_binds_gets_r10(platform):
    server, cli = platform
    cli.ok("apps:create", "nobind")
    release_slug(server, "nobind", {"x": "y"}, {"web": "sleep 1000"})
    wait_for(lambda: "Error R10 (Boot timeout) -> Web process failed to bind to $PORT within 4 "
             "seconds of launch" in app_log(server, "nobind"), timeout=20, what="R10")
    assert dynos(server, "nobind")["web.1"]["state"] in ("crashed", "starting")


def test_rollback_runs_the_old_release(platform):
    server, cli = platform
    create(server, cli, "rolly", config={"GREETING": "old"})
    cli.ok("config:set", "GREETING=new", "-a", "rolly")
    wait_for(lambda: greeting_of(server, "rolly") == "new", what="new config served")
    cli.ok("releases:rollback", "-a", "rolly")
    wait_for(lambda: greeting_of(server, "rolly") == "old", what="old config served after rollback")


def test_stopping_the_platform_stops_every_dyno(platform):
    server, cli = platform
    create(server, cli, "stopall")
    cli.ok("ps:scale", "web=1", "worker=1", "-a", "stopall")
    wait_dynos_up(server, "stopall", ["web.1", "worker.1"])
    app_id = server.request("GET", "/apps/stopall").json["id"]
    pids = dyno_pids(app_id, "web.1") + dyno_pids(app_id, "worker.1")
    assert pids
    agent_pid = int((server.data_dir / "run" / "agent.pid").read_text())
    started = time.time()
    assert server.stop() == 0
    assert time.time() - started < 15
    assert not any(alive(p) for p in pids + [agent_pid])


def test_control_plane_sigkill_leaves_dynos_running_and_is_readopted(platform):
    server, cli = platform
    create(server, cli, "survivor", config={"GREETING": "still here"})
    wait_dynos_up(server, "survivor", ["web.1"])
    port = web_ports(server, "survivor")["web.1"]
    agent_pid = int((server.data_dir / "run" / "agent.pid").read_text())
    server.kill()
    for _ in range(10):  # the dyno keeps serving while the control plane is gone
        assert get_json(port)["greeting"] == "still here"
        time.sleep(0.1)
    server.start()
    assert int((server.data_dir / "run" / "agent.pid").read_text()) == agent_pid
    assert "runtime agent adopted" in server.stderr_path.read_text()
    assert web_ports(server, "survivor")["web.1"] == port  # the same dyno, not a new one
    assert "web.1: up" in cli.ok("ps", "-a", "survivor").stdout
