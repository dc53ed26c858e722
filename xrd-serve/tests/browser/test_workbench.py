"""Browser test of `xrd serve`: Playwright drives Debian's chromium (headless) through the page.

Opens a dara_dev scan by upload, refines NiO + Bi2O3, reads the phase table, refines again,
undoes, exports the CSV and compares it (and fit.csv) with what the exported `xrd refine`
command writes; every bad input shows its error where it was made; the security checks of the
HTTP API; the page's compressed size and the draw time of a 12,799-point frame; a RockJock
summation without phases (its CSV against the exported command's); the phase input's
suggestions; an identification of the In2O3 + MnCO3 mixture with an elements filter, its phases
refined less one; its peak list against the exported `xrd peaks` command; the second pattern
of a two-bank GSAS file picked, its peak list and command; a batch over a
folder with a corrupt file; a second tab during a series; the
series' charts and heat map (a click on each opening a frame; a cut frame a gap, a flag ringed).
Saves the screenshots docs/figures/serve-refined.png, serve-identify.png, serve-peaks.png and
serve-series.png.

Environment: XRD_BIN (the `xrd` binary), XRD_DATA (../shared/data), CHROMIUM (/usr/bin/chromium).
"""

import csv
import gzip
import io
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
XRD = os.environ.get("XRD_BIN", str(REPO / "target" / "debug" / "xrd"))
DATA = Path(os.environ.get("XRD_DATA", REPO.parent / "shared" / "data"))
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
SCAN = DATA / "measured/dara_dev/NiO_0p6007-Bi2O3_0p4008--8min.xrdml"
SERIES = DATA / "series/cucr2o4_11bm"
FIGURES = REPO / "docs" / "figures"
MIXTURE = "dara_dev/In2O3_0p5002-MnCO3_0p5000--8min.xrdml"
# Identification's reference patterns: the workspace's cache, as `xrd identify` run from the
# repository uses (XRD_SERVE_CACHE=an empty folder measures a cold start: 3-5 s for Cu Kα on
# the 2-core development VM, so the test searches the whole built-in library even cold).
CACHE = Path(os.environ.get("XRD_SERVE_CACHE", REPO / "target" / "xrd-cache"))
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
# Budgets of the issue: the page compressed, and one frame's first draw.
MAX_PAGE_KB = 300
MAX_EXTRA_MS = 150  # the page's fit may take this much longer than the command line's
MAX_DRAW_MS = 50
EMPTY_CIF = ("data_empty\n_cell_length_a 4.0\n_cell_length_b 4.0\n_cell_length_c 4.0\n"
             "_cell_angle_alpha 90\n_cell_angle_beta 90\n_cell_angle_gamma 90\n"
             "_symmetry_space_group_name_H-M 'P m -3 m'\n")

failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what, flush=True)
    if not ok:
        failures.append(what)


