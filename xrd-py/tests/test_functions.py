"""simulate, peaks, identify, refine, index and classify against the `xrd` command's output for
the same input (same library crates: the same numbers)."""

import csv
import pickle
import re
import subprocess
import sys
import warnings

import numpy as np
import pytest

import xrd
from xrd.results import (Classification, FittedLine, IdentifiedPhase, IndexedCell, Refinement,
                         Summation, conforms)

from conftest import ROOT, _binary

TIO2 = "real/autoxrd_TiO2.xy"
MNO = "real/autoxrd_MnO.xy"
MIX = "measured/dara_dev/In2O3_0p5002-MnCO3_0p5000--8min.xrdml"


def same_rows(ours, theirs, keys):
    assert len(ours) == len(theirs), (ours, theirs)
    for a, b in zip(ours, theirs):
        for k in keys:
            x, y = a[k], b[k]
            if isinstance(y, float) and x is not None:
                assert x == pytest.approx(y, rel=1e-9, abs=1e-12), (k, x, y)
            else:
                assert x == y, (k, x, y)


def test_peaks_are_the_commands(data, cli):
    cif = data / "cif/LaOH3_Beall1977.cif"
    ours = xrd.peaks(str(cif), two_theta=(10, 80))
    theirs = cli("simulate", "--peaks", "--range", 10, 80, cif)
    for row in theirs:
        row["hkl"] = (row["h"], row["k"], row["l"])
    same_rows(ours, theirs, ["two_theta", "d", "hkl", "multiplicity", "intensity"])


def test_simulate_is_the_commands(data, tmp_path):
    cif = data / "cif/LaOH3_Beall1977.cif"
    p = xrd.simulate(str(cif), wavelength="Cu", two_theta=(10, 60), step=0.02)
    subprocess.run(
        [str(_binary()), "--quiet", "simulate", "--range", "10", "60", "--step", "0.02",
         "--out", str(tmp_path / "sim.npy"), str(cif)],
        check=True, cwd=ROOT,
    )
    q = xrd.read(tmp_path / "sim.npy")
    assert np.allclose(p.two_theta, q.two_theta, atol=1e-9)
    assert np.allclose(p.intensity, q.intensity, rtol=1e-6, atol=1e-6)
    assert p.intensity.max() == pytest.approx(100.0)
    assert p.wavelength == pytest.approx(1.540598)


def test_simulate_with_a_refined_instrument_is_the_commands(data, tmp_path):
    # The 11-BM instrument of the CuCr2O4 series (GSAS-II .prm): its TCH widths, as the command.
    prm = data / "series/cucr2o4_11bm/OH_00.prm"
    p = xrd.simulate("rutile", wavelength=0.4589, two_theta=(5, 20), step=0.002, instrument=str(prm))
    subprocess.run(
        [str(_binary()), "--quiet", "simulate", "--wavelength", "0.4589", "--range", "5", "20",
         "--step", "0.002", "--instrument", str(prm), "--out", str(tmp_path / "sim.npy"), "rutile"],
        check=True, cwd=ROOT,
    )
    q = xrd.read(tmp_path / "sim.npy")
    assert np.allclose(p.intensity, q.intensity, rtol=1e-6, atol=1e-6)
    # A synchrotron's peaks: far narrower than the default 0.1°.
    wide = xrd.simulate("rutile", wavelength=0.4589, two_theta=(5, 20), step=0.002)
    assert (p.intensity > 50).sum() < (wide.intensity > 50).sum() / 3
    with pytest.raises(ValueError, match="fwhm"):
        xrd.simulate("rutile", instrument=str(prm), fwhm=0.2)
    with pytest.raises(FileNotFoundError):
        xrd.simulate("rutile", instrument=str(tmp_path / "missing.json"))


