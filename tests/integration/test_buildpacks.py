"""Slipway's built-in buildpacks (buildpacks/) run on the sample apps as the platform will run them.

No daemon: each test plays the build runner (detect, then compile with a cache dir and an env dir
of config vars, then release) and the runtime (the built app moved to another absolute path, every
.profile.d/*.sh sourced, then the Procfile command run with PORT, DYNO and config vars), with the
real programs: bash, node, npm, Debian's python3, pip, Django and gunicorn. Offline: only the
machine's packages are used.
"""
import base64
import hashlib
import http.client
import json
import os
import shutil
import signal
import subprocess
import time
import zipfile
from pathlib import Path

import pytest
import yaml

from harness import free_port

REPO = Path(__file__).resolve().parents[2]
BUILDPACKS = REPO / "buildpacks"
APPS = REPO / "tests" / "fixtures" / "apps"
FIXTURE_BUILDPACKS = REPO / "tests" / "fixtures" / "buildpacks"
# The order the runner tries the built-in buildpacks in (buildpacks/README.md).
DETECTION_ORDER = ["nodejs", "python", "procfile"]

# How the runtime starts a dyno's command: `bash -c PRELUDE slipway-dyno COMMAND`, with HOME and
# the working directory set to the app's directory (docs/buildpacks.md, "The .profile.d contract").
DYNO_PRELUDE = ('for f in "$HOME"/.profile.d/*.sh; do if [ -r "$f" ]; then . "$f"; fi; done; '
                'unset f; if [ -r "$HOME/.profile" ]; then . "$HOME/.profile"; fi; '
                'slipway_command=$1; shift; eval "$slipway_command"')
SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin"


# ---------------------------------------------------------------------------------------------
# The runner's side: detect, compile, release.

def build_env(home):
    """The environment a buildpack gets from the runner: nothing inherited from this process."""
    home.mkdir(parents=True, exist_ok=True)
    return {"PATH": SYSTEM_PATH, "HOME": str(home), "LANG": "C.UTF-8", "STACK": "debian-12"}


def copy_app(name, dest):
    shutil.copytree(APPS / name, dest, symlinks=True)
    return dest


def detect(buildpack, build_dir, tmp_path):
    return subprocess.run([str(buildpack / "bin" / "detect"), str(build_dir)],
                          env=build_env(tmp_path / "home"), capture_output=True, text=True,
                          timeout=30)


def detected(build_dir, tmp_path):
    """{buildpack name: printed name} for every built-in buildpack that detects the app."""
    found = {}
    for name in DETECTION_ORDER:
        r = detect(BUILDPACKS / name, build_dir, tmp_path)
        assert r.returncode in (0, 1), r.stderr
        if r.returncode == 0:
            found[name] = r.stdout.strip()
    return found


