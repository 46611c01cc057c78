"""Auth: whoami, Bearer and Basic tokens, and 401s as the CLI shows them."""
import base64

from harness import unique_name


def test_whoami_prints_the_admin_email(cli):
    proc = cli.ok("auth:whoami")
    assert proc.stdout.strip() == "admin@localhost"


def test_invalid_token_whoami_shows_server_message(cli):
    proc = cli.fails("auth:whoami", env={"HEROKU_API_KEY": "HRKU-" + "0" * 64})
    assert "Invalid credentials provided." in proc.stderr
    assert "unauthorized" in proc.stderr


def test_invalid_token_other_commands_refuse(cli):
    proc = cli.fails("apps", env={"HEROKU_API_KEY": "not-a-token"})
    assert "The token provided to HEROKU_API_KEY is invalid" in proc.stderr


def test_bearer_undefined_and_missing_auth_are_401(server):
    for token in ("undefined", None, "", "HRKU-nope"):
        r = server.request("GET", "/account", token=token)
        assert r.status == 401, token
        assert r.json == {"id": "unauthorized", "message": "Invalid credentials provided."}


def test_basic_auth_with_token_as_password_and_any_user(server):
    for user in ("heroku", "someone@example.com", ""):
        basic = base64.b64encode(f"{user}:{server.token}".encode()).decode()
        r = server.request("GET", "/account", token=None, headers={"Authorization": f"Basic {basic}"})
        assert r.status == 200, user
        assert r.json["email"] == "admin@localhost"
    wrong = base64.b64encode(b"heroku:wrong").decode()
    r = server.request("GET", "/account", token=None, headers={"Authorization": f"Basic {wrong}"})
    assert r.status == 401


def test_unauthenticated_requests_change_nothing(server):
    name = unique_name()
    r = server.request("POST", "/apps", {"name": name}, token="bogus")
    assert r.status == 401
    assert server.request("GET", f"/apps/{name}").status == 404