def test_simulate_a_library_entry_by_name():
    p = xrd.simulate("rutile", two_theta=(20, 60), step=0.02)
    assert float(p.two_theta[p.intensity.argmax()]) == pytest.approx(27.4, abs=0.1)
    with pytest.raises(xrd.InvalidInputError, match="no library entry"):
        xrd.simulate("unobtainium")
    with pytest.raises(ValueError, match="step"):
        xrd.simulate("rutile", step=0.0)
    with pytest.raises(ValueError, match="two_theta"):
        xrd.simulate("rutile", two_theta=(50, 20))


def test_identify_is_the_commands(data, cli):
    path = data / TIO2
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ours = xrd.identify(str(path), elements=["Ti", "O"])
    theirs, said = cli("identify", "--elements", "Ti,O", path, cache_arg=True, stderr=True)
    # What the command says of the file's refinement and unexplained peaks comes as warnings,
    # line for line: here the background's advice and three peaks (54.36° is rutile's 211).
    told = re.compile(rf"{re.escape(str(path))}: (refinement|unexplained peaks): ")
    expected = [line for line in said.splitlines() if told.match(line)]
    warned = [str(w.message) for w in caught if told.match(str(w.message))]
    assert warned == expected and any("Chebyshev terms" in w for w in warned), (warned, expected)
    assert any(": unexplained peaks: " in w for w in warned), warned
    keys = ["phase", "name", "formula", "space_group", "score", "share", "source",
            "weight_fraction", "weight_fraction_esd", "rwp"]
    same_rows(ours, theirs, keys)
    assert all(not conforms(r, IdentifiedPhase) for r in ours), [conforms(r, IdentifiedPhase) for r in ours]
    # Refinement tries rutile beside anatase and does not keep it (2.6 % Rwp gain, 3 % asked).
    assert [r["name"] for r in ours] == ["Anatase"]
    assert sum(r["weight_fraction"] for r in ours) == pytest.approx(1.0)


def test_identify_a_pattern_object_without_refinement(data, cli):
    p = xrd.read(data / MNO)
    rows = xrd.identify(p, refine=False)
    theirs = cli("identify", "--no-refine", data / MNO, cache_arg=True)
    same_rows(rows, theirs, ["phase", "name", "space_group", "score", "share", "source"])
    assert rows[0]["name"] == "Manganosite" and rows[0]["weight_fraction"] is None
    assert not conforms(rows[0], IdentifiedPhase), conforms(rows[0], IdentifiedPhase)


def test_identify_with_nothing_to_match_says_so():
    t = np.linspace(10, 80, 3501)
    noise = np.random.default_rng(1).normal(100, 10, t.size)
    rows = xrd.identify(xrd.Pattern(t, noise, wavelength="Cu"))
    assert len(rows) == 1 and rows[0]["phase"] == 0 and rows[0]["name"] == "(no match)"
    assert not conforms(rows[0], IdentifiedPhase), conforms(rows[0], IdentifiedPhase)


def test_refine_is_the_commands(data, cli):
    path = data / MIX
    cif = str(data / "cif/In2O3_Marezio1966.cif")
    # Without the microabsorption correction, as the weighed 0.5 / 0.5 are met without it.
    fit = xrd.refine(str(path), phases=[cif, "MnCO3"], particle_size=0)
    theirs = cli("refine", "--phase", cif, "--phase", "MnCO3", "--particle-size", "0", path)
    keys = ["phase", "name", "formula", "space_group", "kind", "weight_fraction",
            "weight_fraction_esd", "a", "b", "c", "alpha", "beta", "gamma", "strain", "source",
            "rwp", "gof"]
    same_rows(fit["rows"], theirs, keys)
    assert not conforms(fit, Refinement), conforms(fit, Refinement)
    w = [r["weight_fraction"] for r in fit["rows"]]
    assert w[0] == pytest.approx(0.5002, abs=0.02) and w[1] == pytest.approx(0.5, abs=0.02)
    n = len(fit["two_theta"])
    assert all(len(fit[k]) == n for k in ("observed", "calculated", "background", "difference"))
    assert np.allclose(fit["difference"], fit["observed"] - fit["calculated"])
    assert set(fit["phase_curves"]) == {r["name"] for r in fit["rows"]}
    # MnCO3 resolves to the preferred rhodochrosite: its other sound entries share its cell,
    # so nothing is compared; the choice says which and why.
    assert fit["compared"][1] == []
    choice = fit["choices"][1]
    assert choice["spec"] == "MnCO3" and choice["source"] == fit["rows"][1]["source"] == "amcsd:9892"
    assert choice["reason"].startswith("the preferred reference")
    assert fit["choices"][0]["reason"] == "given" and fit["choices"][0]["judgement"] is None
    assert fit["refinement"]["rwp"] == fit["rwp"]


