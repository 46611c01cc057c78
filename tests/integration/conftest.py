import shutil

import pytest

from harness import HerokuCli, Slipway, make_temp_dir


def pytest_configure(config):
    # scripts/test runs the suite on every core (pytest-xdist), then these alone: they assert
    # how soon something happens, which a test building an app beside them could delay.
    config.addinivalue_line(
        "markers", "serial: asserts on elapsed time; run after the parallel run, alone")


@pytest.fixture(scope="session")
def server():
    """One daemon shared by the tests that only create their own, uniquely named apps."""
    root = make_temp_dir("slipway-it-")
    # Every table with data is loaded over several connections at once in its restores (by
    # default only tables with 16 MB archived are): the tests' small tables take that path too.
    # Servers of their own keep the default, so single-pg_restore restores are tested there.
    s = Slipway(root / "data", ["--restore-split-table-size", "1"]).start()
    yield s
    code = s.stop()
    report = s.sanitizer_report()
    shutil.rmtree(root, ignore_errors=True)
    assert report is None, report
    assert code == 0, f"the shared daemon exited {code} on SIGTERM"


@pytest.fixture
def own_server():
    """Factory for tests that need a daemon of their own (restarts, kills, flags).

    own_server() makes a Slipway on a fresh data dir (not started); every one made is stopped
    when the test ends, whatever happened.
    """
    root = make_temp_dir("slipway-it-own-")
    made = []

    def make(extra_args=(), data_dir=None, env=None):
        s = Slipway(data_dir or root / f"data{len(made)}", extra_args, env)
        made.append(s)
        return s

    yield make
    for s in made:
        s.stop()
    reports = [r for r in (s.sanitizer_report() for s in made) if r]
    shutil.rmtree(root, ignore_errors=True)
    assert not reports, reports[0]


@pytest.fixture
def cli(server, tmp_path):
    return HerokuCli(server, tmp_path / "home")
