"""The Build API: sources, builds through the buildpacks, output streams, the release phase, and
the app's buildpack list, driven through the API and the real heroku CLI."""
import json
import re
import time

import pytest

from builds_helpers import (FIXTURES, copy_fixture, create_build, raw, serving, source_tarball,
                            upload_source, wait_build)
from harness import HerokuCli
from runtime_helpers import through_router, wait_dynos_up, wait_for, web_ports, get_json

FAST = {"SLIPWAY_STOP_GRACE": "3", "SLIPWAY_BOOT_TIMEOUT": "20"}


@pytest.fixture
def platform(own_server, tmp_path):
    server = own_server(env=FAST).start()
    return server, HerokuCli(server, tmp_path / "home")


def test_build_api_builds_a_tarball_and_the_release_serves_it(platform, tmp_path):
    server, cli = platform
    cli.ok("apps:create", "built")
    cli.ok("config:set", "GREETING=from-a-build", "-a", "built")
    url = upload_source(server, source_tarball(FIXTURES / "apps" / "procfile-app"))
    created = create_build(server, "built", url, version="v1.0.0")
    assert created.status == 201, created.raw
    build = created.json
    assert build["status"] == "pending" and build["source_blob"]["version"] == "v1.0.0"

    status, output = raw(server, "GET", build["output_stream_url"])  # no credentials: capability
    assert status == 200
    text = output.decode()
    assert "Procfile declares types" in text and "web" in text
    assert "Released v3" in text  # v1 initial, v2 config:set, v3 this deploy

    done = wait_build(server, "built", build["id"])
    assert done["status"] == "succeeded"
    assert done["slug"]["id"] and done["release"]["id"]
    release = server.request("GET", f"/apps/built/releases/{done['release']['id']}").json
    assert release["current"] and release["version"] == 3
    listed = server.request("GET", "/apps/built/builds").json
    assert [b["id"] for b in listed] == [build["id"]]

    wait_dynos_up(server, "built", ["web.1"], timeout=60)
    body = get_json(web_ports(server, "built")["web.1"])
    assert body == {"greeting": "from-a-build", "dyno": "web.1"}
    slug = server.request("GET", f"/apps/built/slugs/{done['slug']['id']}").json
    assert slug["size"] > 0 and slug["process_types"] == {"web": "bin/serve"}
    info = cli.ok("apps:info", "-a", "built").stdout
    assert re.search(r"Slug Size:\s+[1-9]", info), info


def test_release_phase_gates_the_release(platform, tmp_path):
    server, cli = platform
    cli.ok("apps:create", "phased")
    good = copy_fixture("procfile-app", tmp_path / "good",
                        "web: bin/serve\nrelease: echo migrating $DYNO; echo done\n")
    build = create_build(server, "phased", upload_source(server, source_tarball(good))).json
    assert wait_build(server, "phased", build["id"])["status"] == "succeeded"
    releases = server.request("GET", "/apps/phased/releases").json
    assert releases[-1]["status"] == "succeeded" and releases[-1]["current"]
    out = cli.ok("releases:output", "-a", "phased").stdout
    assert "migrating release." in out and "done" in out
    wait_dynos_up(server, "phased", ["web.1"], timeout=60)
    serving = web_ports(server, "phased")["web.1"]

    bad = copy_fixture("procfile-app", tmp_path / "bad",
                       "web: bin/serve\nrelease: echo about to fail; exit 7\n")
    build = create_build(server, "phased", upload_source(server, source_tarball(bad))).json
    wait_build(server, "phased", build["id"])
    status, output = raw(server, "GET", build["output_stream_url"])
    assert "about to fail" in output.decode()
    assert "Release command failed (exit status 7)" in output.decode()
    releases = server.request("GET", "/apps/phased/releases").json
    assert releases[-1]["status"] == "failed" and not releases[-1]["current"]
    assert releases[-2]["current"]
    listing = cli.ok("releases", "-a", "phased").stdout
    assert "release command failed" in listing
    assert "about to fail" in cli.ok("releases:output", "-a", "phased").stdout
    # The previous release keeps serving, on the same dyno.
    wait_dynos_up(server, "phased", ["web.1"])
    assert web_ports(server, "phased")["web.1"] == serving