def compile_app(buildpack, build_dir, cache_dir, env_dir, tmp_path, config=None):
    """Runs bin/compile with config vars written to env_dir; returns (exit code, output)."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    env_dir.mkdir(parents=True, exist_ok=True)
    for key, value in (config or {}).items():
        (env_dir / key).write_text(value)
    r = subprocess.run([str(buildpack / "bin" / "compile"), str(build_dir), str(cache_dir),
                        str(env_dir)], env=build_env(tmp_path / "home"),
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=180)
    return r.returncode, r.stdout


def release(buildpack, build_dir, tmp_path):
    r = subprocess.run([str(buildpack / "bin" / "release"), str(build_dir)],
                       env=build_env(tmp_path / "home"), capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    doc = yaml.safe_load(r.stdout)
    assert isinstance(doc, dict), r.stdout
    assert isinstance(doc.get("default_process_types"), dict), r.stdout
    return doc


def procfile(app_dir):
    types = {}
    for line in (app_dir / "Procfile").read_text().splitlines():
        name, sep, command = line.partition(":")
        if sep and name.strip() and not name.startswith("#"):
            types[name.strip()] = command.strip()
    return types


def assert_packable_as_slug(build_dir):
    """The platform's slug archives refuse symlinks that are absolute or leave the slug
    (src/build/slug_archive.cpp): a build must produce none."""
    for link in [p for p in build_dir.rglob("*") if p.is_symlink()]:
        target = os.readlink(link)
        assert not target.startswith("/"), f"{link} -> {target}"
        resolved = os.path.normpath(os.path.join(os.path.dirname(link), target))
        assert resolved.startswith(str(build_dir) + os.sep), f"{link} -> {target}"


def move_slug(build_dir, dest):
    """The slug is unpacked at another absolute path than the one it was built at."""
    assert_packable_as_slug(build_dir)
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(str(build_dir), str(dest))
    assert not build_dir.exists()
    return dest


# ---------------------------------------------------------------------------------------------
# The runtime's side: a dyno.

def dyno_env(app_dir, dyno, config=None, port=None):
    env = {"PATH": f"{app_dir}/bin:{SYSTEM_PATH}", "HOME": str(app_dir), "LANG": "C.UTF-8",
           "DYNO": dyno, "PS": dyno, **(config or {})}
    if port:
        env["PORT"] = str(port)
    return env


def run_one_off(app_dir, command, config=None, dyno="run.1"):
    return subprocess.run(["/bin/bash", "-c", DYNO_PRELUDE, "slipway-dyno", command],
                          cwd=app_dir, env=dyno_env(app_dir, dyno, config),
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=60)


class WebDyno:
    def __init__(self, app_dir, command, config=None):
        self.port = free_port()
        self.log = app_dir.parent / "web.1.log"
        with open(self.log, "wb") as out:
            self.proc = subprocess.Popen(
                ["/bin/bash", "-c", DYNO_PRELUDE, "slipway-dyno", command], cwd=app_dir,
                env=dyno_env(app_dir, "web.1", config, self.port), stdout=out,
                stderr=subprocess.STDOUT, start_new_session=True)

    def get_json(self, path="/", timeout=20.0):
        deadline = time.monotonic() + timeout
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", path)
                resp = conn.getresponse()
                body = resp.read()
                conn.close()
                assert resp.status == 200, body
                return json.loads(body)
            except (ConnectionError, OSError):
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"web dyno not answering; log:\n{self.log.read_text()}")
                time.sleep(0.1)

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


@pytest.fixture
def web_dynos():
    started = []

    def start(app_dir, command, config=None):
        d = WebDyno(app_dir, command, config)
        started.append(d)
        return d

    yield start
    for d in started:
        d.stop()


def section(output, title):
    """The lines of one `-----> title` step of a build's output."""
    lines, inside = [], False
    for line in output.splitlines():
        if line.startswith("-----> "):
            inside = line[len("-----> "):].startswith(title)
        elif inside:
            lines.append(line.strip())
    return lines


# ---------------------------------------------------------------------------------------------
# Detection

@pytest.mark.parametrize("app, expected", [
    ("node-app", {"nodejs": "Node.js", "procfile": "Procfile"}),
    ("django-app", {"python": "Python", "procfile": "Procfile"}),
    ("procfile-app", {"procfile": "Procfile"}),
    # The older sample apps have no package.json or requirements: the Procfile buildpack runs them.
    ("node-web", {"procfile": "Procfile"}),
    ("python-web", {"procfile": "Procfile"}),
])
def test_detection(app, expected, tmp_path):
    build_dir = copy_app(app, tmp_path / "build")
    assert detected(build_dir, tmp_path) == expected


def test_nothing_detects_an_empty_app(tmp_path):
    (tmp_path / "build").mkdir()
    assert detected(tmp_path / "build", tmp_path) == {}


def test_detection_order_is_documented():
    readme = (BUILDPACKS / "README.md").read_text()
    assert "1. `nodejs`" in readme and "2. `python`" in readme and "3. `procfile`" in readme


def test_each_buildpack_carries_the_same_common_lib():
    copies = {p.read_bytes() for p in BUILDPACKS.glob("*/lib/common.sh")}
    assert len(copies) == 1


# ---------------------------------------------------------------------------------------------
# Node.js

