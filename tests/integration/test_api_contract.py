"""The HTTP conventions of spec/heroku-cli-contract.md §1, checked on the wire."""
import http.client
import socket
import ssl

import pytest

from harness import unique_name


def new_app(server):
    name = unique_name("c")
    r = server.request("POST", "/apps", {"name": name})
    assert r.status == 201, r.raw
    return name


def test_every_response_has_request_id_and_json_type(server):
    for method, path in [("GET", "/account"), ("GET", "/apps/nope"), ("GET", "/no/such/path")]:
        r = server.request(method, path)
        assert r.header("Request-Id"), path
        assert r.header("Content-Type").startswith("application/json"), path
    sent = "8f9a3c2e-1111-4222-8333-444455556666"
    r = server.request("GET", "/account", headers={"Request-Id": f"{sent},aaaa-bbbb,cccc"})
    assert r.header("Request-Id") == sent


def test_long_request_id_list_is_accepted(server):
    ids = ",".join("8f9a3c2e-1111-4222-8333-%012d" % i for i in range(190))  # ~7 kB, as the CLI
    r = server.request("GET", "/account", headers={"Request-Id": ids})
    assert r.status == 200


def test_errors_are_heroku_shaped(server):
    r = server.request("GET", "/apps/does-not-exist")
    assert r.status == 404
    assert r.json == {"id": "not_found", "message": "Couldn't find that app."}
    r = server.request("GET", "/no/such/path")
    assert r.status == 404 and r.json["id"] == "not_found"


def test_accept_version_handling(server):
    r = server.request("GET", "/account", headers={"Accept": "application/vnd.heroku+json; version=3.sdk"})
    assert r.status == 200
    r = server.request("GET", "/account", headers={"Accept": "application/vnd.heroku+json; version=2"})
    assert r.status == 400 and r.json["id"] == "bad_request"
    r = server.request("GET", "/account", headers={"Accept": "application/vnd.heroku+json"})
    assert r.status == 400 and "version" in r.json["message"]
    r = server.request("GET", "/account", headers={"Accept": "application/json"})
    assert r.status == 200
    assert "version 3" in r.header("X-Heroku-Warning")


def test_malformed_json_wrong_types_and_oversized_bodies_change_nothing(server):
    name = unique_name("bad")
    r = server.request("POST", "/apps", raw_body=b'{"name": "' + name.encode(),
                       headers={"Content-Type": "application/json"})
    assert r.status == 400 and r.json["id"] == "bad_request"
    r = server.request("POST", "/apps", {"name": 42})
    assert r.status == 422 and r.json["id"] == "invalid_params"
    r = server.request("POST", "/apps", {"name": name, "region": "eu"})
    assert r.status == 422 and "region" in r.json["message"]
    r = server.request("POST", "/apps", {"name": name, "stack": "cedar-14"})
    assert r.status == 422 and "stack" in r.json["message"]
    assert server.request("GET", f"/apps/{name}").status == 404

    app = new_app(server)
    assert server.request("PATCH", f"/apps/{app}/config-vars", {"KEEP": "1"}).status == 200
    releases_before = len(server.request("GET", f"/apps/{app}/releases").json)
    for body, status in (([1, 2], 400), ({"A": 1}, 422), ({"A": ["x"]}, 422),
                         ({"A": {"b": "c"}}, 422), ({"BAD-NAME": "x"}, 422)):
        r = server.request("PATCH", f"/apps/{app}/config-vars", body)
        assert r.status == status, body
        assert set(r.json) == {"id", "message"}
    huge = b'{"A":"' + b"x" * (2 * 1024 * 1024) + b'"}'
    r = server.request("PATCH", f"/apps/{app}/config-vars", raw_body=huge,
                       headers={"Content-Type": "application/json"})
    assert r.status == 413 and r.json["id"] == "request_entity_too_large"
    assert server.request("GET", f"/apps/{app}/config-vars").json == {"KEEP": "1"}
    assert len(server.request("GET", f"/apps/{app}/releases").json) == releases_before


def test_config_patch_returns_full_config_and_null_deletes(server):
    app = new_app(server)
    r = server.request("PATCH", f"/apps/{app}/config-vars", {"A": "1", "B": "2"})
    assert r.json == {"A": "1", "B": "2"}
    r = server.request("PATCH", f"/apps/{app}/config-vars", {"A": None, "C": "3"})
    assert r.json == {"B": "2", "C": "3"}
    latest = server.request("GET", f"/apps/{app}/releases",
                            headers={"Range": "version ..; order=desc,max=1"})
    assert latest.json[0]["description"] == "Set C and remove A config vars"