def test_buildpacks_set_add_and_clear_choose_what_builds(platform, tmp_path):
    server, cli = platform
    cli.ok("apps:create", "packs")
    hello = (FIXTURES / "buildpacks" / "hello").resolve()
    out = cli.ok("buildpacks:set", f"file://{hello}", "-a", "packs").stdout
    assert "Buildpack set" in out
    listed = cli.ok("buildpacks", "-a", "packs").stdout
    assert f"file://{hello}" in listed
    cli.ok("buildpacks:add", "urn:buildpack:heroku/procfile", "-a", "packs")
    installs = server.request("GET", "/apps/packs/buildpack-installations").json
    assert [i["buildpack"]["url"] for i in installs] == [f"file://{hello}", "heroku/procfile"]

    url = upload_source(server, source_tarball(FIXTURES / "apps" / "procfile-app"))
    build = create_build(server, "packs", url).json
    done = wait_build(server, "packs", build["id"])
    _, output = raw(server, "GET", build["output_stream_url"])
    assert "Hello buildpack" in output.decode(), output.decode()
    assert done["status"] == "succeeded", output.decode()
    assert [b["url"] for b in done["buildpacks"]] == [f"file://{hello}", "heroku/procfile"]

    cli.ok("buildpacks:remove", "-i", "2", "-a", "packs")
    installs = server.request("GET", "/apps/packs/buildpack-installations").json
    assert [i["buildpack"]["url"] for i in installs] == [f"file://{hello}"]
    cli.ok("buildpacks:clear", "-a", "packs")
    assert server.request("GET", "/apps/packs/buildpack-installations").json == []


def test_bad_builds_change_nothing(platform, tmp_path):
    server, cli = platform
    cli.ok("apps:create", "badbuilds")
    before = server.request("GET", "/apps/badbuilds/releases").json
    for url in ["ftp://example.com/source.tgz", "file:///etc/passwd", "not a url", "https://"]:
        refused = create_build(server, "badbuilds", url)
        assert refused.status == 422 and refused.json["id"] == "invalid_params", refused.raw
        assert "http:// or https://" in refused.json["message"]
    unknown = create_build(server, "badbuilds", f"{server.url}/sources/nope/nope")
    assert unknown.status == 422 and "names no source" in unknown.json["message"], unknown.raw
    bad_pack = server.request("PUT", "/apps/badbuilds/buildpack-installations",
                              {"updates": [{"buildpack": "heroku/ruby"}]})
    assert bad_pack.status == 422 and "built-in" in bad_pack.json["message"]
    assert server.request("GET", "/apps/badbuilds/buildpack-installations").json == []

    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "README").write_text("no Procfile, nothing to detect\n")
    build = create_build(server, "badbuilds", upload_source(server, source_tarball(empty))).json
    done = wait_build(server, "badbuilds", build["id"])
    _, output = raw(server, "GET", build["output_stream_url"])
    assert done["status"] == "failed"
    assert "Push rejected" in output.decode()
    assert server.request("GET", "/apps/badbuilds/releases").json == before

    broken = copy_fixture("procfile-app", tmp_path / "broken", "web: bin/serve\nthis is not it\n")
    build = create_build(server, "badbuilds", upload_source(server, source_tarball(broken))).json
    assert wait_build(server, "badbuilds", build["id"])["status"] == "failed"
    _, output = raw(server, "GET", build["output_stream_url"])
    assert "Procfile line 2" in output.decode(), output.decode()
    assert server.request("GET", "/apps/badbuilds/releases").json == before


def test_one_build_per_app_at_a_time(platform, tmp_path):
    server, cli = platform
    cli.ok("apps:create", "onebuild")
    slow = str((FIXTURES / "buildpacks" / "slow").resolve())
    tarball = source_tarball(FIXTURES / "apps" / "procfile-app")
    first = create_build(server, "onebuild", upload_source(server, tarball), buildpacks=[slow])
    assert first.status == 201, first.raw
    second = create_build(server, "onebuild", upload_source(server, tarball), buildpacks=[slow])
    assert second.status == 409, second.raw
    assert "already running" in second.json["message"]
    assert wait_build(server, "onebuild", first.json["id"])["status"] == "succeeded"
    # Once it is done, the next build is accepted; builds never interleave.
    third = create_build(server, "onebuild", upload_source(server, tarball), buildpacks=[slow])
    assert third.status == 201, third.raw
    assert wait_build(server, "onebuild", third.json["id"])["status"] == "succeeded"
    assert [b["status"] for b in server.request("GET", "/apps/onebuild/builds").json] == \
        ["succeeded", "succeeded"]