def test_refine_references_is_the_commands(data, cli, tmp_path):
    # A synthetic mixture of RockJock's references (20 wt% corundum), as CI makes one.
    gen = ROOT / "docs/experiments/rockjock_mixture.py"
    subprocess.run([sys.executable, str(gen), "--seed", "3", "--out", str(tmp_path)], check=True, cwd=ROOT)
    truth = list(csv.DictReader(open(tmp_path / "truth_3.csv")))
    ids = [t["id"] for t in truth]
    lib = data / "references/rockjock/rockjock_library_all168.csv.gz"
    mix = tmp_path / "mixture_3.xy"
    fit = xrd.refine(str(mix), references=ids, reference_library=str(lib), standard=("CORUNDUM", 0.2))
    args = ["refine", mix, "--references", lib, "--standard", "CORUNDUM=0.2"]
    for i in ids:
        args += ["--reference", i]
    theirs = cli(*args)
    keys = ["phase", "id", "name", "kind", "weight_fraction", "weight_fraction_esd", "detection_limit",
            "scale", "shift", "rwp", "gof"]
    same_rows(fit["rows"][: len(ids)], theirs[: len(ids)], keys)
    assert not conforms(fit, Summation), conforms(fit, Summation)
    for t, row in zip(truth, fit["rows"]):
        assert row["weight_fraction"] == pytest.approx(float(t["weight_fraction"]), abs=0.01), row
    assert fit["rows"][-1]["kind"] == "rest" and abs(fit["amorphous"]) < 0.02
    assert set(fit["phase_curves"]) == set(ids)
    assert np.allclose(fit["difference"], fit["observed"] - fit["calculated"])
    # Corundum as a structure (the standard), the rest as references, in one fit.
    others = [i for i in ids if i != "CORUNDUM"]
    mixed = xrd.refine(str(mix), phases=["corundum"], references=others,
                       reference_library=str(lib), standard=("corundum", 0.2))
    args = ["refine", mix, "--phase", "corundum", "--standard", "corundum=0.2",
            "--references", lib]
    for i in others:
        args += ["--reference", i]
    same_rows(mixed["rows"], cli(*args),
              ["phase", "name", "kind", "weight_fraction", "source", "rwp"])
    assert [r["kind"] for r in mixed["rows"]] == ["structure"] + ["reference"] * len(others)
    assert not conforms(mixed, Refinement), conforms(mixed, Refinement)
    for t, row in zip(truth[1:], mixed["rows"][1:]):
        assert row["weight_fraction"] == pytest.approx(float(t["weight_fraction"]), abs=0.02), row
    with pytest.raises(ValueError, match="not in"):
        xrd.refine(str(mix), references=["UNOBTAINIUM"], reference_library=str(lib))


def test_pawley_and_ponkcs_are_the_commands(data, cli, tmp_path):
    path = str(data / MIX)
    cif = str(data / "cif/In2O3_Marezio1966.cif")
    cal = tmp_path / "bixbyite.ponkcs.json"
    fit = xrd.refine(path, phases=["pawley:" + cif, "MnCO3"], calibrate=("pawley:" + cif, 0.5002, str(cal)))
    assert [r["kind"] for r in fit["rows"]] == ["pawley", "structure"]
    assert fit["rows"][0]["weight_fraction"] == 0.0 and fit["calibration"]["zm"] > 0
    assert not conforms(fit, Refinement), conforms(fit, Refinement)
    theirs = cli("refine", "--phase", "pawley:" + cif, "--phase", "MnCO3", path)
    same_rows(fit["rows"], theirs, ["phase", "kind", "a", "c", "rwp"])
    quantified = xrd.refine(path, phases=["ponkcs:" + str(cal), "MnCO3"])
    assert quantified["rows"][0]["kind"] == "ponkcs"
    # Calibrated on this very scan: the weighed fraction comes back.
    assert quantified["rows"][0]["weight_fraction"] == pytest.approx(0.5002, abs=0.01)