@pytest.mark.parametrize("spelling", [
    "version ..; order=desc,max=1", "version ..; max=1, order=desc", "version ..; max=1,order=desc",
])
def test_release_range_spellings(server, spelling):
    app = new_app(server)
    for i in range(3):
        server.request("PATCH", f"/apps/{app}/config-vars", {f"K{i}": "v"})
    r = server.request("GET", f"/apps/{app}/releases", headers={"Range": spelling})
    assert r.status == 206
    assert [x["version"] for x in r.json] == [4]
    assert r.header("Next-Range") == "version ]4..; max=1, order=desc"


def follow(server, path, first_range):
    """Follows Next-Range the way http-call does; returns the pages' items and statuses."""
    items, statuses, rng = [], [], first_range
    for _ in range(50):
        r = server.request("GET", path, headers={"Range": rng} if rng else {})
        items += r.json
        statuses.append(r.status)
        rng = r.header("Next-Range")
        if not rng:
            return items, statuses
    raise AssertionError("Next-Range never ended")


def test_pagination_visits_every_release_once_in_both_orders(server):
    app = new_app(server)
    for i in range(6):
        server.request("PATCH", f"/apps/{app}/config-vars", {f"K{i}": "v"})
    asc, statuses = follow(server, f"/apps/{app}/releases", "version ..; max=2")
    assert [x["version"] for x in asc] == [1, 2, 3, 4, 5, 6, 7]
    assert statuses == [206, 206, 206, 200]
    desc, _ = follow(server, f"/apps/{app}/releases", "version ..; max=3, order=desc")
    assert [x["version"] for x in desc] == [7, 6, 5, 4, 3, 2, 1]
    whole, statuses = follow(server, f"/apps/{app}/releases", None)
    assert len(whole) == 7 and statuses == [200]


def test_apps_pagination_never_sends_next_range_on_last_page(server):
    for _ in range(3):
        new_app(server)
    items, statuses = follow(server, "/users/~/apps", "name ..; max=2")
    names = [a["name"] for a in items]
    assert names == sorted(names) and len(names) == len(set(names))
    assert statuses[-1] == 200 and all(s == 206 for s in statuses[:-1])
    assert len(names) == len(server.request("GET", "/apps").json)
    r = server.request("GET", "/apps", headers={"Range": "id ..; max=1000;"})
    assert r.status == 200 and r.header("Next-Range") is None


def test_bad_range_headers(server):
    app = new_app(server)
    for bad in ("version ..; max=0", "version ..; order=up", "nonsense", "version abc..",
                "colour ..; max=2"):
        r = server.request("GET", f"/apps/{app}/releases", headers={"Range": bad})
        assert r.status == 400, bad
        assert r.json["id"] == "bad_request"


def test_release_lookup_by_version_and_id(server):
    app = new_app(server)
    first = server.request("GET", f"/apps/{app}/releases/1").json
    assert first["description"] == "Initial release"
    assert server.request("GET", f"/apps/{app}/releases/{first['id']}").json["version"] == 1
    assert server.request("GET", f"/apps/{app}/releases/1/config-vars").json == {}
    assert server.request("GET", f"/apps/{app}/releases/42").status == 404


def test_app_by_uuid_and_pipeline_coupling_404(server):
    app = new_app(server)
    uuid = server.request("GET", f"/apps/{app}").json["id"]
    assert server.request("GET", f"/apps/{uuid}").json["name"] == app
    r = server.request("GET", f"/apps/{app}/pipeline-couplings")
    assert r.status == 404 and r.json["id"] == "not_found"


def test_api_speaks_only_tls(server):
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        s.sendall(b"GET /account HTTP/1.1\r\nHost: localhost\r\n\r\n")
        s.settimeout(10)
        try:
            data = s.recv(100)
        except (ConnectionResetError, socket.timeout):
            data = b""
    assert not data.startswith(b"HTTP/1.1 200")
    ctx = ssl.create_default_context()  # the system store does not know Slipway's CA
    conn = http.client.HTTPSConnection("localhost", server.port, context=ctx, timeout=10)
    with pytest.raises(ssl.SSLError):
        conn.request("GET", "/account")