def test_node_app_builds_caches_and_runs_elsewhere(tmp_path, web_dynos):
    bp = BUILDPACKS / "nodejs"
    build_dir = copy_app("node-app", tmp_path / "build")
    cache_dir, env_dir = tmp_path / "cache", tmp_path / "env"
    code, out = compile_app(bp, build_dir, cache_dir, env_dir, tmp_path,
                            {"BUILD_LABEL": "from-the-env-dir"})
    assert code == 0, out
    assert "Installing node modules (package.json + package-lock)" in out
    assert section(out, "Restoring cache") == ["Nothing cached yet (first build with this cache)"]
    assert "Running build" in out and "Running heroku-postbuild" not in out
    assert section(out, "Caching build") == ["- node_modules"]

    # The config var reached the build step, which ran with the devDependency installed ...
    artefact = json.loads((build_dir / "public" / "build.json").read_text())
    assert artefact == {"built_by": "build-stamp", "build_label": "from-the-env-dir",
                        "node_env": "production"}
    # ... which was pruned afterwards; the runtime dependency stays.
    assert (build_dir / "node_modules" / "greeting-format" / "index.js").is_file()
    assert not (build_dir / "node_modules" / "build-stamp").exists()
    assert (cache_dir / "node" / "dirs" / "node_modules" / "build-stamp").is_symlink()

    # The Procfile has web: so no default; without it, Heroku's `npm start`.
    assert release(bp, build_dir, tmp_path)["default_process_types"] == {}
    no_procfile = copy_app("node-app", tmp_path / "no-procfile")
    (no_procfile / "Procfile").unlink()
    assert release(bp, no_procfile, tmp_path)["default_process_types"] == {"web": "npm start"}

    app_dir = move_slug(build_dir, tmp_path / "slug" / "app")
    web = web_dynos(app_dir, procfile(app_dir)["web"], {"GREETING": "hello"})
    assert web.get_json() == {"greeting": "hello", "formatted": "hello!", "dyno": "web.1",
                              "node_env": "production", "build": artefact}
    # .profile.d put node_modules/.bin and the build's node on PATH.
    r = run_one_off(app_dir, 'command -v node && echo "$PATH"')
    assert r.returncode == 0 and f"{app_dir}/node_modules/.bin:" in r.stdout, r.stdout

    # A second build with the same cache restores node_modules from it.
    second = copy_app("node-app", tmp_path / "build2")
    code, out = compile_app(bp, second, cache_dir, env_dir, tmp_path)
    assert code == 0, out
    assert section(out, "Restoring cache") == ["- node_modules"]
    assert any((cache_dir / "node" / "npm-cache").iterdir())


def test_node_postbuild_replaces_build_and_production_false_keeps_dev_deps(tmp_path):
    build_dir = copy_app("node-app", tmp_path / "build")
    pkg = json.loads((build_dir / "package.json").read_text())
    pkg["scripts"]["heroku-postbuild"] = "build-stamp public/postbuild.json"
    pkg["engines"]["node"] = ">=99"
    (build_dir / "package.json").write_text(json.dumps(pkg))
    code, out = compile_app(BUILDPACKS / "nodejs", build_dir, tmp_path / "cache",
                            tmp_path / "env", tmp_path,
                            {"NPM_CONFIG_PRODUCTION": "false", "USE_NPM_INSTALL": "true"})
    assert code == 0, out
    assert " !     package.json asks for Node.js >=99 but this machine has v" in out
    assert "Installing node modules (package.json)\n" in out
    assert "Running heroku-postbuild" in out and "Running build\n" not in out
    assert (build_dir / "public" / "postbuild.json").is_file()
    assert not (build_dir / "public" / "build.json").exists()
    assert section(out, "Pruning devDependencies") == [
        "Skipping because NPM_CONFIG_PRODUCTION is 'false'"]
    assert (build_dir / "node_modules" / "build-stamp").exists()


def test_node_broken_package_json_fails_clearly(tmp_path):
    build_dir = copy_app("node-app", tmp_path / "build")
    (build_dir / "package.json").write_text('{"name": "broken",\n  "scripts": {"start": }\n')
    assert detected(build_dir, tmp_path)["nodejs"] == "Node.js"
    code, out = compile_app(BUILDPACKS / "nodejs", build_dir, tmp_path / "cache",
                            tmp_path / "env", tmp_path)
    assert code != 0
    assert " !     Unable to parse package.json: " in out, out
    assert "Installing dependencies" not in out


# ---------------------------------------------------------------------------------------------
# Python / Django

