"""The Slug API, releasing slugs, rollback, and the archive checks that refuse unsafe slugs."""
import io
import json
import tarfile

import pytest

from harness import unique_name
from slugs import create_slug, release_slug, slug_bytes, upload

WEB = {"web": "python3 -m http.server $PORT"}


def new_app(server):
    name = unique_name("s")
    assert server.request("POST", "/apps", {"name": name}).status == 201
    return name


def test_slug_upload_release_and_rollback_with_cli(cli, server):
    app = new_app(server)
    cli.ok("config:set", "A=1", "-a", app)
    first = release_slug(server, app, {"index.html": "v1"}, WEB, commit="1111111aaaa")
    assert first["description"] == "Deploy 1111111a"
    assert first["slug"]["id"]
    slug = server.request("GET", f"/apps/{app}/slugs/{first['slug']['id']}").json
    assert slug["process_types"] == WEB and slug["checksum"].startswith("SHA256:")
    assert slug["size"] > 0
    cli.ok("config:set", "A=2", "-a", app)
    second = release_slug(server, app, {"index.html": "v2"}, WEB, commit="2222222bbbb")
    # A config change keeps running the current slug.
    v_config = server.request("GET", f"/apps/{app}/releases/4").json
    assert v_config["slug"]["id"] == first["slug"]["id"]

    proc = cli.ok("releases:rollback", "-a", app)  # to the previous eligible release (v4)
    assert "Rolling back" in proc.stderr and "done, v6" in proc.stderr
    assert cli.ok("config:get", "A", "-a", app).stdout.strip() == "2"
    proc = cli.ok("releases:rollback", "v3", "-a", app)
    assert "done, v7" in proc.stderr
    v7 = server.request("GET", f"/apps/{app}/releases/7").json
    assert v7["description"] == "Rollback to v3"
    assert v7["slug"]["id"] == first["slug"]["id"]
    assert cli.ok("config:get", "A", "-a", app).stdout.strip() == "1"  # v3's config is back
    assert second["version"] == 5


def test_rollback_to_release_without_slug_is_refused(cli, server):
    app = new_app(server)
    release_slug(server, app, {"index.html": "x"}, WEB)
    proc = cli.fails("releases:rollback", "v1", "-a", app)
    assert "has no slug" in proc.stderr
    assert len(server.request("GET", f"/apps/{app}/releases").json) == 2


def test_release_requires_an_uploaded_slug(server):
    app = new_app(server)
    slug = create_slug(server, app, WEB)
    r = server.request("POST", f"/apps/{app}/releases", {"slug": slug["id"]})
    assert r.status == 422 and "upload" in r.json["message"]
    r = server.request("POST", f"/apps/{app}/releases", {"slug": "nope"})
    assert r.status == 404
    r = server.request("POST", f"/apps/{app}/releases", {"slug": slug["id"], "release": "1"})
    assert r.status == 422
    assert len(server.request("GET", f"/apps/{app}/releases").json) == 1


def test_slug_is_uploaded_once_and_only_with_its_secret(server):
    app = new_app(server)
    slug = create_slug(server, app, WEB)
    url = slug["blob"]["url"]
    status, _ = upload(server, url[:-4] + "0000", slug_bytes({"a": "b"}))
    assert status == 404
    assert upload(server, url, slug_bytes({"a": "b"}))[0] == 200
    assert upload(server, url, slug_bytes({"a": "c"}))[0] == 409


def test_bad_slug_bodies(server):
    app = new_app(server)
    for body in ({}, {"process_types": "web"}, {"process_types": {"web": 1}},
                 {"process_types": {"bad type!": "x"}}, {"process_types": {"web": ""}}):
        r = server.request("POST", f"/apps/{app}/slugs", body)
        assert r.status == 422, body


def add_entry(name, kind, target=None):
    def extra(tar):
        info = tarfile.TarInfo(name)
        info.type = kind
        if target is not None:
            info.linkname = target
        tar.addfile(info)
    return extra


UNSAFE = [
    ("absolute path", add_entry("/etc/evil", tarfile.REGTYPE)),
    ("dot-dot", add_entry("./app/../../evil", tarfile.REGTYPE)),
    ("outside app", add_entry("./other/file", tarfile.REGTYPE)),
    ("symlink escaping", add_entry("./app/link", tarfile.SYMTYPE, "../../etc/passwd")),
    ("absolute symlink", add_entry("./app/link", tarfile.SYMTYPE, "/etc/passwd")),
    ("hard link outside", add_entry("./app/hard", tarfile.LNKTYPE, "/etc/passwd")),
    ("device", add_entry("./app/dev", tarfile.CHRTYPE)),
    ("fifo", add_entry("./app/fifo", tarfile.FIFOTYPE)),
]


@pytest.mark.parametrize("label,extra", UNSAFE, ids=[u[0] for u in UNSAFE])
def test_unsafe_slug_archives_are_refused(server, label, extra):
    app = new_app(server)
    slug = create_slug(server, app, WEB)
    status, body = upload(server, slug["blob"]["url"], slug_bytes({"ok.txt": "x"}, extra))
    assert status == 422, label
    assert "Invalid slug archive" in json.loads(body)["message"]
    r = server.request("POST", f"/apps/{app}/releases", {"slug": slug["id"]})
    assert r.status == 422  # never uploaded, so never releasable


def test_not_a_tarball_is_refused(server):
    app = new_app(server)
    slug = create_slug(server, app, WEB)
    for data in (b"hello", b"\x1f\x8b\x08\x00garbage", b""):
        status, _ = upload(server, slug["blob"]["url"], data)
        assert status in (400, 422), data
    inner_symlink = add_entry("./app/node_modules/.bin/x", tarfile.SYMTYPE, "../pkg/cli.js")
    assert upload(server, slug["blob"]["url"], slug_bytes({"a": "b"}, inner_symlink))[0] == 200
