"""`git push heroku main` over HTTPS on the API port: the real git, the real heroku CLI (its
remotes and its credential helper), the real daemon. Each push is built and released inside the
push (tests/integration/test_deploy.py covers the apps; these the git side).
"""
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from builds_helpers import FIXTURES, raw
from harness import HerokuCli, unique_name
from runtime_helpers import wait_for

GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.com",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.com",
    "GIT_TERMINAL_PROMPT": "0",
}


def git(cli, repo, *args, env=None, check=True, timeout=120):
    proc = subprocess.run(["git", *args], cwd=repo, env=cli.env(**GIT_IDENTITY, **(env or {})),
                          capture_output=True, text=True, timeout=timeout)
    if check:
        assert proc.returncode == 0, (
            f"git {' '.join(args)} exited {proc.returncode}\n"
            f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}")
    return proc


def new_checkout(cli, path, files=None):
    path = Path(path)
    path.mkdir(parents=True)
    git(cli, path, "init", "-q", "-b", "main")
    # A deployable app by default: the Procfile buildpack builds it in a moment, and with only a
    # worker type (scaled to 0) nothing starts running.
    default = {"index.js": "console.log('hi')\n", "Procfile": "worker: node index.js\n"}
    for name, content in (files or default).items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_bytes(content.encode() if isinstance(content, str) else content)
    git(cli, path, "add", "-A")
    git(cli, path, "commit", "-q", "-m", "first")
    return path


def head(cli, repo, ref="HEAD"):
    return git(cli, repo, "rev-parse", ref).stdout.strip()


def remote_refs(cli, repo, remote="heroku"):
    out = git(cli, repo, "ls-remote", "--heads", "--tags", remote).stdout
    return {line.split("\t")[1]: line.split("\t")[0] for line in out.splitlines() if line}


def created_app(cli, checkout):
    """`heroku apps:create` inside a git checkout: the app and the `heroku` remote it adds."""
    name = unique_name("push")
    cli.ok("apps:create", name, cwd=checkout)
    return name


def test_apps_create_in_a_checkout_adds_the_heroku_remote(cli, server, tmp_path):
    repo = new_checkout(cli, tmp_path / "repo")
    name = created_app(cli, repo)
    url = git(cli, repo, "remote", "get-url", "heroku").stdout.strip()
    assert url == f"https://localhost:{server.port}/{name}.git"
    # The CLI also installed its credential helper for that host in the (test's) global config.
    helper = git(cli, repo, "config", "--global", "--get-regexp", r"credential\..*\.helper").stdout
    assert f"https://localhost:{server.port}" in helper and "heroku git:credentials" in helper


def test_push_goes_through_the_credential_helper_and_shows_the_hook_output(cli, server,
                                                                          tmp_path):
    repo = new_checkout(cli, tmp_path / "repo")
    name = created_app(cli, repo)
    sha = head(cli, repo)
    push = git(cli, repo, "push", "heroku", "main")
    assert "remote: -----> Procfile app detected" in push.stderr, push.stderr
    assert "remote:        Released v2" in push.stderr
    build = server.request("GET", f"/apps/{name}/builds").json[-1]
    assert build["status"] == "succeeded" and build["source_blob"]["version"] == sha
    assert "* [new branch]      main -> main" in push.stderr
    assert remote_refs(cli, repo)["refs/heads/main"] == sha


def test_clone_returns_what_was_pushed(cli, server, tmp_path):
    files = {"index.js": "console.log('hello')\n", "lib/data.bin": os.urandom(4096),
             "Procfile": "web: node index.js\n"}
    repo = new_checkout(cli, tmp_path / "repo", files)
    name = created_app(cli, repo)
    git(cli, repo, "push", "heroku", "main")

    clone = tmp_path / "clone"
    git(cli, tmp_path, "clone", "-q", f"https://localhost:{server.port}/{name}.git", str(clone))
    for path, content in files.items():
        got = (clone / path).read_bytes()
        assert got == (content.encode() if isinstance(content, str) else content), path
    assert head(cli, clone) == head(cli, repo)

    # heroku git:clone does the same from the app's name, and names the remote `heroku`.
    cli.ok("git:clone", "-a", name, str(tmp_path / "git-clone"), cwd=tmp_path)
    assert (tmp_path / "git-clone" / "index.js").read_text() == files["index.js"]
    url = git(cli, tmp_path / "git-clone", "remote", "get-url", "heroku").stdout.strip()
    assert url == f"https://localhost:{server.port}/{name}.git"


