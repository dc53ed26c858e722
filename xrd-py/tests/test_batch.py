"""xrd.batch on a Dask LocalCluster with two workers: the serial loop's rows."""

import shutil

import pytest

import xrd

FILES = ["real/autoxrd_TiO2.xy", "real/autoxrd_MnO.xy", "real/autoxrd_Mn2O3.xy",
         "real/autoxrd_Li2MnO3_MnO_TiO2.xy"]


@pytest.fixture(scope="module")
def folder(data, tmp_path_factory):
    d = tmp_path_factory.mktemp("scans")
    for f in FILES:
        shutil.copy(data / f, d)
    (d / "broken.xy").write_text("this is not a pattern\n")
    return d


def test_dask_matches_the_serial_loop(folder):
    distributed = pytest.importorskip("dask.distributed")
    serial = xrd.batch(folder, "identify")
    assert len(serial) >= len(FILES)
    bad = serial[serial.file.str.endswith("broken.xy")]
    assert len(bad) == 1 and isinstance(bad.error.iloc[0], str)
    ok = serial[serial.error.isna()]
    assert set(ok.file) == {str(folder / f.split("/")[1]) for f in FILES}
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        parallel = xrd.batch(folder, "identify", client)
    assert parallel.equals(serial)


def test_batch_of_other_functions(folder):
    rows = xrd.batch([folder / "autoxrd_MnO.xy"], "index")
    assert rows.metric.iloc[0] == "cubic"
    rows = xrd.batch([folder / "autoxrd_TiO2.xy"], "refine", phases=["anatase", "rutile"])
    assert list(rows.name) == ["Anatase", "Rutile"]
    with pytest.raises(ValueError, match="function"):
        xrd.batch(folder, "simulate")
