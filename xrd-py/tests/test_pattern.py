"""xrd.Pattern, xrd.read and xrd.read_all: against `xrd convert --to json`, errors, pickling."""

import json
import pickle
import subprocess

import numpy as np
import pytest

import xrd

from conftest import ROOT, _binary


FILES = [
    "real/autoxrd_TiO2.xy",
    "real/xylib_empyrean.xrdml",
    "real/xylib_BT86.raw",
    "real/xylib_with_sigma.txt",
    "measured/dara_dev/In2O3_0p5002-MnCO3_0p5000--8min.xrdml",
]


@pytest.mark.parametrize("name", FILES)
def test_read_gives_what_the_command_converts(data, name, tmp_path):
    path = data / name
    p = xrd.read(path)
    subprocess.run(
        [str(_binary()), "--quiet", "convert", "--to", "json", "--out", str(tmp_path), str(path)],
        check=True, capture_output=True, text=True, cwd=ROOT,
    )
    (written,) = tmp_path.glob("*.json")
    doc = json.loads(written.read_text())
    ref = doc[0] if isinstance(doc, list) else doc
    assert np.array_equal(p.two_theta, np.asarray(ref["two_theta"]))
    assert np.array_equal(p.intensity, np.asarray(ref["intensity"]))
    if ref.get("sigma") is not None:
        assert np.array_equal(p.sigma, np.asarray(ref["sigma"]))
    else:
        assert p.sigma is None
    assert p.two_theta.dtype == np.float64 and len(p) == len(ref["two_theta"])
    assert p.metadata["format"] is not None


def test_arrays_are_read_only_views_that_keep_their_pattern_alive(data):
    t = xrd.read(data / "real/autoxrd_TiO2.xy").two_theta  # the Pattern itself is dropped
    assert not t.flags.writeable
    with pytest.raises(ValueError):
        t[0] = 1.0
    assert np.all(np.diff(t) > 0)


def test_wavelength_and_metadata(data):
    p = xrd.read(data / "real/xylib_empyrean.xrdml")
    assert p.wavelength == pytest.approx(1.5406, abs=1e-3)
    assert "Kα1" in p.radiation
    assert xrd.read(data / "real/autoxrd_TiO2.xy").wavelength is None


def test_a_pattern_from_arrays():
    t = np.linspace(10, 80, 71)
    p = xrd.Pattern(t, np.ones(71), wavelength="Mo", metadata={"sample": "s1"})
    assert p.wavelength == pytest.approx(0.70932, abs=1e-4)
    assert p.metadata["sample"] == "s1"
    q = xrd.Pattern(list(t), [1.0] * 71, wavelength=1.5406)
    assert q.wavelength == 1.5406 and np.array_equal(q.two_theta, t)


def test_patterns_pickle(data):
    for p in (xrd.read(data / FILES[1]), xrd.read(data / FILES[3]), xrd.Pattern([1.0, 2.0], [3.0, 4.0])):
        q = pickle.loads(pickle.dumps(p))
        assert q == p
        assert np.array_equal(q.intensity, p.intensity)
        assert q.radiation == p.radiation and q.metadata == p.metadata


def test_save_and_read_back(tmp_path, data):
    p = xrd.read(data / "real/autoxrd_TiO2.xy")
    for ext in ("xy", "csv", "json", "npy"):
        path = tmp_path / f"out.{ext}"
        p.save(path)
        q = xrd.read(path)
        assert np.allclose(q.two_theta, p.two_theta) and np.allclose(q.intensity, p.intensity)
    with pytest.raises(ValueError, match="write .xy"):
        p.save(tmp_path / "out.unknown")


def test_bad_input_raises_python_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="no_such_file"):
        xrd.read(tmp_path / "no_such_file.xy")
    garbage = tmp_path / "garbage.xrdml"
    garbage.write_bytes(bytes(range(256)) * 7)
    with pytest.raises(ValueError):
        xrd.read(garbage)
    with pytest.raises(ValueError, match="NaN|finite"):
        xrd.Pattern([1.0, 2.0, 3.0], [1.0, float("nan"), 2.0])
    with pytest.raises(ValueError, match="increasing|monoton"):
        xrd.Pattern([1.0, 3.0, 2.0], [1.0, 1.0, 1.0])
    with pytest.raises(ValueError):
        xrd.Pattern([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="wavelength"):
        xrd.Pattern([1.0, 2.0], [1.0, 1.0], wavelength="Unobtainium")
    with pytest.raises(ValueError, match="index 5"):
        xrd.read(ROOT.parent / "shared/data/real/autoxrd_TiO2.xy", index=5)


def test_read_all_gives_every_pattern_of_a_file(tmp_path, data):
    p = xrd.read(data / "real/xylib_empyrean.xrdml")
    (only,) = xrd.read_all(data / "real/xylib_empyrean.xrdml")
    assert only == p
    path = tmp_path / "one.npy"
    p.save(path)
    assert [len(q) for q in xrd.read_all(path)] == [len(p)]


def test_errors_form_one_hierarchy(tmp_path):
    """Every error is an xrd.XrdError, of the class its cause says, and also the built-in a
    Python user catches."""
    with pytest.raises(xrd.XrdFileNotFoundError) as e:
        xrd.read(tmp_path / "no_such_file.xy")
    assert isinstance(e.value, FileNotFoundError) and isinstance(e.value, xrd.XrdError)
    garbage = tmp_path / "garbage.xy"
    garbage.write_text("2theta counts\n1.0 2.0\nthree four\n")
    with pytest.raises(xrd.FormatError) as e:
        xrd.read(garbage)
    assert isinstance(e.value, ValueError) and isinstance(e.value, xrd.InvalidInputError)
    with pytest.raises(xrd.InvalidInputError, match="NaN|finite"):
        xrd.Pattern([1.0, 2.0, 3.0], [1.0, float("nan"), 2.0])
    # A missing instrument file is a missing file (it was a ValueError).
    p = xrd.simulate("rutile", two_theta=(20, 60), step=0.02)
    with pytest.raises(xrd.XrdFileNotFoundError, match="missing.json"):
        xrd.refine(p, phases=["rutile"], instrument=tmp_path / "missing.json")
    # An unknown phase is bad input in simulate and refine alike.
    for call in (lambda: xrd.simulate("unobtainium"), lambda: xrd.refine(p, phases=["unobtainium"])):
        with pytest.raises(xrd.InvalidInputError, match="unobtainium"):
            call()
    # An option out of range names itself, as the keyword (and the flag) spell it.
    with pytest.raises(xrd.InvalidParameterError, match="`background`"):
        xrd.refine(p, phases=["rutile"], background=0)
    assert issubclass(xrd.XrdPermissionError, PermissionError)
    assert issubclass(xrd.FitError, xrd.InvalidInputError)