def test_pushing_another_branch_is_refused_and_changes_nothing(cli, tmp_path):
    repo = new_checkout(cli, tmp_path / "repo")
    created_app(cli, repo)
    git(cli, repo, "checkout", "-q", "-b", "feature")
    push = git(cli, repo, "push", "heroku", "feature", check=False)
    assert push.returncode != 0
    assert "remote:  !     Pushing to the branch `feature` is not supported" in push.stderr
    assert "remote:  !     Deploy this branch with: git push heroku feature:main" in push.stderr
    assert "! [remote rejected] feature -> feature (pre-receive hook declined)" in push.stderr
    assert remote_refs(cli, repo) == {}

    # The way out it suggests works.
    git(cli, repo, "push", "heroku", "feature:main")
    assert set(remote_refs(cli, repo)) == {"refs/heads/main"}


def test_deleting_main_is_refused(cli, tmp_path):
    repo = new_checkout(cli, tmp_path / "repo")
    created_app(cli, repo)
    git(cli, repo, "push", "-q", "heroku", "main")
    push = git(cli, repo, "push", "heroku", ":main", check=False)
    assert push.returncode != 0
    assert "Deleting the `main` branch is not allowed" in push.stderr
    assert remote_refs(cli, repo)["refs/heads/main"] == head(cli, repo)


def test_push_without_credentials_fails_with_an_authentication_error(cli, tmp_path):
    repo = new_checkout(cli, tmp_path / "repo")
    created_app(cli, repo)
    # No credential helper and no terminal: git has nothing to answer the 401 challenge with.
    push = git(cli, repo, "-c", "credential.helper=", "push", "heroku", "main", check=False,
               env={"GIT_ASKPASS": "", "SSH_ASKPASS": ""})
    assert push.returncode != 0
    assert "could not read Username" in push.stderr, push.stderr
    # A wrong token is refused too (the helper hands git whatever HEROKU_API_KEY holds).
    push = git(cli, repo, "push", "heroku", "main", check=False,
               env={"HEROKU_API_KEY": "HRKU-not-a-real-token"})
    assert push.returncode != 0
    assert "Authentication failed" in push.stderr, push.stderr
    assert remote_refs(cli, repo) == {}


def test_the_challenge_is_basic_and_tokens_never_reach_the_log(server, cli, tmp_path):
    name = unique_name("push")
    assert server.request("POST", "/apps", {"name": name}).status == 201
    r = server.request("GET", f"/{name}.git/info/refs?service=git-receive-pack", token=None)
    assert r.status == 401
    assert r.header("WWW-Authenticate") == 'Basic realm="Slipway"'
    r = server.request("GET", f"/{name}.git/info/refs?service=git-upload-pack")  # Bearer works
    assert r.status == 200
    assert r.header("Content-Type") == "application/x-git-upload-pack-advertisement"
    assert r.raw.startswith(b"001e# service=git-upload-pack\n0000")
    repo = new_checkout(cli, tmp_path / "repo")
    git(cli, repo, "remote", "add", "heroku", f"https://localhost:{server.port}/{name}.git")
    cli.ok("apps:info", "-a", name)  # writes the credential helper
    git(cli, repo, "push", "-q", "heroku", "main")
    assert server.token not in server.stderr_path.read_text()


def test_push_to_an_unknown_app_fails_clearly(cli, server, tmp_path):
    repo = new_checkout(cli, tmp_path / "repo")
    cli.ok("apps", cwd=repo)  # any command installs the credential helper
    missing = unique_name("nope")
    push = git(cli, repo, "push", f"https://localhost:{server.port}/{missing}.git", "main",
               check=False)
    assert push.returncode != 0
    assert f"remote: !  No such app as {missing}." in push.stderr
    assert "not found" in push.stderr


@pytest.mark.parametrize("size", [300 * 1024, 3 * 1024 * 1024], ids=["content-length", "chunked"])
def test_a_push_over_the_size_limit_is_refused(own_server, tmp_path, size):
    server = own_server(env={"SLIPWAY_MAX_PUSH_SIZE": "100KB"}).start()
    cli = HerokuCli(server, tmp_path / "home")
    repo = new_checkout(cli, tmp_path / "repo", {"big.bin": os.urandom(size)})
    created_app(cli, repo)
    push = git(cli, repo, "push", "heroku", "main", check=False)
    assert push.returncode != 0
    assert "remote:  !     Push rejected: it is " in push.stderr, push.stderr
    assert "more than the 0.1 MB this Slipway accepts" in push.stderr
    assert "! [remote rejected] main -> main (push too large)" in push.stderr
    assert remote_refs(cli, repo) == {}

    # A push under the limit still goes through on the same server.
    small = new_checkout(cli, tmp_path / "small")
    created_app(cli, small)
    git(cli, small, "push", "-q", "heroku", "main")


