"""The bindings against the job layer (xrd-jobs): every option of a job is a keyword, the
result TypedDicts have the rows' columns, a missing file is XrdFileNotFoundError on every path,
and ``progress=`` hears a job and can stop it."""

import inspect

import pytest

import xrd
from xrd import _xrd
from xrd.results import IdentifiedPhase, RefinementRow, SummationRow

MIX = "measured/dara_dev/In2O3_0p5002-MnCO3_0p5000--8min.xrdml"


@pytest.mark.parametrize(
    "job, function",
    [
        ("refine", xrd.refine),
        ("identify", xrd.identify),
        ("series", _xrd.refine_series),
        ("simulate", xrd.simulate),
        ("index", xrd.index),
        ("peaks", xrd.fit_peaks),
        ("classify", xrd.classify),
    ],
)
def test_every_option_is_a_keyword(job, function):
    fields = set(xrd._options_fields(job))
    keywords = set(inspect.signature(function).parameters)
    assert fields, job
    assert fields <= keywords, sorted(fields - keywords)
    # And no keyword that is not an option, but the inputs and how the call is steered.
    own = {"pattern", "files", "calibrate", "out", "progress", "offset", "joint"}
    assert keywords - own <= fields, sorted(keywords - own - fields)


def test_the_typed_rows_are_the_jobs_columns():
    assert list(RefinementRow.__annotations__) == xrd._row_columns("refinement")
    assert list(SummationRow.__annotations__) == xrd._row_columns("summation")
    assert list(IdentifiedPhase.__annotations__) == xrd._row_columns("identify")
    with pytest.raises(ValueError):
        xrd._row_columns("nothing")


def test_a_missing_file_is_file_not_found_on_every_path(data, tmp_path):
    path = str(data / MIX)
    missing = str(tmp_path / "missing.cif")
    with pytest.raises(xrd.XrdFileNotFoundError):
        xrd.refine(path, phases=[missing])
    with pytest.raises(xrd.XrdFileNotFoundError):
        xrd.refine(path, phases=["MnCO3"], instrument=str(tmp_path / "missing.json"))
    with pytest.raises(xrd.XrdFileNotFoundError):
        xrd.refine(path, references=["QUARTZ"], reference_library=str(tmp_path / "refs.csv"))
    with pytest.raises(xrd.XrdFileNotFoundError):
        xrd.refine(path, phases=["ponkcs:" + str(tmp_path / "x.ponkcs.json")])
    with pytest.raises(xrd.XrdFileNotFoundError):
        _xrd.refine_series([path], [missing])
    with pytest.raises(xrd.XrdFileNotFoundError):
        xrd.simulate(missing)
    with pytest.raises(xrd.XrdFileNotFoundError):
        _xrd.refine_series([path], ["MnCO3"], order=str(tmp_path / "order.csv"))


def test_options_are_checked_alike(data):
    path = str(data / MIX)
    with pytest.raises(xrd.InvalidParameterError, match="polarisation"):
        xrd.refine(path, phases=["MnCO3"], polarisation=1.5)
    with pytest.raises(xrd.InvalidParameterError, match="capillary"):
        xrd.refine(path, phases=["MnCO3"], capillary=-1.0)
    with pytest.raises(xrd.InvalidParameterError, match="capillary"):
        _xrd.refine_series([path], ["MnCO3"], capillary=-1.0)
    with pytest.raises(xrd.InvalidParameterError, match="geometry"):
        xrd.refine(path, phases=["MnCO3"], geometry="cone")
    with pytest.raises(xrd.InvalidParameterError, match="geometry"):
        _xrd.refine_series([path], ["MnCO3"], geometry="cone")
    with pytest.raises(xrd.InvalidParameterError, match="texture_harmonics"):
        xrd.refine(path, phases=["MnCO3"], texture_harmonics=5)


def test_progress_hears_the_job_and_its_exception_stops_it(data):
    path = str(data / MIX)
    heard = []
    xrd.refine(path, phases=["MnCO3", "In2O3"], stages=["scale"], progress=lambda *e: heard.append(e))
    assert heard and heard[-1][0] == "patterns", heard

    class Stop(Exception):
        pass

    def stop(*event):
        raise Stop(event)

    with pytest.raises(Stop):
        xrd.refine(path, phases=["MnCO3", "In2O3"], stages=["scale"], progress=stop)