def test_refine_errors(data):
    path = str(data / MIX)
    with pytest.raises(ValueError, match="no library entry"):
        xrd.refine(path, phases=["unobtainium"])
    with pytest.raises(ValueError, match="stage"):
        xrd.refine(path, phases=["MnCO3"], stages=["warp"])
    with pytest.raises(ValueError, match="standard"):
        xrd.refine(path, phases=["MnCO3"], standard=("NiO", 0.2))
    with pytest.raises(ValueError, match="at least one"):
        xrd.refine(path, phases=[])


def test_index_is_the_commands(data, cli):
    path = data / MNO
    ours = xrd.index(str(path))
    theirs = cli("index", path)
    for row in theirs:
        row["accepted"] = row["accepted"] == "yes"
        row["likely_space_groups"] = [int(g) for g in row["likely_space_groups"].split(";")]
    same_rows(ours, theirs, ["metric", "accepted", "a", "b", "c", "beta", "zero_shift",
                             "lines", "indexed", "merit", "likely_space_groups"])
    assert ours[0]["metric"] == "cubic" and 225 in ours[0]["likely_space_groups"]
    assert all(not conforms(r, IndexedCell) for r in ours), [conforms(r, IndexedCell) for r in ours]


def test_fit_peaks_is_the_commands(data, cli):
    path = data / MNO
    ours = xrd.fit_peaks(str(path))
    theirs = cli("peaks", path)
    same_rows(ours, theirs, ["peak", "two_theta", "two_theta_esd", "d", "d_esd", "height", "area",
                             "area_esd", "relative_intensity", "fwhm", "fwhm_esd",
                             "integral_breadth", "eta", "asymmetry", "background", "group"])
    # Rock salt MnO: 111, 200, 220, 311, 222, 400, 331; 200 the strongest.
    assert len(ours) == 7 and ours[1]["relative_intensity"] == 100.0
    # a / 2 = 2.2225 Å; the scan's zero shift (+0.04°) leaves the observed d 2.2208.
    assert ours[1]["d"] == pytest.approx(2.2208, abs=3e-4)
    assert all(not conforms(r, FittedLine) for r in ours), [conforms(r, FittedLine) for r in ours]
    # The fit as a whole, which the rows have no column for: as `xrd peaks` says on stderr
    # ("7 lines, Rwp 1.74 % over the fitted windows, ... 3.7 points (esds × 1.91)"); a
    # fraction, as xrd.refine's.
    assert isinstance(ours, xrd.results.PeakList) and isinstance(ours, list)
    assert ours.rwp == pytest.approx(0.0174, abs=5e-5)
    assert ours.correlation_time == pytest.approx(3.7, abs=0.05)
    assert ours.esd_factor == pytest.approx(1.91, abs=0.005)
    assert ours.warnings == []
    n = len(ours.two_theta)
    assert n > 1000 and all(len(c) == n for c in (ours.observed, ours.calculated, ours.difference))
    assert np.array_equal(ours.difference, ours.observed - ours.calculated)
    # The observed outside the fitted windows; the lines within them.
    outside = ours.difference == 0.0
    assert 0.1 < outside.mean() < 0.95
    strongest = int(np.argmax(ours.calculated))
    assert abs(ours.two_theta[strongest] - ours[1]["two_theta"]) < 0.05
    again = pickle.loads(pickle.dumps(ours))
    assert again == ours and again.rwp == ours.rwp
    assert np.array_equal(again.calculated, ours.calculated)
    with pytest.raises(ValueError, match="min_height"):
        xrd.fit_peaks(str(path), min_height=2.0)
    with pytest.raises(ValueError, match="max_group_lines"):
        xrd.fit_peaks(str(path), max_group_lines=0)
    # Thresholds in the noise: the lines under 3 esds are left out, the chains of 74, 63 and 187
    # lines are cut into groups of 16, and Python is told.
    with pytest.warns(UserWarning) as told:
        low = xrd.fit_peaks(str(path), min_height=0.001, noise_multiple=2)
    said = [str(w.message) for w in told]
    assert any("under 3 esds, left out" in w for w in said)
    assert any("187 lines whose windows overlap" in w and "fitted in 22 groups of 16 at most" in w
               for w in said), said
    assert len(low) > 7
    assert max(sum(r["group"] == g for r in low) for g in {r["group"] for r in low}) <= 16


