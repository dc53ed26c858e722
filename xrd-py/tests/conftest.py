"""Shared fixtures: the shared data folder and the `xrd` command the bindings are checked
against (XRD_BIN, else the checkout's target/release or target/debug build)."""

import json
import os
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
DATA = pathlib.Path(os.environ.get("XRD_DATA", ROOT.parent / "shared" / "data"))


def _binary():
    env = os.environ.get("XRD_BIN")
    if env:
        return pathlib.Path(env)
    for profile in ("release", "debug"):
        b = ROOT / "target" / profile / "xrd"
        if b.exists():
            return b
    return None


@pytest.fixture(scope="session")
def data():
    if not DATA.is_dir():
        pytest.fail(f"{DATA} is missing: the tests read the shared data (set XRD_DATA)")
    return DATA


@pytest.fixture(scope="session")
def cli(tmp_path_factory):
    """Runs `xrd --quiet --format json ARGS…` and returns the parsed rows (with `stderr=True`,
    the rows and what it printed on stderr)."""
    binary = _binary()
    if binary is None:
        pytest.fail("no xrd binary: set XRD_BIN or build it (cargo build --release -p xrd-cli)")
    cache = os.environ.get("XRD_CACHE")

    def run(*args, cache_arg=False, stderr=False):
        extra = ["--cache", cache] if (cache_arg and cache) else []
        out = subprocess.run(
            [str(binary), "--quiet", "--format", "json", *map(str, args), *extra],
            check=True,
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        rows = json.loads(out.stdout)
        return (rows, out.stderr) if stderr else rows

    return run