def test_a_source_url_anywhere_is_downloaded_by_the_build(platform, tmp_path):
    """Heroku's Build API takes any http(s) tarball URL (`heroku builds:create --source-url` of
    the heroku-builds plugin, which CLI 11.10.0 does not bundle, sends exactly this request)."""
    server, cli = platform
    cli.ok("apps:create", "fetched")
    cli.ok("config:set", "GREETING=downloaded", "-a", "fetched")
    tarball = source_tarball(FIXTURES / "apps" / "procfile-app")
    with serving({"/app.tar.gz": tarball}) as base:
        # Query strings (presigned URLs) reach the server but never the output or the log.
        url = f"{base}/app.tar.gz?X-Amz-Signature=s3cr3t-sig"
        started = time.monotonic()
        created = create_build(server, "fetched", url, version="remote-1")
        assert created.status == 201, created.raw
        assert time.monotonic() - started < 2  # returned at once; the download is the build's
        build = created.json
        assert build["status"] == "pending" and build["source_blob"]["url"] == url
        done = wait_build(server, "fetched", build["id"])
        _, output = raw(server, "GET", build["output_stream_url"])
        text = output.decode()
        assert done["status"] == "succeeded", text
        assert f"-----> Downloading the source from {base}/app.tar.gz\n" in text
        assert "/app.tar.gz?X-Amz-Signature=s3cr3t-sig" in base.requested

        # A URL that answers 404 fails its build, saying why; the running release stays.
        wait_dynos_up(server, "fetched", ["web.1"], timeout=60)
        status, body = through_router(server, "fetched")
        assert status == 200 and json.loads(body)["greeting"] == "downloaded", (status, body)
        releases = server.request("GET", "/apps/fetched/releases").json
        missing = create_build(server, "fetched", f"{base}/gone.tar.gz?token=s3cr3t-token").json
        failed = wait_build(server, "fetched", missing["id"])
        _, output = raw(server, "GET", missing["output_stream_url"])
        text = output.decode()
        assert failed["status"] == "failed", text
        assert (f" !     The source could not be downloaded from {base}/gone.tar.gz: HTTP 404\n"
                in text), text
        assert server.request("GET", "/apps/fetched/releases").json == releases
        assert "Releases - Current: v3" in cli.ok("releases", "-a", "fetched").stdout
        status, body = through_router(server, "fetched")
        assert status == 200 and json.loads(body)["greeting"] == "downloaded"
    logs = b"".join(p.read_bytes() for p in (server.data_dir / "logs").rglob("*") if p.is_file())
    for secret in (b"s3cr3t-sig", b"s3cr3t-token"):
        assert secret not in server.stderr_path.read_bytes() and secret not in logs


def test_stopping_the_server_cancels_running_builds(platform, tmp_path):
    server, cli = platform
    cli.ok("apps:create", "stopping")
    slow = str((FIXTURES / "buildpacks" / "slow").resolve())  # compiles for 4 seconds
    tarball = source_tarball(FIXTURES / "apps" / "procfile-app")
    build = create_build(server, "stopping", upload_source(server, tarball),
                         buildpacks=[slow]).json
    log = server.data_dir / "builds" / f"{build['id']}.log"
    wait_for(lambda: log.exists() and "Slow buildpack: compiling" in log.read_text(),
             what="the slow buildpack to start")
    server.stop()
    # Not left to finish (it would have succeeded): cancelled, failed, nothing released.
    assert "Build cancelled: Slipway is stopping. Nothing was released." in log.read_text()
    server.start()
    done = server.request("GET", f"/apps/stopping/builds/{build['id']}").json
    assert done["status"] == "failed" and done["release"] is None
    assert [r["version"] for r in server.request("GET", "/apps/stopping/releases").json] == [1]