def test_classify_is_the_commands(data, cli):
    path = data / TIO2
    ours = xrd.classify(str(path))
    theirs = cli("classify", "predict", path)[0]
    theirs["top5"] = [int(g) for g in theirs["top5"].split(";")]
    theirs["refused"] = theirs["refused"] == "yes"
    for k in ("crystal_system", "space_group", "top5", "refused", "decided_by", "phase"):
        assert ours[k] == theirs[k], k
    assert ours["certainty"] == pytest.approx(theirs["certainty"], abs=5e-4)
    assert ours["space_group"] == 141 and ours["crystal_system"] == "tetragonal"
    assert not conforms(ours, Classification), conforms(ours, Classification)


def test_work_runs_in_threads_with_the_gil_released(data):
    # Two threads identify at once; the answers are the serial ones.
    from concurrent.futures import ThreadPoolExecutor

    paths = [str(data / TIO2), str(data / MNO)]
    serial = [xrd.identify(p, refine=False) for p in paths]
    with ThreadPoolExecutor(2) as pool:
        threaded = list(pool.map(lambda p: xrd.identify(p, refine=False), paths))
    assert threaded == serial


def test_a_result_that_is_not_its_shape_is_told():
    row = {k: None for k in IndexedCell.__annotations__}
    problems = conforms({**row, "extra": 1}, IndexedCell)
    assert "unknown `extra`" in problems and any(p.startswith("`a`") for p in problems)
    assert conforms({}, IndexedCell)[0] == "missing `a`"


def test_refine_joint_xray_and_neutron(data):
    """GSAS-II's PbSO4 test: the Cu Kα and D1A neutron patterns refined together, as
    `xrd refine --joint`: one set of sites, each pattern's Rwp, the refined CIF."""
    d = data / "structure" / "pbso4"
    fit = xrd.refine(
        [str(d / "PBSO4.XRA"), str(d / "PBSO4.CWN")],
        phases=[str(d / "PbSO4-Wyckoff.cif")],
        instrument=[str(d / "INST_XRY.PRM"), str(d / "inst_d1a.prm")],
        two_theta_range=[(16.0, 110.0), (19.0, 120.0)],
        joint=True,
    )
    x, n = fit["histograms"]
    assert x["rwp"] < 0.1341 and n["rwp"] < 0.0636
    # The neutron file's can in transmission: an offset along the beam beside the one across.
    assert n["refinement"]["instrument"]["geometry"] == "debye_scherrer"
    assert x["refinement"]["instrument"]["geometry"] == "bragg_brentano"
    assert "displacement_along" in n["refinement"]
    assert [s["label"] for s in fit["sites"]] == ["Pb", "S", "O1", "O2", "O3"]
    pb = fit["sites"][0]
    assert abs(pb["xyz"][0] - 0.1878) < 0.001 and pb["xyz_esd"][0] > 0
    assert x["refinement"]["phases"][0]["sites"] == n["refinement"]["phases"][0]["sites"]
    (cif,) = fit["cifs"].values()
    assert "_atom_site_fract_x" in cif and "_pd_meas_intensity_total" in cif
    with pytest.raises(ValueError):
        xrd.refine(str(d / "PBSO4.XRA"), phases=["x.cif"], instrument=["a.prm", "b.prm"])
