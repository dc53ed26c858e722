"""xrd.refine_series against `xrd refine --sequential`'s series.csv (three frames of the 11-BM
CuCr2O4 series), in segments serially and on Dask, and its failures."""

import math
import subprocess
import warnings

import pandas as pd
import pytest

import xrd

from conftest import ROOT, _binary

FRAMES = ["OH_00.fxye", "OH_04.fxye", "OH_09.fxye"]


@pytest.fixture(scope="module")
def series(data):
    d = data / "series" / "cucr2o4_11bm"
    if not d.is_dir():
        pytest.skip(f"{d} is missing")
    return {
        "files": [str(d / f) for f in FRAMES],
        "phases": [str(d / "CuCr2O4.cif"), str(d / "CuO.cif")],
        "kwargs": {"instrument": str(d / "OH_00.prm"), "particle_size": 0},
    }


@pytest.fixture(scope="module")
def serial_run(series):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        df = xrd.refine_series(series["files"], series["phases"], **series["kwargs"])
    return df, [str(w.message) for w in caught if w.category is UserWarning]


@pytest.fixture(scope="module")
def serial(serial_run):
    return serial_run[0]


def missing(x):
    return x is None or (isinstance(x, float) and math.isnan(x))


def test_rows_are_the_commands_series_csv(series, serial, serial_run, tmp_path):
    binary = _binary()
    if binary is None:
        pytest.fail("no xrd binary: set XRD_BIN or build it (cargo build --release -p xrd-cli)")
    args = [str(binary), "--quiet", "refine", *series["files"]]
    for p in series["phases"]:
        args += ["--phase", p]
    args += ["--instrument", series["kwargs"]["instrument"], "--particle-size", "0",
             "--sequential", "--out", str(tmp_path)]
    done = subprocess.run(args, check=True, capture_output=True, cwd=ROOT, text=True)
    # What it says as a whole: the command's `note:` lines, the frame's attrs and warnings.
    notes = [l[len("note: "):] for l in done.stderr.splitlines() if l.startswith("note: ")]
    assert notes and serial.attrs["notes"] == notes and serial_run[1] == notes
    # As printed: each number's decimals give its tolerance.
    text = pd.read_csv(tmp_path / "series.csv", dtype=str, keep_default_na=False)
    # Every header gives a temperature: both name the order column so.
    assert list(serial.columns) == list(text.columns)
    assert serial.columns[2] == "temperature_k"
    assert len(serial) == len(text) == 3
    numeric = set(serial.columns) - {"file", "start", "flags", "error"}
    for col in serial.columns:
        for k in range(len(text)):
            ours, theirs = serial[col].iloc[k], text[col].iloc[k]
            if col not in numeric:
                assert (ours or "") == theirs, (col, k, ours, theirs)
            elif theirs == "":
                assert missing(ours), (col, k, ours)
            else:
                decimals = len(theirs.split(".")[1]) if "." in theirs else 0
                tol = 0.5 * 10.0 ** -decimals * (1 + 1e-9) + 1e-12
                assert abs(float(ours) - float(theirs)) <= tol, (col, k, ours, theirs)
    # The values: a cold first frame, then warm; orthorhombic CuCr2O4 at 6.8–47 K.
    assert list(serial.frame) == [1, 2, 3]
    assert list(serial.start) == ["cold", "warm", "warm"]
    assert list(serial.temperature_k) == pytest.approx([6.778, 16.702, 46.970], abs=1e-3)
    assert (serial.CuCr2O4_b - serial.CuCr2O4_c > 0.005).all()
    assert (serial.CuCr2O4_wt + serial.CuO_wt).tolist() == pytest.approx([1.0] * 3)
    assert (serial.error == "").all()
    assert serial.attrs["phases"] == ["CuCr2O4", "CuO"]
    assert serial.attrs["parametric"] == []