def test_django_app_builds_migrates_and_runs_elsewhere(tmp_path, web_dynos):
    bp = BUILDPACKS / "python"
    build_dir = copy_app("django-app", tmp_path / "build")
    code, out = compile_app(bp, build_dir, tmp_path / "cache", tmp_path / "env", tmp_path)
    assert code == 0, out
    for name in ("Django", "psycopg2", "gunicorn"):
        assert f"Requirement already satisfied: {name}" in out, out
    assert "-----> $ python manage.py collectstatic --noinput" in out
    assert "1 static file copied" in out
    assert (build_dir / "staticfiles" / "css" / "site.css").is_file()
    assert (build_dir / ".venv" / "bin" / "gunicorn").read_text().startswith("#!/bin/sh\n")
    assert release(bp, build_dir, tmp_path)["default_process_types"] == {}

    app_dir = move_slug(build_dir, tmp_path / "slug" / "app")
    types = procfile(app_dir)
    migrate = run_one_off(app_dir, types["release"], dyno="release.1")
    assert migrate.returncode == 0, migrate.stdout
    assert "Applying greetings.0001_initial... OK" in migrate.stdout
    assert (app_dir / "db.sqlite3").is_file()

    web = web_dynos(app_dir, types["web"], {"GREETING": "bonjour"})
    first = web.get_json()
    assert first == {"greeting": "bonjour", "dyno": "web.1", "visits": 1, "database": "sqlite",
                     "static_url": "/static/", "python_prefix": str(app_dir / ".venv")}
    assert web.get_json()["visits"] == 2

    # DATABASE_URL (as the Postgres add-on sets it) is parsed by the app's settings, and
    # Debian's psycopg2 is importable in a dyno.
    check = run_one_off(app_dir, (
        "python -c 'import json, psycopg2; from django.conf import settings; "
        "print(json.dumps(settings.DATABASES[\"default\"]))'"),
        {"DJANGO_SETTINGS_MODULE": "slipwaydemo.settings",
         "DATABASE_URL": "postgres://app%40user:p%3Ass@db.internal:6543/app_db?sslmode=require"})
    assert check.returncode == 0, check.stdout
    db = json.loads(check.stdout.strip().splitlines()[-1])
    assert (db["ENGINE"], db["NAME"], db["USER"], db["PASSWORD"], db["HOST"], db["PORT"],
            db["OPTIONS"]) == ("django.db.backends.postgresql", "app_db", "app@user", "p:ss",
                               "db.internal", "6543", {"sslmode": "require"})


def test_django_collectstatic_can_be_disabled_by_config_var(tmp_path):
    build_dir = copy_app("django-app", tmp_path / "build")
    code, out = compile_app(BUILDPACKS / "python", build_dir, tmp_path / "cache",
                            tmp_path / "env", tmp_path, {"DISABLE_COLLECTSTATIC": "1"})
    assert code == 0, out
    assert "Skipping Django collectstatic since the env var DISABLE_COLLECTSTATIC is set." in out
    assert not (build_dir / "staticfiles").exists()


def test_django_collectstatic_failure_fails_the_build(tmp_path):
    build_dir = copy_app("django-app", tmp_path / "build")
    settings = build_dir / "slipwaydemo" / "settings.py"
    settings.write_text(settings.read_text().replace(
        'STATIC_ROOT = BASE_DIR / "staticfiles"', "STATIC_ROOT = None"))
    code, out = compile_app(BUILDPACKS / "python", build_dir, tmp_path / "cache",
                            tmp_path / "env", tmp_path)
    assert code != 0
    assert "Error while running '$ python manage.py collectstatic --noinput'." in out, out
    assert "DISABLE_COLLECTSTATIC=1" in out


def test_python_requirement_not_available_offline_fails_clearly(tmp_path):
    build_dir = tmp_path / "build"
    build_dir.mkdir()
    (build_dir / "requirements.txt").write_text("Django>=3.2\nslipway-no-such-package==9.9\n")
    (build_dir / "Procfile").write_text("web: python -m http.server $PORT\n")
    (build_dir / ".python-version").write_text("3.99\n")
    code, out = compile_app(BUILDPACKS / "python", build_dir, tmp_path / "cache",
                            tmp_path / "env", tmp_path)
    assert code != 0
    assert " !     The app asks for Python 3.99 (.python-version or runtime.txt)" in out
    assert "Requirement already satisfied: Django" in out
    assert (" !     Not installed on this machine and not downloadable: "
            "slipway-no-such-package==9.9") in out, out


def test_python_app_without_requirements_fails_clearly(tmp_path):
    build_dir = copy_app("django-app", tmp_path / "build")
    (build_dir / "requirements.txt").unlink()
    assert detected(build_dir, tmp_path)["python"] == "Python"  # manage.py
    code, out = compile_app(BUILDPACKS / "python", build_dir, tmp_path / "cache",
                            tmp_path / "env", tmp_path)
    assert code != 0
    assert "Couldn't find any supported Python package manager files." in out, out


