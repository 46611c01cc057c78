"""Maintenance mode through the real heroku CLI."""
from harness import unique_name


def test_maintenance_on_off(cli, server):
    app = unique_name()
    cli.ok("apps:create", app)
    assert cli.ok("maintenance", "-a", app).stdout.strip() == "off"
    cli.ok("maintenance:on", "-a", app)
    assert cli.ok("maintenance", "-a", app).stdout.strip() == "on"
    assert server.request("GET", f"/apps/{app}").json["maintenance"] is True
    cli.ok("maintenance:off", "-a", app)
    assert cli.ok("maintenance", "-a", app).stdout.strip() == "off"


def test_maintenance_with_wrong_type_is_refused(server):
    app = "m-" + __import__("os").urandom(3).hex()
    assert server.request("POST", "/apps", {"name": app}).status == 201
    r = server.request("PATCH", f"/apps/{app}", {"maintenance": "yes"})
    assert r.status == 422 and r.json["id"] == "invalid_params"
    assert server.request("GET", f"/apps/{app}").json["maintenance"] is False
