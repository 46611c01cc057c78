"""Formation through the real heroku CLI: ps:scale and ps:type, including remembered types."""
from harness import unique_name
from slugs import release_slug


def deployed_app(server, process_types):
    app = unique_name("f")
    assert server.request("POST", "/apps", {"name": app}).status == 201
    release_slug(server, app, {"index.html": "x"}, process_types)
    return app


def test_first_release_with_web_scales_web_to_one(cli, server):
    app = deployed_app(server, {"web": "python3 -m http.server $PORT", "worker": "sleep 1000"})
    assert cli.ok("ps:scale", "-a", app).stdout.strip() == "web=1:Basic worker=0:Basic"


def test_scale_absolute_relative_and_sizes(cli, server):
    app = deployed_app(server, {"web": "python3 -m http.server $PORT", "worker": "sleep 1000"})
    proc = cli.ok("ps:scale", "web=2", "worker=1", "-a", app)
    assert "web at 2:Basic" in proc.stderr and "worker at 1:Basic" in proc.stderr
    cli.ok("ps:scale", "web+1", "worker-1", "-a", app)
    cli.ok("ps:scale", "web=2:standard-2x", "-a", app)
    assert cli.ok("ps:scale", "-a", app).stdout.strip() == "web=2:Standard-2X worker=0:Basic"
    cli.ok("ps:type", "worker=PERFORMANCE-M", "-a", app)
    formation = {f["type"]: f for f in server.request("GET", f"/apps/{app}/formation").json}
    assert formation["worker"]["size"] == "Performance-M"
    assert formation["web"]["command"] == "python3 -m http.server $PORT"


def test_bad_formation_changes_nothing(cli, server):
    app = deployed_app(server, {"web": "python3 -m http.server $PORT"})
    before = server.request("GET", f"/apps/{app}/formation").json
    for args, message in [(["web=1000"], "use 0 to 100"), (["web=1:huge"], "Unknown dyno size")]:
        proc = cli.fails("ps:scale", *args, "-a", app)
        assert message in proc.stderr.replace("\n ›   ", " ")
    for body in ({"updates": [{"type": "web", "quantity": "-500"}]}, {"updates": []},
                 {"updates": [{"type": "web", "quantity": "lots"}]},
                 {"updates": [{"type": "bad type", "quantity": "1"}]},
                 {"updates": [{"type": "web", "quantity": "1"}, {"type": "web", "size": "x"}]}):
        r = server.request("PATCH", f"/apps/{app}/formation", body)
        assert r.status == 422, body
    assert server.request("GET", f"/apps/{app}/formation").json == before


def test_scaling_an_undeployed_type_is_remembered_with_a_warning(cli, server):
    app = unique_name("f")
    assert server.request("POST", "/apps", {"name": app}).status == 201
    proc = cli.ok("ps:scale", "worker=2", "-a", app)
    assert "remembered" in proc.stderr
    release_slug(server, app, {"x": "y"}, {"worker": "sleep 1000"})
    formation = {f["type"]: f for f in server.request("GET", f"/apps/{app}/formation").json}
    assert formation["worker"]["quantity"] == 2
    assert formation["worker"]["command"] == "sleep 1000"