def make_wheel(directory):
    """A tiny pure-Python wheel with a console script, built by hand (no network, no build tool)."""
    files = {
        "slipway_hello_tool/__init__.py":
            "import sys\n\n\ndef main():\n    print('slipway-hello from ' + sys.prefix)\n",
        "slipway_hello_tool-1.0.dist-info/METADATA":
            "Metadata-Version: 2.1\nName: slipway-hello-tool\nVersion: 1.0\n",
        "slipway_hello_tool-1.0.dist-info/WHEEL":
            "Wheel-Version: 1.0\nGenerator: slipway-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        "slipway_hello_tool-1.0.dist-info/entry_points.txt":
            "[console_scripts]\nslipway-hello = slipway_hello_tool:main\n",
    }
    record = []
    for name, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=")
        record.append(f"{name},sha256={digest.decode()},{len(text.encode())}")
    record.append("slipway_hello_tool-1.0.dist-info/RECORD,,")
    files["slipway_hello_tool-1.0.dist-info/RECORD"] = "\n".join(record) + "\n"
    directory.mkdir(parents=True)
    with zipfile.ZipFile(directory / "slipway_hello_tool-1.0-py3-none-any.whl", "w") as whl:
        for name, text in files.items():
            whl.writestr(name, text)


def test_python_pip_installed_console_script_works_after_the_slug_moves(tmp_path):
    make_wheel(tmp_path / "wheels")
    build_dir = tmp_path / "build"
    build_dir.mkdir()
    (build_dir / "requirements.txt").write_text("slipway-hello-tool==1.0\n")
    code, out = compile_app(BUILDPACKS / "python", build_dir, tmp_path / "cache",
                            tmp_path / "env", tmp_path,
                            {"PIP_FIND_LINKS": str(tmp_path / "wheels")})
    assert code == 0, out
    assert "Successfully installed slipway-hello-tool-1.0" in out
    assert "Made relocatable: slipway-hello" in out
    app_dir = move_slug(build_dir, tmp_path / "elsewhere" / "app")
    r = run_one_off(app_dir, "slipway-hello")
    assert r.returncode == 0, r.stdout
    assert r.stdout.strip() == f"slipway-hello from {app_dir / '.venv'}"


# ---------------------------------------------------------------------------------------------
# Procfile-only apps

def test_procfile_app_builds_and_runs(tmp_path, web_dynos):
    bp = BUILDPACKS / "procfile"
    build_dir = copy_app("procfile-app", tmp_path / "build")
    code, out = compile_app(bp, build_dir, tmp_path / "cache", tmp_path / "env", tmp_path)
    assert code == 0, out
    assert out.startswith("-----> Nothing to build")
    assert release(bp, build_dir, tmp_path)["default_process_types"] == {}
    app_dir = move_slug(build_dir, tmp_path / "slug" / "app")
    web = web_dynos(app_dir, procfile(app_dir)["web"], {"GREETING": "ahoy"})
    assert web.get_json() == {"greeting": "ahoy", "dyno": "web.1"}


# ---------------------------------------------------------------------------------------------
# The fixture buildpacks (for the runner's own tests)

def test_fixture_hello_buildpack(tmp_path):
    bp = FIXTURE_BUILDPACKS / "hello"
    build_dir = copy_app("procfile-app", tmp_path / "build")
    assert detect(bp, build_dir, tmp_path).stdout.strip() == "Hello"
    for _ in range(2):
        code, out = compile_app(bp, build_dir, tmp_path / "cache", tmp_path / "env", tmp_path,
                                {"GREETING": "hi"})
        assert code == 0, out
    assert (build_dir / "hello.txt").read_text().splitlines()[1:] == ["greeting: hi", "build: 2"]
    doc = release(bp, build_dir, tmp_path)
    assert doc["default_process_types"] == {"web": "python3 -m http.server $PORT"}
    assert doc["config_vars"] == {"HELLO_BUILDPACK": "yes"}


def test_fixture_failing_buildpack(tmp_path):
    bp = FIXTURE_BUILDPACKS / "failing"
    build_dir = copy_app("procfile-app", tmp_path / "build")
    assert detect(bp, build_dir, tmp_path).returncode == 0
    code, out = compile_app(bp, build_dir, tmp_path / "cache", tmp_path / "env", tmp_path)
    assert code == 1
    assert " !     This buildpack always fails" in out
