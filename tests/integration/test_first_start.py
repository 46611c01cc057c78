"""First start and later starts of `slipway server`: data dir, TLS, the admin token."""
import os
import stat
import subprocess
import time

import pytest

from harness import SLIPWAY_BIN, HerokuCli


def test_first_start_creates_everything_and_prints_the_token_once(own_server, tmp_path):
    s = own_server().start()
    out = s.stdout()
    assert f"export HEROKU_HOST=https://localhost:{s.port}" in out
    assert f"export HEROKU_API_KEY={s.token}" in out
    for line in ("export HEROKU_DATA_HOST=localhost", f"export HEROKU_PARTICLEBOARD_URL={s.url}",
                 "export DISABLE_TELEMETRY=true", "export HEROKU_SKIP_NEW_VERSION_CHECK=true",
                 f"export NODE_EXTRA_CA_CERTS={s.ca}", f"export GIT_SSL_CAINFO={s.ca}"):
        assert line in out
    assert stat.S_IMODE(os.stat(s.data_dir / "admin-token").st_mode) == 0o600
    # Traversable (not listable) as root: app users get through to their own release dirs.
    assert stat.S_IMODE(os.stat(s.data_dir).st_mode) == (0o711 if os.geteuid() == 0 else 0o700)
    assert stat.S_IMODE(os.stat(s.data_dir / "tls" / "server.key").st_mode) == 0o600
    # The token is kept hashed: its secret half is in no database file, nor in the logs.
    secret = s.token[len("HRKU-") + 16:]
    for f in s.data_dir.glob("slipway.db*"):
        assert secret.encode() not in f.read_bytes(), f
    HerokuCli(s, tmp_path / "home").ok("auth:whoami")
    assert s.token not in s.stderr_path.read_text()

    ca_before = (s.data_dir / "tls" / "ca.pem").read_bytes()
    assert s.stop() == 0
    s.start()
    second = s.stdout()[len(out):]
    assert s.token not in second
    assert f"export HEROKU_API_KEY=$(cat {s.data_dir / 'admin-token'})" in second
    assert (s.data_dir / "tls" / "ca.pem").read_bytes() == ca_before
    assert HerokuCli(s, tmp_path / "home").ok("auth:whoami").stdout.strip() == "admin@localhost"


def test_flags_have_environment_equivalents(own_server, tmp_path):
    s = own_server(env={"SLIPWAY_ADMIN_EMAIL": "ops@example.com", "SLIPWAY_DOMAIN": "apps.test"})
    s.start()
    cli = HerokuCli(s, tmp_path / "home")
    assert cli.ok("auth:whoami").stdout.strip() == "ops@example.com"
    cli.ok("apps:create", "envapp")
    assert "http://envapp.apps.test:" in cli.ok("apps:info", "-a", "envapp").stdout


def test_help_documents_every_flag():
    out = subprocess.run([SLIPWAY_BIN, "server", "--help"], capture_output=True, text=True).stdout
    for flag, env in [("--data-dir", "SLIPWAY_DATA_DIR"), ("--api-listen", "SLIPWAY_API_LISTEN"),
                      ("--router-listen", "SLIPWAY_ROUTER_LISTEN"), ("--domain", "SLIPWAY_DOMAIN"),
                      ("--admin-email", "SLIPWAY_ADMIN_EMAIL")]:
        assert flag in out and env in out


def test_bad_listen_address_fails_clearly(own_server):
    proc = subprocess.run([SLIPWAY_BIN, "server", "--api-listen", "nonsense"],
                          capture_output=True, text=True, timeout=20)
    assert proc.returncode != 0
    assert "--api-listen" in proc.stderr and "HOST:PORT" in proc.stderr


@pytest.mark.serial
def test_sigterm_stops_promptly(own_server):
    s = own_server().start()
    started = time.time()
    assert s.stop() == 0
    assert time.time() - started < 5