def start_server(*paths, max_upload=2):
    t0 = time.perf_counter()
    p = subprocess.Popen([XRD, "serve", *map(str, paths), "--max-upload", str(max_upload), "--cache", str(CACHE)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = p.stdout.readline()
    m = re.search(r"(http://127\.0\.0\.1:(\d+)/\?token=([0-9a-f]+))", line)
    if not m:
        p.kill()
        sys.exit(f"xrd serve printed no URL: {line!r} {p.stderr.read()}")
    # From the process's start to the page served (the library loads in the background).
    status, _ = http(int(m.group(2)), "/")
    started_in = time.perf_counter() - t0
    check(status == 200, f"the page served {1000 * started_in:.0f} ms after the start (≤ 500)")
    check(started_in <= 0.5, "the page ready within 0.5 s")
    return p, m.group(1), int(m.group(2)), m.group(3)


def http(port, path, token=None, method="GET", body=None, headers=None):
    """(status, body) of a request with the given headers; Host set as asked."""
    import http.client
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    h = {"Host": f"127.0.0.1:{port}"}
    if token:
        h["X-Xrd-Token"] = token
    h.update(headers or {})
    try:
        c.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        for k, v in h.items():
            c.putheader(k, v)
        c.endheaders()
        if body:
            c.send(body)
        r = c.getresponse()
        return r.status, r.read().decode("utf-8", "replace")
    except (ConnectionError, OSError) as e:
        return None, str(e)
    finally:
        c.close()


def security(port, token):
    s, _ = http(port, "/api/files")
    check(s == 403, f"no token: 403 (got {s})")
    s, _ = http(port, "/api/files", "0" * 32)
    check(s == 403, f"wrong token: 403 (got {s})")
    s, _ = http(port, "/api/files", token, headers={"Host": f"rebind.example:{port}"})
    check(s == 421, f"foreign Host: 421 (got {s})")
    s, _ = http(port, "/api/refine", token, "POST", b"{}", {"Origin": "http://evil.example", "Content-Length": "2"})
    check(s == 403, f"cross-site Origin: 403 (got {s})")
    s, b = http(port, "/api/pattern?file=dara_dev/../../../../etc/passwd", token)
    check(s == 403, f"traversal: 403 (got {s} {b[:80]})")
    s, b = http(port, "/api/upload?name=big.xy", token, "POST", b"1" * 4096,
                {"Content-Length": str(5_000_000)})
    check(s == 413, f"upload over --max-upload: 413 (got {s} {b[:80]})")
    s, _ = http(port, "/api/files", token)
    check(s == 200, "still serving")


def page_size(port):
    total = 0
    for path in ["/", "/assets/app.js", "/assets/app.css", "/assets/uPlot.iife.min.js", "/assets/uPlot.min.css"]:
        s, body = http(port, path)
        total += len(gzip.compress(body.encode()))
    return total / 1024


def rows(text):
    return list(csv.DictReader(io.StringIO(text)))


def compare_tables(mine, theirs, what):
    a, b = rows(mine), rows(theirs)
    check(len(a) == len(b) and len(a) > 0, f"{what}: {len(a)} rows as xrd refine's {len(b)}")
    worst = 0.0
    for ra, rb in zip(a, b):
        for k in ra:
            if k in ("file",):
                continue
            try:
                worst = max(worst, abs(float(ra[k]) - float(rb[k])))
            except ValueError:
                check(ra[k] == rb[k], f"{what}: {k} {ra[k]!r} = {rb[k]!r}")
    check(worst <= 1e-9, f"{what}: every number as xrd refine's (largest difference {worst:g})")


def series_charts(page):
    """The series' charts (a line per phase, a point per frame) and heat map (a row per frame,
    not one colour); a click on a wt% point and on a map row each open that frame."""
    t0 = time.time()
    expect(page.get_by_test_id("series-charts")).to_be_visible()
    page.wait_for_function("() => { const w = window.xrdWorkbench; return w.seriesCharts && w.seriesCharts.x.length === 17"
                           " && w.seriesMap && w.seriesMap.rowH > 0; }", timeout=10000)
    c = page.evaluate("""() => { const v = window.xrdWorkbench.seriesCharts;
        const n = (u) => u.series.slice(1).map((_, i) => u.data[i + 1].filter((y) => y != null && isFinite(y)).length);
        return { labels: v.charts[0].series.slice(1).map((x) => x.label), wt: n(v.charts[0]), cell: n(v.charts[1]), rwp: n(v.charts[2]),
                 flagged: v.flags.filter(Boolean).length, xs: v.x }; }""")
    check(c["labels"] == ["CuCr2O4 wt%", "CuO wt%"] and c["wt"] == [17, 17] and c["cell"] == [17, 17] and c["rwp"] == [17],
          f"series charts: a line per phase, a point per frame (wt% {c['wt']}, cell {c['cell']}, Rwp {c['rwp']}; {c['flagged']} flagged)")
    check(all(a <= b for a, b in zip(c["xs"], c["xs"][1:])), "series charts: x ascending")
    page.get_by_test_id("series-cell").select_option("volume")
    vol = page.evaluate("window.xrdWorkbench.seriesCharts.charts[1].data[1]")
    check(len(vol) == 17 and all(v and 520 < v < 600 for v in vol), f"series charts: CuCr2O4 cell volume {vol[0]:.2f} Å³")
    page.get_by_test_id("series-cell").select_option("a")
    m = page.evaluate("""() => { const m = window.xrdWorkbench.seriesMap; const c = document.getElementById("series-map");
        const px = c.getContext("2d").getImageData(0, 0, c.width, c.height).data; const colours = new Set();
        for (let i = 0; i < px.length; i += 4) colours.add((px[i] << 16) | (px[i + 1] << 8) | px[i + 2]);
        return { rows: m.rows, cols: m.cols, image: [m.image.width, m.image.height], left: m.left, top: m.top, rowH: m.rowH, plotW: m.plotW,
                 colours: colours.size }; }""")
    check(m["rows"] == 17 and m["image"][1] == 17 and m["image"][0] == m["cols"] and 200 <= m["cols"] <= 2000 and m["colours"] > 50,
          f"series map: {m['rows']} rows × {m['cols']} columns, {m['colours']} colours drawn")
    # A click on the 5th point of the wt% chart opens its frame.
    page.get_by_test_id("chart-wt").scroll_into_view_if_needed()
    p = page.evaluate("""(j) => { const v = window.xrdWorkbench.seriesCharts; const u = v.charts[0];
        const r = u.over.getBoundingClientRect();
        return { x: r.left + u.valToPos(v.x[j], "x"), y: r.top + u.valToPos(v.wt[0][j], "y"), k: v.pts[j].k, frame: v.pts[j].row[0] }; }""", 4)
    page.mouse.move(p["x"], p["y"])
    expect(page.get_by_test_id("series-hover")).to_contain_text(f"frame {p['frame']} · ", timeout=2000)
    check(True, "wt% chart: the frame hovered is said")
    page.mouse.click(p["x"], p["y"])
    expect(page.get_by_test_id("results").locator("h2")).to_contain_text(f"Series frame {p['k'] + 1}:", timeout=5000)
    check(True, f"wt% chart: a click on point 5 opens frame {p['k'] + 1}")
    # Hovering a map row says its frame; a click opens it.
    at = {"x": m["left"] + m["plotW"] / 2, "y": m["top"] + 12.5 * m["rowH"]}
    page.get_by_test_id("series-map").hover(position=at)
    tip = page.locator("#tip").inner_text()
    check(tip.startswith("frame 13 · OH_") and "2θ" in tip, f"series map: hover says {tip!r}")
    page.get_by_test_id("series-map").click(position=at)
    expect(page.get_by_test_id("results").locator("h2")).to_contain_text("Series frame 13:", timeout=5000)
    check(True, f"series map: a click on row 13 opens frame 13 (charts checked in {time.time() - t0:.1f} s)")


def series_gaps_and_flags(page):
    """Three frames, the second a cut file, NiO among the phases and absent: the cut frame is a
    gap in the charts and a grey row in the map; the frame where NiO is found absent is ringed
    in red and its flag said on hover."""
    t0 = time.time()
    page.locator('#files li[data-name="series3/a_00.fxye"]').click()
    expect(page.get_by_test_id("info")).to_contain_text("12799")
    page.get_by_test_id("phase-input").fill("cucr2o4_11bm/CuCr2O4.cif, cucr2o4_11bm/CuO.cif, NiO")
    page.get_by_test_id("particle-size").fill("")
    page.get_by_test_id("instrument").select_option("cucr2o4_11bm/OH_00.prm")
    page.get_by_test_id("series").click()
    expect(page.get_by_test_id("series-table").locator("h2")).to_contain_text("3 of 3 frames", timeout=60000)
    expect(page.get_by_test_id("series")).to_be_enabled(timeout=30000)
    page.wait_for_function("() => { const w = window.xrdWorkbench; return w.seriesCharts && w.seriesCharts.x.length === 3"
                           " && w.seriesMap && w.seriesMap.id === w.seriesCharts.id && w.seriesMap.rowH > 0; }", timeout=10000)
    g = page.evaluate("""() => { const v = window.xrdWorkbench.seriesCharts;
        return { xLabel: v.xLabel, xs: v.x, wt: v.wt, starts: v.pts.map((p) => p.row[3]), flags: v.flags }; }""")
    check(g["xLabel"] == "temperature_k" and g["starts"][1] == "failed" and all(w[1] is None for w in g["wt"])
          and all(w[0] is not None and w[2] is not None for w in g["wt"]) and g["xs"][0] < g["xs"][1] < g["xs"][2],
          f"series charts: the cut frame is a gap, not a zero (x {g['xs']}, wt {g['wt']})")
    flagged = [j for j, f in enumerate(g["flags"]) if f]
    check(len(flagged) >= 1 and "absent(" in g["flags"][flagged[0]], f"series charts: flags {g['flags']}")
    if not flagged:
        return
    page.get_by_test_id("chart-wt").scroll_into_view_if_needed()
    r = page.evaluate("""(j) => { const v = window.xrdWorkbench.seriesCharts; const u = v.charts[0]; const d = devicePixelRatio;
        const cx = u.valToPos(v.x[j], "x", true), cy = u.valToPos(v.wt[0][j], "y", true);
        const ring = [...u.ctx.getImageData(Math.round(cx), Math.round(cy - 6 * d), 1, 1).data];
        const b = u.over.getBoundingClientRect();
        return { ring, x: b.left + cx / d - u.bbox.left / d, y: b.top + cy / d - u.bbox.top / d }; }""", flagged[0])
    red = r["ring"]
    check(red[0] > 180 and red[1] < 110 and red[2] < 110, f"series charts: the flagged frame ringed in red (pixel {red[:3]})")
    page.mouse.move(r["x"], r["y"])
    hover = page.get_by_test_id("series-hover")
    expect(hover).to_contain_text("absent(", timeout=2000)
    check("flagged" in (hover.get_attribute("class") or ""), f"series charts: hover says {hover.inner_text()!r}")
    grey = page.evaluate("""() => { const m = window.xrdWorkbench.seriesMap; const c = document.getElementById("series-map"); const d = devicePixelRatio;
        const at = (row) => [...c.getContext("2d").getImageData(Math.round((m.left + m.plotW / 2) * d), Math.round((m.top + (row + 0.5) * m.rowH) * d), 1, 1).data].slice(0, 3);
        return [at(0), at(1), at(2)]; }""")
    note = page.locator("#series-map-note").inner_text()
    check(grey[1] == [225, 225, 225] and grey[0] != grey[1] and grey[2] != grey[1] and "not read: frame 2" in note,
          f"series map: the cut file a grey row ({grey}), its error under the map")
    check(True, f"series of three with a cut file checked in {time.time() - t0:.1f} s")


def main():
    t_start = time.time()
    tmp = Path(tempfile.mkdtemp(prefix="xrd-serve-browser-"))
    # A small folder for the batch: two scans and a corrupt one.
    batch = tmp / "batch"
    batch.mkdir()
    two_min = DATA / "measured/dara_dev/NiO_0p6007-Bi2O3_0p4008--2min.xrdml"
    (batch / "a.xrdml").write_bytes(two_min.read_bytes())
    (batch / "b_corrupt.xrdml").write_bytes(two_min.read_bytes()[: two_min.stat().st_size // 3])
    (batch / "c.xrdml").write_bytes(SCAN.read_bytes())
    # A series of three frames, the second cut short.
    series3 = tmp / "series3"
    series3.mkdir()
    (series3 / "a_00.fxye").write_bytes((SERIES / "OH_00.fxye").read_bytes())
    (series3 / "b_cut.fxye").write_bytes((SERIES / "OH_09.fxye").read_bytes()[:3000])
    (series3 / "c_04.fxye").write_bytes((SERIES / "OH_04.fxye").read_bytes())
    # A file of two patterns: the MnO and TiO2 scans as banks 1 and 2 of a GSAS file.
    banks = tmp / "banks"
    banks.mkdir()
    gsas = ["MnO and TiO2 scans as banks"]
    for k, name in enumerate(["autoxrd_MnO.xy", "autoxrd_TiO2.xy"]):
        xy = [tuple(map(float, line.split()[:2])) for line in (DATA / "real" / name).read_text().splitlines()
              if line.strip() and line.split()[0][0].isdigit()]
        step = 100 * (xy[1][0] - xy[0][0])
        gsas.append(f"BANK {k + 1} {len(xy)} {len(xy)} CONS {100 * xy[0][0]:.4f} {step:.4f} 0 0 FXYE")
        gsas += [f"{100 * x:.4f} {y:.4f} {max(y, 1.0) ** 0.5:.4f}" for x, y in xy]
    (banks / "two.fxye").write_text("\n".join(gsas) + "\n")
    # A file of 18 patterns, more than the overlay draws: 18 slices of the MnO scan as banks.
    mno = gsas[2:2 + int(gsas[1].split()[2])]
    many = ["MnO scan in 18 slices"]
    for k in range(18):
        part = mno[k * 100:(k + 1) * 100]
        start, step = float(part[0].split()[0]), float(part[1].split()[0]) - float(part[0].split()[0])
        many.append(f"BANK {k + 1} 100 100 CONS {start:.4f} {step:.4f} 0 0 FXYE")
        many += part
    (banks / "many.fxye").write_text("\n".join(many) + "\n")
    server, url, port, token = start_server(DATA / "measured/dara_dev", SERIES, DATA / "references/rockjock", batch, series3, banks)
    timings = {}
    try:
        security(port, token)
        kb = page_size(port)
        check(kb <= MAX_PAGE_KB, f"page {kb:.0f} KB gzip-compressed (≤ {MAX_PAGE_KB})")
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
            external = []
            page.on("request", lambda r: external.append(r.url) if not r.url.startswith(f"http://127.0.0.1:{port}/") else None)
            page.goto(url)
            expect(page.get_by_test_id("files").locator("li").first).to_be_visible()

            # A 12,799-point frame: its first draw.
            frame = "cucr2o4_11bm/OH_00.fxye"
            page.locator(f'#files li[data-name="{frame}"]').click()
            expect(page.get_by_test_id("info")).to_contain_text("12799")
            draws = []
            for _ in range(3):  # the first draw warms the JIT; take the best of three
                page.get_by_test_id("reset").click()
                draws.append(page.evaluate("window.xrdWorkbench.drawMs"))
            check(min(draws) <= MAX_DRAW_MS, f"12,799-point frame drawn in {min(draws):.1f} ms (≤ {MAX_DRAW_MS}; runs {', '.join(f'{d:.1f}' for d in draws)})")
            page.get_by_test_id("axis").select_option("d")
            page.get_by_test_id("scale").select_option("sqrt")
            check(page.evaluate("window.xrdWorkbench.plot.data[0][0] < window.xrdWorkbench.plot.data[0][1]"), "d axis ascending")
            page.get_by_test_id("axis").select_option("tth")
            page.get_by_test_id("scale").select_option("lin")
            # A second frame overlaid, then stacked above the first; the view as a PNG.
            page.locator('#files li[data-name="cucr2o4_11bm/OH_04.fxye"] input').check()
            expect(page.locator("#plot .u-legend")).to_contain_text("OH_04")
            page.get_by_test_id("stack").select_option("stack")
            lows = page.evaluate("window.xrdWorkbench.plot.data.slice(1).map((c) => Math.min(...c.filter((v) => v != null)))")
            check(len(lows) == 2 and lows[1] > lows[0], f"stacked: the second pattern drawn above the first (lowest points {lows})")
            with page.expect_download() as d:
                page.get_by_test_id("export-png").click()
            check(Path(d.value.path()).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", "the view exported as a PNG")
            page.get_by_test_id("stack").select_option("over")
            page.locator('#files li[data-name="cucr2o4_11bm/OH_04.fxye"] input').uncheck()

            # Bad uploads: each error shown beside the upload.
            bad = tmp / "noise.xrdml"
            bad.write_bytes(bytes((i * 7919 + 13) % 251 for i in range(4096)))
            page.get_by_test_id("upload").set_input_files(str(bad))
            expect(page.get_by_test_id("files-error")).to_contain_text("noise.xrdml")
            cut = tmp / "cut.xrdml"
            cut.write_bytes(SCAN.read_bytes()[: SCAN.stat().st_size // 2])
            page.get_by_test_id("upload").set_input_files(str(cut))
            expect(page.get_by_test_id("files-error")).to_contain_text("cut.xrdml")
            check(True, "random bytes and a truncated XRDML refused on upload")

            # The scan, uploaded, then refined.
            page.get_by_test_id("upload").set_input_files(str(SCAN))
            expect(page.get_by_test_id("info")).to_contain_text("8282")
            expect(page.get_by_test_id("files-error")).to_be_empty()

            def refine(phases, particle="", stages=None):
                page.get_by_test_id("phase-input").fill(phases)
                page.get_by_test_id("particle-size").fill(particle)
                if stages is not None:
                    for box in page.locator("#stages input").all():
                        box.set_checked(box.get_attribute("value") in stages)
                page.get_by_test_id("refine").click()

            refine("Unobtainium")
            expect(page.get_by_test_id("refine-error")).to_contain_text("Unobtainium")
            refine("NiO, Bi2O3", "-3")
            expect(page.get_by_test_id("refine-error")).to_contain_text("particle_size")
            cif = tmp / "empty.cif"
            cif.write_text(EMPTY_CIF)
            page.get_by_test_id("upload").set_input_files(str(cif))
            refine("uploads/empty.cif")
            expect(page.get_by_test_id("refine-error")).to_contain_text("empty.cif")
            check(True, "unknown phase, negative particle size, CIF without atoms: errors at Refine")

            # Cancel: a fit cancelled frees the workbench (it may also finish first).
            page.locator('#files li[data-name="uploads/NiO_0p6007-Bi2O3_0p4008--8min.xrdml"]').click()
            refine("NiO, Bi2O3", "", ["scale", "cells", "profile", "texture"])
            expect(page.get_by_test_id("cancel")).to_be_enabled()
            page.get_by_test_id("cancel").click()
            expect(page.get_by_test_id("refine")).to_be_enabled(timeout=60000)
            status = page.get_by_test_id("status").text_content()
            check(status == "cancelled" or page.get_by_test_id("phase-table").count() == 1,
                  f"cancel: the job stopped or had finished ({status!r})")

            heading = page.get_by_test_id("results").locator("h2")
            before = heading.text_content() if heading.count() else "none"
            refine("NiO, Bi2O3", "", ["scale", "cells", "profile", "texture"])
            expect(heading).not_to_have_text(before, timeout=60000)
            expect(page.get_by_test_id("refine")).to_be_enabled(timeout=60000)
            table = page.get_by_test_id("phase-table")
            first_rows = table.locator("tbody tr")
            check(first_rows.count() == 2, "two phases in the table")
            text = table.inner_text()
            check("Bunsenite" in text and "Bismite" in text and re.search(r"\d+\.\d+\(\d+\)", text) is not None,
                  "table: NiO and Bi2O3 with esds in parentheses")
            choices = page.get_by_test_id("choices").inner_text()
            check("NiO →" in choices and "Bi2O3 →" in choices and "compared:" in choices and "Rwp" in choices,
                  f"the structures chosen for each spec, with those compared: {choices[:160]!r}")
            quality = page.get_by_test_id("quality").inner_text()
            check("wp" in quality and "GoF" in quality, f"quality line: {quality}")
            FIGURES.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(FIGURES / "serve-refined.png"), full_page=False)
            first_fit = heading.text_content()

            # Export: the CSV and the command, run and compared.
            with page.expect_download() as d:
                page.get_by_test_id("export-csv").click()
            exported = Path(d.value.path()).read_text()
            with page.expect_download() as d:
                page.get_by_test_id("export-fit").click()
            exported_fit = Path(d.value.path()).read_text()
            command = page.get_by_test_id("export-command").inner_text().strip()
            words = shlex.split(command)
            check(words[:2] == ["xrd", "refine"], f"command: {command}")
            out = tmp / "fit"
            words = [XRD] + words[1:]
            words[words.index("--out") + 1] = str(out)
            run = subprocess.run(words + ["--format", "csv", "--quiet"], capture_output=True, text=True, timeout=300)
            check(run.returncode == 0, f"exported command runs ({run.stderr.strip()[:200]})")
            compare_tables(exported, run.stdout, "table CSV")
            check(exported_fit == (out / "fit.csv").read_text(), "fit.csv identical to xrd refine --out's")
            with page.expect_download() as d:
                page.get_by_test_id("export-json").click()
            check(Path(d.value.path()).read_text() == (out / "refinement.json").read_text(),
                  "refinement.json identical to xrd refine --out's")
            with page.expect_download() as d:
                page.get_by_test_id("export-svg").click()
            svg = Path(d.value.path()).read_text()
            check(svg.startswith("<svg") and svg == (out / "rietveld.svg").read_text(),
                  "rietveld.svg identical to xrd refine --out's")

            # A second fit, then undo back to the first.
            refine("NiO, Bi2O3", "", ["scale"])
            expect(page.get_by_test_id("results").locator("h2")).not_to_have_text(first_fit, timeout=60000)
            expect(page.get_by_test_id("undo")).to_be_enabled()
            page.get_by_test_id("undo").click()
            expect(page.get_by_test_id("results").locator("h2")).to_have_text(first_fit)
            expect(page.locator("#stages input[value=cells]")).to_be_checked()
            check(page.locator("#stages input[value=cells]").is_checked(), "undo restores the first fit's stages")
            boxes = page.locator("#history [data-cmp]")
            boxes.nth(boxes.count() - 1).check()
            boxes.nth(boxes.count() - 2).check()
            page.get_by_test_id("compare").click()
            expect(page.get_by_test_id("compare-view").locator("h2")).to_have_count(2)
            check("Bunsenite wt%" in page.get_by_test_id("compare-view").inner_text(), "two fits compared side by side")
            check(page.evaluate("window.xrdWorkbench.comparePlot.series.length") == 4, "the two fits' curves overlaid")

            # Speed: a fit from the page (click to drawn result) against the same fit by the
            # command line (the whole process), median of five each.
            fast = [XRD] + shlex.split(command)[1:]
            k = fast.index("--out")
            del fast[k:k + 2]
            # Interleaved, so that a neighbour's load on a shared machine falls on both alike.
            cli, web, jobs = [], [], []
            for _ in range(5):
                t0 = time.perf_counter()
                subprocess.run(fast + ["--format", "csv", "--quiet"], capture_output=True, check=True, timeout=300)
                cli.append(1000 * (time.perf_counter() - t0))
                h = page.get_by_test_id("results").locator("h2").text_content()
                page.get_by_test_id("refine").click()
                expect(page.get_by_test_id("results").locator("h2")).not_to_have_text(h, timeout=60000)
                expect(page.get_by_test_id("refine")).to_be_enabled(timeout=60000)
                web.append(page.evaluate("window.xrdWorkbench.refineMs"))
                jobs.append(1000 * page.evaluate("window.xrdWorkbench.result.seconds"))
            cli_ms, web_ms = sorted(cli)[2], sorted(web)[2]
            # Each page fit against the command run just before it: a neighbour's load on a
            # shared machine changes both of a pair alike.
            extra = sorted(w - c for w, c in zip(web, cli))[2]
            check(extra <= MAX_EXTRA_MS,
                  f"a fit from the page {web_ms:.0f} ms (the server's job {sorted(jobs)[2]:.0f} ms) against the command line's {cli_ms:.0f} ms (medians of 5); page minus command, median of the pairs {extra:+.0f} ms (≤ +{MAX_EXTRA_MS}; runs {[round(w) for w in web]} against {[round(c) for c in cli]})")

            # Steer the next fit: hold one size (the parameter table), leave two 2θ regions out
            # (one typed, one dragged on the plot in exclude mode); the exported command says so
            # and gives the same numbers.
            page.get_by_test_id("param-filter").fill("*.size")
            rows = page.get_by_test_id("param-table").locator("tbody tr")
            check(rows.count() == 2 and all(r.get_attribute("data-param").endswith(".size") for r in rows.all()),
                  "parameter table filtered by a glob: the two sizes")
            held = rows.first.get_attribute("data-param")
            rows.first.locator("input").uncheck()
            expect(page.get_by_test_id("steer")).to_contain_text(f"fixed: {held}")
            page.get_by_test_id("exclude").fill("20-21")
            page.get_by_test_id("exclude-mode").check()
            box = page.locator("#plot .u-over").bounding_box()
            y = box["y"] + box["height"] / 2
            page.mouse.move(box["x"] + 0.60 * box["width"], y)
            page.mouse.down()
            page.mouse.move(box["x"] + 0.62 * box["width"], y, steps=4)
            page.mouse.up()
            regions = page.get_by_test_id("exclude").input_value()
            check(regions.count("-") >= 2 and regions.startswith("20-21, "), f"a dragged region joins the typed one: {regions!r}")
            page.get_by_test_id("exclude-mode").uncheck()
            page.get_by_test_id("range").fill("15-70")
            before = page.get_by_test_id("results").locator("h2").text_content()
            refine("NiO, Bi2O3", "", ["scale", "cells", "profile", "texture"])
            expect(page.get_by_test_id("results").locator("h2")).not_to_have_text(before, timeout=60000)
            expect(page.get_by_test_id("refine")).to_be_enabled(timeout=60000)
            page.get_by_test_id("param-filter").fill(held)
            row = page.locator(f'#param-table tr[data-param="{held}"]')
            check("held" in row.inner_text(), f"{held} held in the steered fit")
            command = page.get_by_test_id("export-command").inner_text().strip()
            check(f"--fix {held}" in command and command.count("--exclude") == 2 and "--range 15 70" in command,
                  f"steered command: {command}")
            with page.expect_download() as d:
                page.get_by_test_id("export-csv").click()
            steered = Path(d.value.path()).read_text()
            words = [XRD] + shlex.split(command)[1:]
            words[words.index("--out") + 1] = str(tmp / "steered")
            run = subprocess.run(words + ["--format", "csv", "--quiet"], capture_output=True, text=True, timeout=300)
            check(run.returncode == 0, f"steered command runs ({run.stderr.strip()[:200]})")
            compare_tables(steered, run.stdout, "steered table CSV")
            page.get_by_test_id("exclude").fill("")
            page.get_by_test_id("exclude").dispatch_event("change")
            page.get_by_test_id("range").fill("")
            page.get_by_test_id("param-filter").fill("")
            page.locator(f'#param-table [data-free="{held}"]').check()
            expect(page.get_by_test_id("steer")).to_be_empty()

            # Structures and a measured RockJock reference in one fit.
            page.locator('#files li[data-name="dara_dev/NiO_0p2030-Li2CO3_0p2999-TiO2_0p5025--8min.xrdml"]').click()
            expect(page.get_by_test_id("info")).to_contain_text("NiO_0p2030")
            page.get_by_test_id("references").fill("ANATASE")
            page.get_by_test_id("reference-library").select_option("rockjock/rockjock_library_all168.csv.gz")
            refine("NiO, Li2CO3", "", ["scale", "cells", "profile", "texture"])
            expect(page.get_by_test_id("reference-table")).to_contain_text("ANATASE", timeout=60000)
            check(True, "a measured reference (RockJock ANATASE) fitted beside NiO and Li2CO3")
            page.get_by_test_id("references").fill("")
            page.get_by_test_id("reference-library").select_option("")

            # References alone: a RockJock summation of the TiO2 + ZnO scan, its table and
            # its exported command run.
            page.locator('#files li[data-name="dara_dev/TiO2_0p4009-ZnO_0p6010--8min.xrdml"]').click()
            expect(page.get_by_test_id("info")).to_contain_text("TiO2_0p4009")
            page.get_by_test_id("references").fill("ANATASE, ZINCITE")
            page.get_by_test_id("reference-library").select_option("rockjock/rockjock_library_all168.csv.gz")
            refine("", "", ["scale", "cells", "profile", "texture"])
            summed = page.get_by_test_id("summation-table")
            expect(summed).to_contain_text("ZINCITE", timeout=60000)
            check(summed.locator("tbody tr").count() == 2, "summation: ANATASE and ZINCITE in the table")
            check("Summation" in page.get_by_test_id("results").locator("h2").text_content(), "summation: its heading")
            check(page.evaluate("window.xrdWorkbench.plot.series.length") == 6,
                  "summation: observed, calculated, background and each reference drawn")
            with page.expect_download() as d:
                page.get_by_test_id("export-csv").click()
            exported = Path(d.value.path()).read_text()
            check(exported.startswith("file,phase,id,name,kind,weight_fraction"), f"summation CSV header: {exported[:60]!r}")
            words = shlex.split(page.get_by_test_id("export-command").inner_text().strip())
            words = [XRD] + words[1:]
            words[words.index("--out") + 1] = str(tmp / "sum")
            run = subprocess.run(words + ["--format", "csv", "--quiet"], capture_output=True, text=True, timeout=300)
            check(run.returncode == 0, f"exported summation command runs ({run.stderr.strip()[:200]})")
            compare_tables(exported, run.stdout, "summation CSV")
            page.get_by_test_id("references").fill("")
            page.get_by_test_id("reference-library").select_option("")

            # Suggestions as a phase is typed: library entries with their judgement.
            page.get_by_test_id("phase-input").fill("")
            page.get_by_test_id("phase-input").type("rhodoch")
            suggestions = page.get_by_test_id("phase-suggestions")
            expect(suggestions.locator("li").first).to_be_visible(timeout=30000)
            check("Rhodochrosite" in suggestions.inner_text(), "suggestions: Rhodochrosite for `rhodoch`")
            suggestions.locator("li").first.dispatch_event("mousedown")
            check(page.get_by_test_id("phase-input").input_value().startswith("amcsd:"), "a suggestion puts its library id in the input")

            # Identify the In2O3 + MnCO3 mixture with an elements filter, twice (the second
            # reuses the job's reference patterns), then refine what it found less one phase.
            page.locator(f'#files li[data-name="{MIXTURE}"]').click()
            expect(page.get_by_test_id("info")).to_contain_text("In2O3_0p5002")
            page.get_by_test_id("elements").fill("In, Mn, O, C")
            panel = page.get_by_test_id("identify-results")
            for run_name in ("identify (first)", "identify (again)"):
                last = int(panel.get_attribute("data-job") or 0)
                t0 = time.time()
                page.get_by_test_id("identify").click()
                # The panel names the job it shows (no wait_for_function: the page's CSP
                # forbids evaluating strings).
                deadline = time.time() + 150
                while int(panel.get_attribute("data-job") or 0) <= last and time.time() < deadline:
                    page.wait_for_timeout(100)
                timings[run_name] = time.time() - t0
                expect(page.get_by_test_id("identify")).to_be_enabled()
                expect(panel.get_by_test_id("identify-phases")).to_be_visible()
            found = panel.get_by_test_id("identify-phases").locator("tbody tr")
            n_found = found.count()
            check(n_found >= 1, f"identify: {n_found} phase(s) found ({', '.join(f'{k} {v:.1f} s' for k, v in timings.items())})")
            check(panel.get_by_test_id("identify-candidates").locator("tbody tr").count() >= n_found, "identify: the candidates and their scores")
            check(page.get_by_test_id("identify-error").inner_text() == "", "identify: no error")
            FIGURES.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(FIGURES / "serve-identify.png"), full_page=True)
            page.get_by_test_id("use-phases").click()
            ids = [x.strip() for x in page.get_by_test_id("phase-input").input_value().split(",")]
            check(len(ids) == n_found and all(i.startswith("amcsd:") for i in ids), f"Refine these: {ids}")
            kept = ids[:-1] if len(ids) > 1 else ids
            # The identification's plot put the last fit's table away: the next table is this fit's.
            check(page.get_by_test_id("phase-table").count() == 0, "the identification replaces the last fit's table")
            refine(", ".join(kept), "", ["scale", "cells", "profile"])
            expect(page.get_by_test_id("phase-table")).to_be_visible(timeout=60000)
            expect(page.get_by_test_id("refine")).to_be_enabled(timeout=60000)
            check(page.get_by_test_id("phase-table").locator("tbody tr").count() == len(kept),
                  f"one phase removed, {len(kept)} refined")

            # The peak list of the open mixture: its table, the fit drawn, and the command shown
            # gives the same list.
            page.get_by_test_id("peaks-min").fill("2")
            page.get_by_test_id("peaks").click()
            lines = page.get_by_test_id("peaks-table").locator("tbody tr")
            expect(lines.first).to_be_visible(timeout=30000)
            n_lines = lines.count()
            check(page.get_by_test_id("peaks-error").inner_text() == "", "peak list: no error")
            words = shlex.split(page.get_by_test_id("peaks-command").inner_text().strip())
            check(words[:2] == ["xrd", "peaks"] and "--min-height" in words, f"peak list command: {words}")
            run = subprocess.run([XRD] + words[1:] + ["--format", "csv", "--quiet"], capture_output=True, text=True, timeout=120)
            listed = list(csv.DictReader(io.StringIO(run.stdout)))
            check(run.returncode == 0 and len(listed) == n_lines >= 10,
                  f"peak list: {n_lines} lines on the page, {len(listed)} from its command ({run.stderr.strip()[:200]})")
            shown = float(lines.first.locator("td").nth(1).inner_text().split("(")[0])
            check(abs(shown - float(listed[0]["two_theta"])) < 1e-3, f"peak list: the first line at {shown}° as the command's")
            page.screenshot(path=str(FIGURES / "serve-peaks.png"), full_page=True)

            # A file of two patterns: the second picked from the info panel opens as
            # banks/two.fxye#2; its peak list is TiO2's and its command reads that bank alone.
            page.locator('#files li[data-name="banks/two.fxye"]').click()
            pick = page.get_by_test_id("pattern-number")
            expect(pick).to_be_visible()
            check(pick.locator("option").count() == 2, "a file of two patterns: a choice of two")
            first_range = page.get_by_test_id("info").inner_text()
            pick.select_option("2")
            expect(page.get_by_test_id("info")).to_contain_text("banks/two.fxye#2")
            check(page.locator('#files li.open').get_attribute("data-name") == "banks/two.fxye",
                  "pattern 2: its file still marked open")
            page.get_by_test_id("peaks-min").fill("")
            page.get_by_test_id("peaks").click()
            expect(page.get_by_test_id("peaks-view")).to_contain_text("banks/two.fxye#2", timeout=30000)
            lines = page.get_by_test_id("peaks-table").locator("tbody tr")
            n_lines = lines.count()
            words = shlex.split(page.get_by_test_id("peaks-command").inner_text().strip())
            check(any(w.endswith("two.fxye#2") for w in words), f"pattern 2: the command names it ({words})")
            run = subprocess.run([XRD] + words[1:] + ["--format", "csv", "--quiet"], capture_output=True, text=True, timeout=120)
            listed = list(csv.DictReader(io.StringIO(run.stdout)))
            check(run.returncode == 0 and len(listed) == n_lines >= 5,
                  f"pattern 2: {n_lines} lines on the page, {len(listed)} from its command ({run.stderr.strip()[:200]})")
            at = [float(r["two_theta"]) for r in listed]
            check(any(abs(t - 25.3) < 0.2 for t in at) and not any(abs(t - 40.6) < 0.2 for t in at),
                  f"pattern 2 is the TiO2 scan: anatase's 101 line, not MnO's 200 ({at[:4]} …)")
            page.get_by_test_id("pattern-number").select_option("1")
            expect(page.get_by_test_id("info")).to_contain_text("banks/two.fxye#1")
            check(page.get_by_test_id("info").inner_text().replace("two.fxye#1", "two.fxye") == first_range,
                  "pattern 1 again: the same as the file opened")
            # Its overlay box overlays each of its patterns, pattern 1 (open) drawn once.
            page.locator('#files li[data-name="banks/two.fxye"] input').check()
            labels = "window.xrdWorkbench.plot.series.slice(1).map((s) => s.label)"
            page.wait_for_function(f"{labels}.length === 2", timeout=10000)
            check(page.evaluate(labels) == ["two.fxye#1", "two.fxye#2"],
                  f"overlay of a file of two: both its patterns ({page.evaluate(labels)})")
            page.screenshot(path=str(FIGURES / "serve-patterns.png"), full_page=True)
            page.locator('#files li[data-name="banks/two.fxye"] input').uncheck()
            page.wait_for_function(f"{labels}.length === 1", timeout=10000)
            # A file of 18: its first 16 overlaid, and a note (not an error) says so.
            page.locator('#files li[data-name="banks/many.fxye"] input').check()
            many_labels = f"{labels}.filter((l) => l.startsWith('many.fxye'))"
            # Polled from here: the page's policy forbids the eval a polled wait_for_function uses.
            for _ in range(200):
                if len(page.evaluate(many_labels)) >= 16:
                    break
                page.wait_for_timeout(100)
            check(page.evaluate(many_labels) == [f"many.fxye#{k}" for k in range(1, 17)],
                  f"overlay of a file of 18: its first 16 ({page.evaluate(many_labels)[:2]} …)")
            expect(page.get_by_test_id("files-note")).to_contain_text("the first 16 of its 18 patterns")
            expect(page.get_by_test_id("files-error")).to_be_empty()
            # Another file overlaid and taken off: the note stays while the 16 are drawn.
            page.locator('#files li[data-name="banks/two.fxye"] input').check()
            page.locator('#files li[data-name="banks/two.fxye"] input').uncheck()
            expect(page.get_by_test_id("files-note")).to_contain_text("the first 16 of its 18 patterns")
            page.locator('#files li[data-name="banks/many.fxye"] input').uncheck()
            for _ in range(100):
                if not page.evaluate(many_labels):
                    break
                page.wait_for_timeout(100)
            check(not page.evaluate(many_labels), "unchecked: the 16 overlays gone")
            expect(page.get_by_test_id("files-note")).to_be_empty()

            # The background check: MnO's scan (pattern 1 of two.fxye) with six Chebyshev terms
            # is told what twelve would give; refitted with twelve it gives that, and the
            # warning is gone; a hump on top goes into the exported command.
            page.locator('#files li[data-name="banks/two.fxye"]').click()
            expect(page.get_by_test_id("info")).to_contain_text("banks/two.fxye")
            page.get_by_test_id("phase-input").fill("MnO")
            page.get_by_test_id("particle-size").fill("")
            for box in page.locator("#stages input").all():
                box.set_checked(box.get_attribute("value") in ["scale", "cells", "profile"])
            heading = page.get_by_test_id("results").locator("h2")

            def refit():
                before = heading.text_content() if heading.count() else None
                page.get_by_test_id("refine").click()
                if before is None:
                    expect(heading).to_be_visible(timeout=60000)
                else:
                    expect(heading).not_to_have_text(before, timeout=60000)
                expect(page.get_by_test_id("refine")).to_be_enabled(timeout=60000)
                return float(re.search(r"wp\s*([\d.]+) %", page.get_by_test_id("quality").inner_text()).group(1))

            rwp6 = refit()
            advice = page.get_by_test_id("fit-warnings")
            expect(advice).to_contain_text("12 Chebyshev terms instead of 6")
            about = float(re.search(r"to about ([\d.]+) %", advice.inner_text()).group(1))
            # A field that holds no whole number is said, not sent as the default.
            page.get_by_test_id("background").fill("twelve")
            page.get_by_test_id("refine").click()
            expect(page.get_by_test_id("refine-error")).to_contain_text("Background terms: “twelve” is not a whole number")
            page.get_by_test_id("background").fill("12")
            rwp12 = refit()
            left = page.get_by_test_id("results").inner_text()
            check(abs(rwp12 - about) <= 0.05 and "Chebyshev terms" not in left,
                  f"background check: Rwp {rwp6} % with 6 terms, told about {about} % with 12; refitted with 12 "
                  f"{rwp12} %, the advice gone")
            page.get_by_test_id("humps").fill("1")
            refit()
            words = shlex.split(page.get_by_test_id("export-command").inner_text().strip())
            check(words[words.index("--background") + 1] == "12" and words[words.index("--humps") + 1] == "1",
                  "background check: the exported command carries --background 12 --humps 1")
            page.get_by_test_id("background").fill("")
            page.get_by_test_id("humps").fill("")

            # A batch over a folder of three files, one corrupt: its error in its row, the
            # other two refined.
            page.locator('#files li[data-name="batch/a.xrdml"]').click()
            expect(page.get_by_test_id("info")).to_contain_text("a.xrdml")
            page.get_by_test_id("phase-input").fill("NiO, Bi2O3")
            for box in page.locator("#stages input").all():
                box.set_checked(box.get_attribute("value") in ["scale", "cells"])
            page.get_by_test_id("batch-mode").select_option("refine")
            page.get_by_test_id("batch").click()
            table = page.get_by_test_id("batch-table")
            expect(table.locator("h2")).to_contain_text("3 of 3 files", timeout=120000)
            expect(page.get_by_test_id("batch")).to_be_enabled(timeout=30000)
            failed = table.locator("tr.failed")
            check(failed.count() == 1 and "b_corrupt" in failed.inner_text(), "batch: the corrupt file's row shows its error")
            good = table.locator("tbody tr:not(.failed)")
            files = {good.nth(k).get_attribute("data-file") for k in range(good.count())}
            check(good.count() == 4 and files == {"batch/a.xrdml", "batch/c.xrdml"},
                  f"batch: two phases of each of the other two files ({good.count()} rows)")

            series_gaps_and_flags(page)

            # Two tabs: the second sees the first's upload; the first's series shows as busy
            # there (its own refine gets 409), and its table appears there when done.
            other = browser.new_page(viewport={"width": 1400, "height": 1000})
            other.goto(url)
            expect(other.locator('#files li[data-name="uploads/NiO_0p6007-Bi2O3_0p4008--8min.xrdml"]')).to_be_visible()
            other.locator(f'#files li[data-name="{MIXTURE}"]').click()
            expect(other.get_by_test_id("info")).to_contain_text("In2O3_0p5002")
            other.get_by_test_id("phase-input").fill("NiO")

            # The series folder, refined frame by frame; a click on a frame opens it.
            page.locator('#files li[data-name="cucr2o4_11bm/OH_00.fxye"]').click()
            expect(page.get_by_test_id("info")).to_contain_text("12799")
            page.get_by_test_id("phase-input").fill("cucr2o4_11bm/CuCr2O4.cif, cucr2o4_11bm/CuO.cif")
            page.get_by_test_id("particle-size").fill("")
            page.get_by_test_id("instrument").select_option("cucr2o4_11bm/OH_00.prm")
            page.get_by_test_id("series").click()
            expect(page.get_by_test_id("status")).to_contain_text("series")
            # Its own refine at once. Its button may already be disabled (the tab looks once a
            # second and may have seen the series; a click would then wait for the series to
            # end and get no 409), so the button's handler runs as a click would run it.
            other.evaluate("() => { const b = document.getElementById('refine'); b.disabled = false; b.click(); }")
            expect(other.get_by_test_id("refine-error")).to_contain_text("Busy")
            # The other tab looks once a second: a series of 17 frames (2–3 s) may end before
            # it has shown it running; then its table is there instead.
            shown, seen = "", False
            for _ in range(50):
                shown = other.get_by_test_id("status").text_content() or ""
                done = other.get_by_test_id("series-table").text_content() or ""
                seen = "series" in shown or "17 of 17" in done
                if seen:
                    break
                time.sleep(0.1)
            check(seen, f"second tab: the first tab's series is busy there (409), then shown (status {shown!r})")
            series_table = page.get_by_test_id("series-table")
            expect(series_table.locator("h2")).to_contain_text("17 of 17 frames", timeout=90000)
            expect(other.get_by_test_id("series-table").locator("h2")).to_contain_text("17 of 17 frames", timeout=30000)
            check(True, "second tab: the series' table appears when it ends")
            other.close()
            expect(page.get_by_test_id("series")).to_be_enabled(timeout=30000)
            check(series_table.locator("tbody tr").count() == 17, "series: 17 frames in the table")
            # What the command prints as `note:` lines: here some of the 17 frames' backgrounds
            # miss a slow part.
            notes = page.get_by_test_id("series-notes").locator("li").all_inner_texts()
            check(len(notes) == 1 and re.match(r"\d+ of 17 frames: the background misses a slow part", notes[0]),
                  f"series: its notes shown ({notes[0][:60] if notes else notes}…)")
            series_charts(page)
            series_table.locator("tbody tr").nth(8).click()
            expect(page.get_by_test_id("results").locator("h2")).to_contain_text("Series frame 9")
            check(page.get_by_test_id("phase-table").locator("tbody tr").count() == 2, "series frame: two phases")
            warned = page.get_by_test_id("frame-warnings").locator("li").all_inner_texts()
            check(any("are correlated" in w for w in warned), f"series frame: its fit's warnings shown ({warned})")
            check(page.evaluate("window.xrdWorkbench.plot.series.some((s) => s.label === 'calculated')"),
                  "series frame: its fit drawn again (calculated curve) from the state the series kept")
            page.screenshot(path=str(FIGURES / "serve-series.png"), full_page=True)
            check(not external, f"no request leaves the server ({external[:3]})")
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=10)
    for k, v in timings.items():
        print(f"{k}: {v:.1f} s from the click to the panel")
    print(f"{len(failures)} failed, in {time.time() - t_start:.1f} s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