def test_segments_are_separate_chains(series):
    files, phases, kw = series["files"], series["phases"], series["kwargs"]
    split = xrd.refine_series(files, phases, segments=2, **kw)
    # Three frames in two segments: frames 1–2, then frame 3 refined cold on its own.
    first = xrd.refine_series(files[:2], phases, **kw)
    second = xrd.refine_series(files[2:], phases, **kw)
    second["frame"] += 2
    halves = pd.concat([first, second], ignore_index=True)
    assert list(split.frame) == [1, 2, 3]
    assert list(split.start) == ["cold", "warm", "cold"]
    pd.testing.assert_frame_equal(split, halves)
    # Each chain's notes, named by its frames.
    assert split.attrs["notes"] == (["frames 1–2: " + n for n in first.attrs["notes"]]
                                    + ["frame 3: " + n for n in second.attrs["notes"]])
    assert split.attrs["notes"]

    distributed = pytest.importorskip("dask.distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        on_dask = xrd.refine_series(files, phases, client=client, segments=2, **kw)
    pd.testing.assert_frame_equal(on_dask, split)
    assert on_dask.attrs == split.attrs


def test_a_frame_that_cannot_be_read(series, serial, tmp_path):
    broken = tmp_path / "broken.fxye"
    broken.write_text("this is not a pattern\n")
    files = [series["files"][0], str(broken), series["files"][1]]
    df = xrd.refine_series(files, series["phases"], **series["kwargs"])
    assert list(df.frame) == [1, 2, 3]
    assert list(df.start) == ["cold", "failed", "warm"]
    bad = df.iloc[1]
    assert bad.file == str(broken)
    assert "broken.fxye" in bad.error
    assert missing(bad.rwp) and missing(bad.CuCr2O4_a)
    assert (df.error.iloc[[0, 2]] == "").all()
    # The frames either side refined as in the series without it.
    assert df.rwp.iloc[0] == pytest.approx(serial.rwp.iloc[0], rel=1e-9)
    assert df.rwp.iloc[2] == pytest.approx(serial.rwp.iloc[1], rel=1e-6)


def test_bad_arguments(series):
    files, phases, kw = series["files"], series["phases"], series["kwargs"]
    with pytest.raises(ValueError, match="order has 2 values for 3 files"):
        xrd.refine_series(files, phases, order=[1.0, 2.0], **kw)
    # An unknown phase is bad input (xrd.InvalidInputError, a ValueError) naming it.
    with pytest.raises(ValueError, match="unobtainium") as err:
        xrd.refine_series(files[:1], [phases[0], "unobtainium"], **kw)
    assert err.type is xrd.InvalidInputError
    with pytest.raises(ValueError, match="segments"):
        xrd.refine_series(files, phases, segments=0, **kw)


def test_parametric_fit_and_given_order(series):
    files, phases, kw = series["files"], series["phases"], series["kwargs"]
    df = xrd.refine_series(files, phases, parametric=["CuCr2O4:a=1"], **kw)
    (fit,) = df.attrs["parametric"]
    assert (fit["phase"], fit["parameter"], fit["degree"]) == ("CuCr2O4", "a", 1)
    assert len(fit["coefficients"]) == len(fit["coefficient_esd"]) == 2
    # a(T) = c0 + c1 T through the refined cells.
    c0, c1 = fit["coefficients"]
    assert c0 == pytest.approx(df.CuCr2O4_a.iloc[0], abs=1e-3)
    assert abs(c1) < 1e-3
    # A given order is named "order" and replaces the headers' temperatures.
    ordered = xrd.refine_series(files[:2], phases, order=[1, 2], **kw)
    assert ordered.columns[2] == "order"
    assert list(ordered.order) == [1.0, 2.0]


def test_a_series_stopped_by_progress_resumes_to_the_same_rows(series, serial, tmp_path):
    files, phases, kw = series["files"], series["phases"], series["kwargs"]
    out = tmp_path / "run"
    heard = []

    class Stop(Exception):
        pass

    def stop_after_one(what, done, total, message):
        heard.append((what, done, total))
        if what == "frames" and done == 1:
            raise Stop(message)

    with pytest.raises(Stop):
        xrd.refine_series(files, phases, out=str(out), progress=stop_after_one, **kw)
    assert ("frames", 1, 3) in heard
    assert len((out / "series.jsonl").read_text().splitlines()) == 1
    assert (out / "series.state.json").is_file()
    resumed = xrd.refine_series(files, phases, out=str(out), resume=True, **kw)
    pd.testing.assert_frame_equal(resumed, serial, check_exact=False, rtol=1e-9)
    with pytest.raises(ValueError, match="one segment"):
        xrd.refine_series(files, phases, segments=2, out=str(out), **kw)
