"""A burst of config changes, SIGKILL in the middle, restart: every acknowledged change is
there, nothing is half applied, and SQLite's integrity check passes."""
import sqlite3
import threading
import time

from harness import HerokuCli


def burst(server, app, worker, acked, stop):
    i = 0
    while not stop.is_set():
        key = f"W{worker}_{i}"
        try:
            r = server.request("PATCH", f"/apps/{app}/config-vars",
                               {f"{key}_A": str(i), f"{key}_B": str(i)})
        except OSError:
            return  # the daemon is gone
        if r.status == 200:
            acked.append(key)
        i += 1


def test_sigkill_during_config_burst_loses_nothing_acknowledged(own_server, tmp_path):
    s = own_server().start()
    app = "durable-app"
    assert s.request("POST", "/apps", {"name": app}).status == 201
    all_acked = []
    for round_number in range(2):
        acked, stop = [], threading.Event()
        threads = [threading.Thread(target=burst, args=(s, app, f"{round_number}{w}", acked, stop))
                   for w in range(4)]
        for t in threads:
            t.start()
        deadline = time.time() + 20
        while len(acked) < 40 and time.time() < deadline:
            time.sleep(0.01)
        s.kill()  # SIGKILL while requests are in flight
        stop.set()
        for t in threads:
            t.join(30)
        assert len(acked) >= 40
        all_acked += acked
        s.start()

        config = s.request("GET", f"/apps/{app}/config-vars").json
        for key in all_acked:
            assert config.get(f"{key}_A") == config.get(f"{key}_B") is not None, key
        changes = {k[:-2] for k in config}
        for change in changes:  # applied whole or not at all
            assert f"{change}_A" in config and f"{change}_B" in config, change
        releases = s.request("GET", f"/apps/{app}/releases").json
        assert [r["version"] for r in releases] == list(range(1, len(releases) + 1))
        assert len(releases) == 1 + len(changes)  # exactly one release per applied change
        latest = s.request("GET", f"/apps/{app}/releases/{len(releases)}/config-vars").json
        assert latest == config

    HerokuCli(s, tmp_path / "home").ok("config", "-a", app)
    assert s.stop() == 0
    db = sqlite3.connect(s.data_dir / "slipway.db")
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.close()