def test_force_push_replaces_main(cli, tmp_path):
    repo = new_checkout(cli, tmp_path / "repo")
    created_app(cli, repo)
    git(cli, repo, "push", "-q", "heroku", "main")
    (repo / "index.js").write_text("console.log('rewritten')\n")
    git(cli, repo, "commit", "-q", "--amend", "-a", "-m", "rewritten")
    refused = git(cli, repo, "push", "heroku", "main", check=False)
    assert refused.returncode != 0
    assert "non-fast-forward" in refused.stderr or "fetch first" in refused.stderr
    forced = git(cli, repo, "push", "--force", "heroku", "main")
    assert "(forced update)" in forced.stderr
    assert "remote:        Released v3" in forced.stderr
    assert remote_refs(cli, repo)["refs/heads/main"] == head(cli, repo)


def test_git_remote_in_another_checkout(cli, server, tmp_path):
    first = new_checkout(cli, tmp_path / "first")
    name = created_app(cli, first)
    git(cli, first, "push", "-q", "heroku", "main")

    other = new_checkout(cli, tmp_path / "other", {"README": "other\n", "Procfile": "worker: true\n"})
    cli.ok("git:remote", "-a", name, cwd=other)
    url = git(cli, other, "remote", "get-url", "heroku").stdout.strip()
    assert url == f"https://localhost:{server.port}/{name}.git"
    # The app is inferred from the remote, and pushing works through it.
    info = cli.ok("apps:info", cwd=other)
    assert name in info.stdout
    git(cli, other, "push", "-q", "--force", "heroku", "main")
    assert remote_refs(cli, other)["refs/heads/main"] == head(cli, other)


def test_rename_keeps_the_repository_and_destroy_removes_it(cli, server, tmp_path):
    repo = new_checkout(cli, tmp_path / "repo")
    name = created_app(cli, repo)
    git(cli, repo, "push", "-q", "heroku", "main")
    app_id = server.request("GET", f"/apps/{name}").json["id"]
    repo_dir = server.data_dir / "git" / f"{app_id}.git"
    assert (repo_dir / "HEAD").exists()
    hook = (repo_dir / "hooks" / "pre-receive").read_text()
    assert hook.startswith("#!/bin/sh\n") and "git-hook pre-receive" in hook

    renamed = unique_name("renamed")
    cli.ok("apps:rename", renamed, "-a", name, cwd=repo)
    assert git(cli, repo, "remote", "get-url", "heroku").stdout.strip().endswith(f"/{renamed}.git")
    assert remote_refs(cli, repo)["refs/heads/main"] == head(cli, repo)

    cli.ok("apps:destroy", "-a", renamed, "--confirm", renamed, cwd=repo)
    assert not repo_dir.exists()


@pytest.mark.serial
def test_an_interrupted_push_cancels_its_build_and_releases_nothing(cli, server, tmp_path):
    repo = new_checkout(cli, tmp_path / "repo")
    name = created_app(cli, repo)
    slow = (FIXTURES / "buildpacks" / "slow").resolve()  # compiles for 4 seconds
    cli.ok("buildpacks:set", f"file://{slow}", "-a", name)
    releases = server.request("GET", f"/apps/{name}/releases").json
    log = tmp_path / "push.log"
    with open(log, "wb") as err:
        # Its own process group, as a terminal's foreground job: Ctrl-C reaches git and its
        # git-remote-https helper alike.
        push = subprocess.Popen(["git", "push", "heroku", "main"], cwd=repo, stderr=err,
                                stdout=subprocess.DEVNULL, start_new_session=True,
                                env=cli.env(**GIT_IDENTITY))
    try:
        wait_for(lambda: "Slow buildpack: compiling" in log.read_text(), timeout=60,
                 what="the slow buildpack to start")
        os.killpg(push.pid, signal.SIGINT)
        interrupted = time.monotonic()
        push.wait(timeout=10)
    finally:
        if push.poll() is None:
            os.killpg(push.pid, signal.SIGKILL)
    build = wait_for(lambda: next((b for b in server.request("GET", f"/apps/{name}/builds").json
                                   if b["status"] != "pending"), None),
                     timeout=10, interval=0.05, what="the build to end")
    # Well before the buildpack's 4 seconds are up: the build was stopped, not left to finish.
    assert time.monotonic() - interrupted < 3
    assert build["status"] == "failed"
    _, output = raw(server, "GET", build["output_stream_url"])
    assert ("Build cancelled: the push was interrupted (the git client went away). "
            "Nothing was released." in output.decode()), output.decode()
    assert "Launching" not in output.decode()
    assert server.request("GET", f"/apps/{name}/releases").json == releases
    assert "Deploy" not in cli.ok("releases", "-a", name).stdout
    assert remote_refs(cli, repo) == {}

    # The app is not left claimed: the next push builds and deploys.
    cli.ok("buildpacks:clear", "-a", name)
    again = git(cli, repo, "push", "heroku", "main")
    assert "remote:        Released v2" in again.stderr, again.stderr
    assert remote_refs(cli, repo)["refs/heads/main"] == head(cli, repo)
