// The xrd workbench page: files, patterns drawn with uPlot, refinement through the server's job
// API, history and export. No framework; every server call carries the token of the URL.
"use strict";
(() => {
  // The token leaves the address bar (and the history) once read; the tab keeps it.
  const token = new URLSearchParams(location.search).get("token") || sessionStorage.getItem("xrd-token") || "";
  if (token) {
    sessionStorage.setItem("xrd-token", token);
    history.replaceState(null, "", location.pathname);
  }
  const $ = (id) => document.getElementById(id);
  const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22"];
  // Patterns of one file of several overlaid at most (a file of rows may hold thousands).
  const OVERLAY_MAX = 16;
  const state = {
    files: [],
    open: null, // name of the pattern shown
    overlay: new Set(),
    overlayNoted: null, // the file whose overlays the files' note is about
    patterns: new Map(), // name -> pattern JSON
    result: null,
    history: null,
    polling: null,
    plot: null,
    diff: null,
    drawMs: null,
    frameFit: null,
    identified: null,
    seenJob: null, // the last job this tab has shown (a job of another tab is shown when it ends)
    watching: false, // this tab polls a running job
    filesKey: "",
    fix: new Set(), // parameter ids the next fit holds
    free: new Set(), // parameter ids the next fit refines beyond its plan
  };
  window.xrdWorkbench = state;

  // ---- server calls ------------------------------------------------------------------------
  async function api(path, options = {}) {
    const headers = Object.assign({ "X-Xrd-Token": token }, options.headers || {});
    const r = await fetch(path, Object.assign({}, options, { headers }));
    const type = r.headers.get("content-type") || "";
    const body = type.includes("json") ? await r.json() : await r.text();
    if (!r.ok) {
      const message = body && body.error ? body.error : `HTTP ${r.status}`;
      const e = new Error(message);
      e.status = r.status;
      throw e;
    }
    return body;
  }
  const url = (path, params) => `${path}?${new URLSearchParams(Object.assign({ token }, params))}`;
  const say = (id, text) => { $(id).textContent = text || ""; };
  const busyText = (e) => (e.status === 409 ? `Busy: ${e.message}` : e.message);

  // ---- numbers -----------------------------------------------------------------------------
  // A value with its esd in parentheses, in the last digits: 0.6012(31).
  function esd(v, s) {
    if (v == null || !isFinite(v)) return "";
    if (!(s > 0) || !isFinite(s)) return v.toFixed(4);
    let d = Math.max(0, Math.min(8, 1 - Math.floor(Math.log10(s))));
    let e = Math.round(s * 10 ** d);
    if (e >= 100 && d > 0) { d -= 1; e = Math.round(s * 10 ** d); }
    return `${v.toFixed(d)}(${e})`;
  }
  const fix = (v, d) => (v == null || !isFinite(v) ? "" : v.toFixed(d));
  const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

  // ---- axes and intensity transforms -------------------------------------------------------
  function lambda() {
    const p = state.patterns.get(state.open);
    if (p && p.alpha1) return p.alpha1;
    const w = parseFloat($("wavelength").value);
    return isFinite(w) && w > 0 ? w : 1.5406; // Cu Kα1, as the refinement assumes
  }
  function toAxis(tth) {
    const mode = $("axis").value;
    if (mode === "tth") return tth;
    const l = lambda();
    const s = Math.sin((tth * Math.PI) / 360);
    return mode === "d" ? l / (2 * s) : (4 * Math.PI * s) / l;
  }
  // The 2θ of an axis value (the inverse of toAxis).
  function fromAxis(x) {
    const mode = $("axis").value;
    if (mode === "tth") return x;
    const l = lambda();
    const s = mode === "d" ? l / (2 * x) : (x * l) / (4 * Math.PI);
    return (360 / Math.PI) * Math.asin(Math.min(1, Math.max(-1, s)));
  }
  function yScale(y) {
    const mode = $("scale").value;
    if (mode === "sqrt") return Math.sign(y) * Math.sqrt(Math.abs(y));
    if (mode === "log") return Math.log10(Math.max(y, 1));
    return y;
  }
  const axisLabel = () => ({ tth: "2θ (°)", d: "d (Å)", q: "Q (Å⁻¹)" })[$("axis").value];
  const yLabel = () => ({ lin: "counts", sqrt: "√counts", log: "log₁₀ counts" })[$("scale").value];

  // Columns in ascending x (d runs backwards in 2θ).
  function columns(x, ys) {
    const xs = x.map(toAxis);
    // null: no value there (a gap in the curve, whatever the intensity scale).
    const cols = [xs, ...ys.map((y) => y.map((v) => (v == null ? null : yScale(v))))];
    if (xs.length > 1 && xs[0] > xs[xs.length - 1]) cols.forEach((c) => c.reverse());
    return cols;
  }

  // ---- plots -------------------------------------------------------------------------------
  function wheelZoomPlugin() {
    return {
      hooks: {
        ready: (u) => {
          const over = u.over;
          over.addEventListener("wheel", (e) => {
            e.preventDefault();
            const { left } = u.cursor;
            const x0 = u.posToVal(left, "x");
            const { min, max } = u.scales.x;
            const f = e.deltaY < 0 ? 0.8 : 1.25;
            u.setScale("x", { min: x0 - (x0 - min) * f, max: x0 + (max - x0) * f });
          }, { passive: false });
          // Shift-drag pans.
          over.addEventListener("mousedown", (e) => {
            if (!e.shiftKey) return;
            e.preventDefault();
            e.stopPropagation();
            const { min, max } = u.scales.x;
            const start = e.clientX;
            const per = (max - min) / u.bbox.width * devicePixelRatio;
            const move = (m) => {
              const dx = (m.clientX - start) * per;
              u.setScale("x", { min: min - dx, max: max - dx });
            };
            const up = () => { document.removeEventListener("mousemove", move); document.removeEventListener("mouseup", up); };
            document.addEventListener("mousemove", move);
            document.addEventListener("mouseup", up);
          }, true);
        },
      },
    };
  }

  // ---- excluded regions --------------------------------------------------------------------
  // "26.4-26.8, 40-41" → [[26.4, 26.8], [40, 41]]; a malformed region is left to the server's
  // check, which names it.
  function regions() {
    return $("exclude").value.split(",").map((r) => r.trim()).filter(Boolean).map((r) => {
      const m = r.match(/^(-?[\d.]+)\s*[-–:]\s*(-?[\d.]+)$/);
      return m ? [Number(m[1]), Number(m[2])] : [NaN, NaN];
    });
  }
  function setRegions(list) {
    $("exclude").value = list.map(([a, b]) => `${+a.toFixed(3)}-${+b.toFixed(3)}`).join(", ");
  }
  // Drawn as grey bands under the curves; in exclude mode a drag adds one instead of zooming.
  function excludePlugin() {
    return {
      opts: (u, opts) => { if ($("exclude-mode").checked) opts.cursor.drag.setScale = false; },
      hooks: {
        drawClear: (u) => {
          const ctx = u.ctx;
          ctx.save();
          ctx.fillStyle = "rgba(120, 120, 120, 0.18)";
          for (const [a, b] of regions()) {
            if (!(isFinite(a) && isFinite(b))) continue;
            const xs = [u.valToPos(toAxis(a), "x", true), u.valToPos(toAxis(b), "x", true)];
            const left = Math.max(u.bbox.left, Math.min(...xs));
            const right = Math.min(u.bbox.left + u.bbox.width, Math.max(...xs));
            if (right > left) ctx.fillRect(left, u.bbox.top, right - left, u.bbox.height);
          }
          ctx.restore();
        },
        setSelect: (u) => {
          if (!$("exclude-mode").checked || u.select.width < 2) return;
          const a = fromAxis(u.posToVal(u.select.left, "x"));
          const b = fromAxis(u.posToVal(u.select.left + u.select.width, "x"));
          setRegions([...regions().filter(([p, q]) => isFinite(p) && isFinite(q)), [Math.min(a, b), Math.max(a, b)]]);
          u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
          u.redraw();
          showSteering();
        },
      },
    };
  }

  // Reflection ticks, one row per phase under the curves, with hkl on hover.
  function ticksPlugin(phases) {
    const rowH = 8;
    let rows = [];
    return {
      hooks: {
        draw: (u) => {
          const ctx = u.ctx;
          const { left, top, width, height } = u.bbox;
          rows = [];
          ctx.save();
          ctx.lineWidth = 1.5 * devicePixelRatio;
          phases.forEach((p, k) => {
            const y0 = top + height - (phases.length - k) * rowH * devicePixelRatio;
            ctx.strokeStyle = COLORS[(k + 2) % COLORS.length];
            const xs = [];
            ctx.beginPath();
            p.ticks.forEach((t, i) => {
              const xv = toAxis(t);
              const px = u.valToPos(xv, "x", true);
              if (px < left || px > left + width) return;
              ctx.moveTo(px, y0);
              ctx.lineTo(px, y0 + (rowH - 2) * devicePixelRatio);
              xs.push([px, i]);
            });
            ctx.stroke();
            rows.push({ y0, xs, p });
          });
          ctx.restore();
        },
        setCursor: (u) => {
          const tip = $("tip");
          const { left, top } = u.cursor;
          if (left == null || left < 0) { tip.style.display = "none"; return; }
          const cx = left * devicePixelRatio + u.bbox.left;
          const cy = top * devicePixelRatio + u.bbox.top;
          for (const r of rows) {
            if (cy < r.y0 - 2 || cy > r.y0 + rowH * devicePixelRatio + 2) continue;
            let best = null;
            for (const [px, i] of r.xs) if (Math.abs(px - cx) < 4 * devicePixelRatio && (!best || Math.abs(px - cx) < Math.abs(best[0] - cx))) best = [px, i];
            if (best) {
              const h = r.p.hkl[best[1]];
              const rect = u.over.getBoundingClientRect();
              tip.textContent = `${r.p.name} (${h.join(" ")}) ${axisLabel()} ${fix(toAxis(r.p.ticks[best[1]]), 4)}`;
              tip.style.left = `${rect.left + left + 12}px`;
              tip.style.top = `${rect.top + top + 12}px`;
              tip.style.display = "block";
              return;
            }
          }
          tip.style.display = "none";
        },
      },
    };
  }

  function destroyPlots() {
    if (state.plot) state.plot.destroy();
    if (state.diff) state.diff.destroy();
    state.plot = state.diff = null;
    $("diff").innerHTML = "";
  }

  function width() { return Math.max(400, $("plot").clientWidth || 800); }

  function draw(series, data, plugins, height) {
    const t0 = performance.now();
    let first = true;
    const opts = {
      width: width(),
      height,
      scales: { x: { time: false } },
      axes: [{ label: axisLabel() }, { label: yLabel(), size: 60 }],
      series: [{ label: axisLabel() }, ...series],
      cursor: { sync: { key: "xrd" }, drag: { x: true, y: false } },
      legend: { live: true },
      plugins,
      hooks: { draw: [() => { if (first) { first = false; state.drawMs = performance.now() - t0; } }] },
    };
    return new uPlot(opts, data, $("plot"));
  }

  function drawPatterns() {
    destroyPlots();
    // `file` and `file#1` are one pattern: drawn once.
    const same = (n) => (fileOf(n) !== n && n.endsWith("#1") ? fileOf(n) : n);
    const names = [state.open, ...[...state.overlay].filter((n) => same(n) !== same(state.open))].filter((n) => state.patterns.has(n));
    if (!names.length) return;
    const tables = names.map((n) => {
      const p = state.patterns.get(n);
      return columns(p.x, [p.y]);
    });
    // Stacked: each further pattern raised by 60 % of the largest span (after the intensity
    // transform), so that overlapping scans of a series can be read one above the other.
    if ($("stack").value === "stack" && tables.length > 1) {
      const span = Math.max(...tables.map((t) => Math.max(...t[1]) - Math.min(...t[1])));
      tables.forEach((t, k) => { if (k) t[1] = t[1].map((v) => v + 0.6 * k * span); });
    }
    state.stacked = $("stack").value === "stack" && tables.length > 1;
    const data = tables.length === 1 ? tables[0] : uPlot.join(tables);
    const series = names.map((n, k) => ({ label: n.split("/").pop(), stroke: COLORS[k % COLORS.length], width: 1, spanGaps: true, points: { show: false } }));
    const f = state.frameFit;
    const plugins = f && f.file === state.open ? [wheelZoomPlugin(), excludePlugin(), ticksPlugin(f.phases)] : [wheelZoomPlugin(), excludePlugin()];
    state.plot = draw(series, data, plugins, 420);
  }

  // Draws a fit: the last result, or a series frame's curves (`r`).
  function drawFit(r = state.result) {
    destroyPlots();
    const ys = [r.observed, r.calculated, r.background, ...r.phase_curves, ...r.reference_curves];
    const data = columns(r.two_theta, ys);
    const series = [
      { label: "observed", stroke: "#222", width: 0, points: { show: true, size: 2.5, fill: "#222" } },
      { label: "calculated", stroke: "#d62728", width: 1.2, points: { show: false } },
      { label: "background", stroke: "#888", width: 1, dash: [4, 3], points: { show: false } },
      ...r.phases.map((p, k) => ({ label: p.name, stroke: COLORS[(k + 2) % COLORS.length], width: 1, points: { show: false } })),
      ...r.references.map((x, k) => ({ label: `${x.id} (measured)`, stroke: COLORS[(r.phases.length + k + 2) % COLORS.length], width: 1, dash: [2, 2], points: { show: false } })),
    ];
    state.plot = draw(series, data, [wheelZoomPlugin(), excludePlugin(), ticksPlugin(r.phases)], 400);
    // Difference panel: its x scale follows the main plot's.
    // σ as the refinement weighs: the file's esds, else √max(y, 1).
    const sigma = (i) => (r.sigma ? r.sigma[i] : Math.sqrt(Math.max(r.observed[i], 1)));
    const dy = $("diffmode").value === "s" ? r.difference.map((d, i) => d / sigma(i)) : r.difference;
    const dx = r.two_theta.map(toAxis);
    const dd = [dx, dy.slice()];
    if (dx.length > 1 && dx[0] > dx[dx.length - 1]) dd.forEach((c) => c.reverse());
    state.diff = new uPlot({
      width: width(),
      height: 140,
      scales: { x: { time: false } },
      axes: [{ label: axisLabel() }, { label: $("diffmode").value === "s" ? "Δ/σ" : "Δ", size: 60 }],
      series: [{}, { label: $("diffmode").value === "s" ? "Δ/σ" : "obs − calc", stroke: "#2563eb", width: 1, points: { show: false } }],
      cursor: { sync: { key: "xrd" }, drag: { x: true, y: false } },
      legend: { show: false },
      hooks: { setScale: [(u, key) => { if (key === "x" && state.plot) { const { min, max } = u.scales.x; const m = state.plot.scales.x; if (m.min !== min || m.max !== max) state.plot.setScale("x", { min, max }); } }] },
    }, dd, $("diff"));
    state.plot.hooks.setScale = state.plot.hooks.setScale || [];
    state.plot.hooks.setScale.push((u, key) => {
      if (key === "x" && state.diff) { const { min, max } = u.scales.x; const m = state.diff.scales.x; if (m.min !== min || m.max !== max) state.diff.setScale("x", { min, max }); }
    });
  }

  function redraw() {
    const f = state.frameFit;
    if (state.result && state.result.file === state.open) drawFit();
    else if (f && f.fit && f.file === state.open) drawFit(f.fit);
    else drawPatterns();
  }

  // ---- files -------------------------------------------------------------------------------
  async function loadFiles() {
    try {
      const f = await api("/api/files");
      const key = f.files.join("\n");
      if (key === state.filesKey) return;
      state.filesKey = key;
      state.files = f.files;
      renderFiles();
    } catch (e) {
      say("files-error", e.message);
    }
  }

  function renderFiles() {
    const ul = $("files");
    ul.innerHTML = "";
    const inst = $("instrument");
    const keep = inst.value;
    inst.innerHTML = '<option value="">default</option>';
    for (const name of state.files) {
      const li = document.createElement("li");
      li.dataset.name = name;
      li.title = name;
      if (state.open && name === fileOf(state.open)) li.className = "open";
      const box = document.createElement("input");
      box.type = "checkbox";
      box.title = "overlay";
      box.checked = [...state.overlay].some((n) => fileOf(n) === name);
      box.addEventListener("click", (e) => { e.stopPropagation(); toggleOverlay(name, box.checked); });
      const span = document.createElement("span");
      span.textContent = name;
      li.append(box, span);
      li.addEventListener("click", () => openPattern(name));
      ul.append(li);
      if (/\.(prm|iparm|instprm|json)$/i.test(name)) {
        const o = document.createElement("option");
        o.value = name;
        o.textContent = name;
        inst.append(o);
      }
    }
    inst.value = keep;
    const lib = $("reflib");
    const keepLib = lib.value;
    lib.innerHTML = '<option value="">none</option>';
    for (const name of state.files.filter((n) => /\.csv(\.gz)?$/i.test(n))) {
      const o = document.createElement("option");
      o.value = name;
      o.textContent = name;
      lib.append(o);
    }
    lib.value = keepLib;
    // Folders of served CIF files, as libraries for identification.
    const idLib = $("id-library");
    const keepId = idLib.value;
    idLib.innerHTML = '<option value="">none</option>';
    const dirs = [...new Set(state.files.filter((n) => /\.(cif|mcif)$/i.test(n) && n.includes("/")).map((n) => n.slice(0, n.lastIndexOf("/"))))];
    for (const d of dirs) {
      const o = document.createElement("option");
      o.value = d;
      o.textContent = d;
      idLib.append(o);
    }
    idLib.value = dirs.includes(keepId) ? keepId : "";
  }

  // The served file of an open name: the name itself, or `file` of `file#k` (pattern k of a
  // file holding several, as the command line names it and the server reads it).
  function fileOf(name) {
    if (state.files.includes(name)) return name;
    const m = /^(.*)#\d+$/.exec(name);
    return m ? m[1] : name;
  }

  async function fetchPattern(name) {
    if (!state.patterns.has(name)) state.patterns.set(name, await api(url("/api/pattern", { file: name })));
    return state.patterns.get(name);
  }

  async function openPattern(name) {
    say("files-error", "");
    try {
      const p = await fetchPattern(name);
      state.open = name;
      renderInfo(p);
      renderFiles();
      redraw();
    } catch (e) {
      say("files-error", e.message);
    }
  }

  // Every overlaid pattern of the file `name` taken off.
  function dropOverlay(name) {
    for (const n of [...state.overlay]) if (fileOf(n) === name) state.overlay.delete(n);
  }

  // Checking a file overlays its pattern, or each of the patterns of a file of several (banks,
  // ranges, scans, rows) as `file#k`, the first OVERLAY_MAX of them; unchecking removes them all.
  async function toggleOverlay(name, on) {
    say("files-error", "");
    // The note of a file of many patterns stays while its overlays are drawn.
    if (name === state.overlayNoted) {
      say("files-note", "");
      state.overlayNoted = null;
    }
    try {
      if (on) {
        const p = await fetchPattern(name);
        const count = Math.min(p.patterns || 1, OVERLAY_MAX);
        const names = count > 1 ? Array.from({ length: count }, (_, k) => `${name}#${k + 1}`) : [name];
        for (const n of names) await fetchPattern(n);
        names.forEach((n) => state.overlay.add(n));
        // Not an error: said in the files' note, grey, not the red of a file that failed.
        if (p.patterns > count) {
          say("files-note", `${name}: the first ${count} of its ${p.patterns} patterns overlaid; open any one by its number`);
          state.overlayNoted = name;
        }
      } else dropOverlay(name);
      if (!state.open) state.open = name;
      state.result = state.result && state.result.file === state.open ? state.result : null;
      drawPatterns();
    } catch (e) {
      dropOverlay(name);
      say("files-error", e.message);
      renderFiles();
    }
  }

  function renderInfo(p) {
    const rows = [
      ["file", p.name], ["format", p.format], ["points", p.points + (p.decimated ? ` (drawn ${p.x.length})` : "")],
      ["2θ range", `${fix(p.range[0], 3)} – ${fix(p.range[1], 3)}°`], ["step", p.step ? `${fix(p.step, 5)}°` : "uneven"],
      ["λ", p.wavelength || "not in the file"],
    ];
    let html = rows.map(([k, v]) => `<tr><td>${esc(k)}</td><td>${esc(v)}</td></tr>`).join("");
    if (p.patterns > 1) {
      // A file of several patterns (banks, ranges, rows of an array): each opens as file#k,
      // which every action and exported command then reads alone.
      const at = p.number || 1;
      const opts = Array.from({ length: p.patterns }, (_, k) => `<option value="${k + 1}"${k + 1 === at ? " selected" : ""}>${k + 1}</option>`).join("");
      html += `<tr><td>pattern</td><td><select id="pattern-number" data-testid="pattern-number" title="the file holds ${p.patterns} patterns">${opts}</select> of ${p.patterns}</td></tr>`;
    } else {
      html += `<tr><td>patterns</td><td>${esc(p.patterns)}</td></tr>`;
    }
    $("info").innerHTML = html;
    const pick = $("pattern-number");
    if (pick) pick.addEventListener("change", () => openPattern(`${fileOf(p.name)}#${pick.value}`));
    $("wavelength").disabled = !!p.wavelength;
    $("wavelength").title = p.wavelength ? "the file gives its wavelength" : "used for the d/Q axes and the refinement";
  }

  async function uploadFiles(list) {
    say("files-error", "");
    const errors = [];
    let last = null;
    for (const file of list) {
      try {
        const r = await api(url("/api/upload", { name: file.name }), { method: "POST", body: file });
        last = r.info ? r.name : last;
      } catch (e) {
        errors.push(`${file.name}: ${busyText(e)}`);
      }
    }
    say("files-error", errors.join("\n"));
    await loadFiles();
    if (last) await openPattern(last);
  }

  // ---- refine ------------------------------------------------------------------------------
  function options() {
    const o = {
      phases: $("phases").value.split(",").map((s) => s.trim()).filter(Boolean),
      stages: [...$("stages").querySelectorAll("input:checked")].map((c) => c.value),
    };
    // A number the field does not hold is said, not sent as null (which would mean the default).
    const num = (id, key, int, label) => {
      const v = $(id).value.trim();
      if (v === "") return;
      const ok = int ? /^\d+$/.test(v) : Number.isFinite(Number(v));
      if (!ok) throw new Error(`${label}: “${v}” is not a ${int ? "whole number" : "number"}`);
      o[key] = int ? parseInt(v, 10) : Number(v);
    };
    num("particle", "particle_size", false, "Particle size");
    num("background", "background", true, "Background terms");
    num("humps", "humps", true, "Background humps");
    const harmonics = parseInt($("harmonics").value, 10);
    if (harmonics > 0) o.texture_harmonics = harmonics;
    const std = $("standard").value.trim();
    if (std) {
      const i = std.lastIndexOf("=");
      o.standard = { spec: i < 0 ? std : std.slice(0, i).trim(), weight: i < 0 ? NaN : Number(std.slice(i + 1)) };
    }
    if ($("instrument").value) o.instrument = $("instrument").value;
    const refs = $("references").value.split(",").map((r) => r.trim()).filter(Boolean);
    if (refs.length) o.references = refs;
    if ($("reflib").value) o.reference_library = $("reflib").value;
    const ex = regions();
    if (ex.length) o.exclude = ex;
    const range = $("range").value.trim();
    if (range) {
      const m = range.match(/^(-?[\d.]+)\s*[-–:]\s*(-?[\d.]+)$/);
      // A malformed range goes to the server as NaN, whose check names the option.
      o.two_theta_range = m ? [Number(m[1]), Number(m[2])] : [NaN, NaN];
    }
    if (state.fix.size) o.fix = [...state.fix];
    if (state.free.size) o.free = [...state.free];
    return o;
  }

  // The form's options, or null after saying in `box` what is wrong with them.
  function formOptions(box) {
    try {
      return options();
    } catch (e) {
      say(box, e.message);
      return null;
    }
  }

  function fillForm(request) {
    const o = request.options || {};
    $("phases").value = (o.phases || []).join(", ");
    $("stages").querySelectorAll("input").forEach((c) => { c.checked = (o.stages || []).includes(c.value); });
    $("particle").value = o.particle_size ?? "";
    $("background").value = o.background ?? "";
    $("humps").value = o.humps || "";
    $("harmonics").value = String(o.texture_harmonics || 0);
    $("standard").value = o.standard ? `${o.standard.spec}=${o.standard.weight}` : "";
    $("instrument").value = o.instrument || "";
    $("references").value = (o.references || []).join(", ");
    $("reflib").value = o.reference_library || "";
    setRegions(o.exclude || []);
    $("range").value = o.two_theta_range ? `${o.two_theta_range[0]}-${o.two_theta_range[1]}` : "";
    state.fix = new Set(o.fix || []);
    state.free = new Set(o.free || []);
    showSteering();
    if (request.wavelength) $("wavelength").value = request.wavelength;
  }

  // What the next fit changes beyond its plan, said under the form.
  function showSteering() {
    const parts = [];
    if (state.fix.size) parts.push(`fixed: ${[...state.fix].join(", ")}`);
    if (state.free.size) parts.push(`freed: ${[...state.free].join(", ")}`);
    const ex = regions();
    if (ex.length) parts.push(`${ex.length} excluded region${ex.length > 1 ? "s" : ""}`);
    $("steer").textContent = parts.length ? `Next fit: ${parts.join("; ")}` : "";
  }

  // ---- parameter table ---------------------------------------------------------------------
  // A glob (`*`, `?`) over the whole id, or a plain substring.
  function matcher(text) {
    const t = text.trim();
    if (!t) return () => true;
    if (!/[*?]/.test(t)) return (id) => id.toLowerCase().includes(t.toLowerCase());
    const re = new RegExp(`^${t.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`, "i");
    return (id) => re.test(id);
  }

  function renderParameters(r) {
    const ps = r.parameters || [];
    $("params").hidden = !ps.length;
    // Whether the plan alone refines a parameter: as the last fit did, unless that fit's own
    // request fixed or freed it.
    const asked = (r.request && r.request.options) || {};
    const planned = (p) => ((asked.fix || []).includes(p.id) ? true : (asked.free || []).includes(p.id) ? false : p.refined);
    const keep = matcher($("param-filter").value);
    const rows = ps.filter((p) => keep(p.id)).map((p) => {
      const next = state.fix.has(p.id) ? false : state.free.has(p.id) ? true : planned(p);
      const changed = next !== p.refined;
      return `<tr data-param="${esc(p.id)}"><td><input type="checkbox" data-free="${esc(p.id)}" ${next ? "checked" : ""}></td>
        <td class="t${changed ? " changed" : ""}">${esc(p.id)}</td><td>${p.refined ? esd(p.value, p.esd) : fix(p.value, 6)}</td>
        <td class="t">${p.refined ? "refined" : "held"}${p.at_bound ? " · at bound" : ""}</td></tr>`;
    }).join("");
    $("param-table").innerHTML = `<thead><tr><th>free</th><th class="t">id</th><th>value (esd)</th><th class="t">last fit</th></tr></thead><tbody>${rows}</tbody>`;
    $("param-table").querySelectorAll("[data-free]").forEach((box) => box.addEventListener("change", () => {
      const id = box.dataset.free;
      const p = ps.find((q) => q.id === id);
      if (box.checked) {
        state.fix.delete(id);
        if (!planned(p)) state.free.add(id);
      } else {
        state.free.delete(id);
        if (planned(p)) state.fix.add(id);
      }
      showSteering();
      renderParameters(r);
    }));
  }

  async function refine() {
    say("refine-error", "");
    if (!state.open) { say("refine-error", "Open a pattern first."); return; }
    const o = formOptions("refine-error");
    if (!o) return;
    const body = { file: state.open, options: o };
    const w = $("wavelength").value.trim();
    if (w && !$("wavelength").disabled) body.wavelength = w;
    state.refineStarted = performance.now();
    try {
      const r = await api("/api/refine", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
      state.seenJob = r.job;
      running(true, "refine");
      poll();
    } catch (e) {
      say("refine-error", busyText(e));
      await showJob();
    }
  }

  const DOING = { refine: "refining…", series: "refining the series…", identify: "identifying…", batch: "running the batch…" };
  const ERROR_BOX = { refine: "refine-error", series: "series-error", identify: "identify-error", batch: "batch-error" };

  function running(on, kind) {
    state.watching = on;
    if (on) $("progress").innerHTML = "";
    ["refine", "series", "identify", "batch"].forEach((id) => { $(id).disabled = on; });
    $("cancel").disabled = !on;
    say("status", on ? DOING[kind] || "working…" : "");
    updateHistoryButtons();
  }

  // With `wait`, the server answers as soon as the job has news (a new event, or its end).
  async function showJob(wait) {
    const seen = $("progress").children.length;
    const j = await api(wait ? url("/api/job", { since: seen, wait }) : "/api/job");
    $("progress").innerHTML = j.events.map((e) => `<li>${esc(e)}</li>`).join("");
    return j;
  }

  // Polls the running job (this tab's or another's) until it ends, its tables filling as it runs.
  function poll() {
    clearTimeout(state.polling);
    state.polling = setTimeout(async () => {
      try {
        const j = await showJob(1000);
        state.seenJob = j.job;
        if (j.running != null) {
          if (j.kind === "series") await loadSeries().catch(() => {});
          if (j.kind === "batch") await loadBatch().catch(() => {});
          poll();
          return;
        }
        running(false);
        await finished(j);
      } catch (e) {
        say("refine-error", e.message);
        running(false);
      }
    }, 0);
  }

  // Shows what the job `j` (just ended) left: its error where its action is, else its result.
  async function finished(j) {
    if (j.phase === "failed") say(ERROR_BOX[j.kind] || "refine-error", j.error || "failed");
    if (j.phase === "cancelled") say("status", "cancelled");
    if (j.kind === "series") await loadSeries().catch(() => {});
    if (j.kind === "batch") await loadBatch().catch(() => {});
    if (j.kind === "identify" && j.phase === "done") await loadIdentify();
    if (j.kind === "refine" && j.phase === "done") await loadResult();
    await loadHistory();
  }

  // Every second: a job started elsewhere (another tab) shows as running here, and its result
  // when it ends; files uploaded elsewhere appear.
  let ticks = 0;
  async function watch() {
    try {
      if (!state.watching) {
        const j = await api("/api/job");
        if (state.seenJob != null && j.job !== state.seenJob) {
          state.seenJob = j.job;
          if (j.running != null) {
            running(true, j.kind);
            poll();
          } else {
            await showJob();
            await finished(j);
          }
        }
        state.seenJob = j.job;
      }
      if (++ticks % 3 === 0) await loadFiles();
    } catch (e) {
      // The next tick tries again (the server may be busy or restarting).
    } finally {
      setTimeout(watch, 1000);
    }
  }

  async function cancel() {
    try { await api("/api/cancel", { method: "POST" }); } catch (e) { say("refine-error", e.message); }
  }

  async function loadResult(id) {
    const r = await api(url("/api/result", id ? { checkpoint: id } : {}));
    state.result = r;
    if (r.file !== state.open) {
      state.open = r.file;
      try { renderInfo(await fetchPattern(r.file)); } catch (e) { say("files-error", e.message); }
      renderFiles();
    }
    renderResult(r);
    drawFit();
    // Click to drawn result, which the browser test holds against the command line's time.
    if (state.refineStarted != null && !id) {
      state.refineMs = performance.now() - state.refineStarted;
      state.refineStarted = null;
      state.refinesDrawn = (state.refinesDrawn || 0) + 1;
    }
  }

  function phaseTable(phases) {
    const head = ["Phase", "Formula", "SG", "wt%", "uncorr. wt%", "det. limit", "a (Å)", "b (Å)", "c (Å)", "α", "β", "γ", "size (nm)", "strain (%)"];
    const body = phases.map((p) => {
      const c = p.cell, ce = p.cell_esd;
      return `<tr><td class="t">${esc(p.name)}</td><td class="t">${esc(p.formula)}</td><td>${p.space_group}</td>
        <td>${esd(100 * p.weight_fraction, 100 * p.weight_fraction_esd)}</td>
        <td>${p.weight_fraction_uncorrected == null ? "" : fix(100 * p.weight_fraction_uncorrected, 2)}</td>
        <td>${p.detection_limit == null ? "" : fix(100 * p.detection_limit, 2)}</td>
        ${[0, 1, 2, 3, 4, 5].map((i) => `<td>${esd(c[i], ce[i])}</td>`).join("")}
        <td>${fix(p.size_nm, 1)}</td><td>${fix(100 * p.strain, 4)}</td></tr>`;
    }).join("");
    return `<table class="compact" data-testid="phase-table"><thead><tr>${head.map((h, i) => `<th class="${i < 2 ? "t" : ""}">${h}</th>`).join("")}</tr></thead><tbody>${body}</tbody></table>`;
  }

  function referenceTable(refs) {
    if (!refs || !refs.length) return "";
    return `<table class="compact" data-testid="reference-table"><thead><tr><th class="t">Measured reference</th><th class="t">name</th><th>RIR</th><th>wt%</th><th>shift (°)</th></tr></thead><tbody>
      ${refs.map((x) => `<tr><td class="t">${esc(x.id)}</td><td class="t">${esc(x.name)}</td><td>${fix(x.rir, 3)}</td>
        <td>${x.background ? "background" : esd(100 * x.weight_fraction, 100 * x.weight_fraction_esd)}</td><td>${esd(x.shift, x.shift_esd)}</td></tr>`).join("")}</tbody></table>`;
  }

  // A summation's rows: each reference (wt% from its scale and RIR), then the amorphous or
  // unaccounted rest that an internal standard reveals.
  function summationTable(rows) {
    return `<table class="compact" data-testid="summation-table"><thead><tr><th class="t">Reference</th><th class="t">name</th><th class="t">kind</th><th>wt%</th><th>det. limit</th><th>scale</th><th>shift (°)</th></tr></thead><tbody>
      ${rows.map((x) => `<tr><td class="t">${esc(x.id || "")}</td><td class="t">${esc(x.name)}</td><td class="t">${esc(x.kind)}</td>
        <td>${esd(100 * x.weight_fraction, 100 * x.weight_fraction_esd)}</td><td>${x.detection_limit == null ? "" : fix(100 * x.detection_limit, 2)}</td>
        <td>${x.scale == null ? "" : fix(x.scale, 5)}</td><td>${x.shift == null ? "" : fix(x.shift, 4)}</td></tr>`).join("")}</tbody></table>`;
  }

  // Which structure each phase spec was refined with, why, what the library knows against it,
  // and the structures compared by a short fit (best Rwp first).
  function choicesList(r) {
    const choices = r.choices || [];
    if (!choices.length) return "";
    const tried = (spec) => ((r.compared || []).find((c) => c.spec === spec) || { tried: [] }).tried;
    const items = choices.map((c) => {
      const t = tried(c.spec).map((f) => `${esc(f.name)} (${esc(f.source)}, sg ${f.space_group}) ${f.rwp == null ? esc(f.error || "failed") : `Rwp ${fix(100 * f.rwp, 2)} %`}`);
      return `<li><b>${esc(c.spec)}</b> → ${esc(c.source)}: ${esc(c.reason)}${c.judgement ? `; ${esc(c.judgement)}` : ""}${t.length ? `<br><span class="hint">compared: ${t.join(" · ")}</span>` : ""}</li>`;
    }).join("");
    return `<h3>Structures chosen</h3><ul class="notes" data-testid="choices">${items}</ul>`;
  }

  function renderResult(r) {
    state.frameFit = null;
    const warnings = r.warnings.length ? `<ul class="warnings" data-testid="fit-warnings">${r.warnings.map((w) => `<li>${esc(w)}</li>`).join("")}</ul>` : "";
    const summation = r.mode === "summation";
    const tables = summation ? summationTable(r.rows) : phaseTable(r.phases) + referenceTable(r.references);
    $("results").innerHTML = `<h2>${summation ? "Summation" : "Fit"} ${r.checkpoint}: ${esc(r.file)}</h2>
      <div class="quality" data-testid="quality">R<sub>wp</sub> <b>${fix(100 * r.rwp, 2)} %</b> · R<sub>p</sub> ${fix(100 * r.rp, 2)} % · GoF <b>${fix(r.gof, 2)}</b> · ${summation ? `references of ${esc(r.library)}` : `λ ${esc(r.wavelength)}`} · ${fix(r.seconds, 1)} s
      ${r.amorphous == null ? "" : ` · amorphous ${fix(100 * r.amorphous, 2)} %`}</div>
      ${tables}${warnings}${summation ? "" : choicesList(r)}`;
    $("export").hidden = false;
    $("export-json").download = summation ? "quantification.json" : "refinement.json";
    $("export-json").textContent = $("export-json").download;
    $("export-csv").href = url("/api/export", { what: "csv", checkpoint: r.checkpoint });
    $("export-fit").href = url("/api/export", { what: "fit", checkpoint: r.checkpoint });
    $("export-json").href = url("/api/export", { what: "json", checkpoint: r.checkpoint });
    $("export-svg").href = url("/api/export", { what: "svg", checkpoint: r.checkpoint });
    $("export-command").textContent = r.command;
    $("export-python").textContent = r.python;
    renderParameters(r);
  }

  // ---- history -----------------------------------------------------------------------------
  async function loadHistory() {
    const h = await api("/api/history");
    state.history = h;
    $("history").innerHTML = `<tr><th></th><th>#</th><th class="t">phases</th><th>R<sub>wp</sub> %</th><th>GoF</th></tr>` +
      h.checkpoints.map((c) => `<tr class="${c.id === h.current ? "current" : ""}" data-id="${c.id}">
        <td><input type="checkbox" data-cmp="${c.id}"></td><td><a href="#" data-open="${c.id}">${c.id}</a></td>
        <td class="t">${esc(c.phases.join(", "))}</td><td>${fix(100 * c.rwp, 2)}</td><td>${fix(c.gof, 2)}</td></tr>`).join("");
    $("history").querySelectorAll("[data-open]").forEach((a) => a.addEventListener("click", (e) => { e.preventDefault(); loadResult(a.dataset.open); }));
    $("history").querySelectorAll("[data-cmp]").forEach((b) => b.addEventListener("change", updateHistoryButtons));
    updateHistoryButtons();
  }

  function updateHistoryButtons() {
    const h = state.history;
    const busy = !$("cancel").disabled;
    $("undo").disabled = busy || !h || !h.can_undo;
    $("redo").disabled = busy || !h || !h.can_redo;
    $("compare").disabled = $("history").querySelectorAll("[data-cmp]:checked").length !== 2;
  }

  async function step(back) {
    say("refine-error", "");
    try {
      const r = await api(back ? "/api/undo" : "/api/redo", { method: "POST" });
      fillForm(r.request);
      await loadResult(r.current);
      await loadHistory();
    } catch (e) {
      say("refine-error", busyText(e));
    }
  }

  async function compare() {
    const ids = [...$("history").querySelectorAll("[data-cmp]:checked")].map((b) => b.dataset.cmp);
    const [a, b] = await Promise.all(ids.map((id) => api(url("/api/result", { checkpoint: id }))));
    // By the rows: a fit's phases and references, or a summation's references and rest.
    const names = [...new Set([...a.rows, ...b.rows].map((p) => p.name))];
    const wt = (r, n) => { const p = r.rows.find((q) => q.name === n); return p ? esd(100 * p.weight_fraction, 100 * p.weight_fraction_esd) : "—"; };
    const col = (r) => `<div><h2>Fit ${r.checkpoint}</h2><table class="compact"><tr><td class="t">stages</td><td>${esc((r.request.options.stages || []).join(", "))}</td></tr>
      <tr><td class="t">Rwp %</td><td>${fix(100 * r.rwp, 2)}</td></tr><tr><td class="t">GoF</td><td>${fix(r.gof, 2)}</td></tr>
      ${names.map((n) => `<tr><td class="t">${esc(n)} wt%</td><td>${wt(r, n)}</td></tr>`).join("")}</table></div>`;
    $("compare-view").innerHTML = `<div class="cmp">${col(a)}${col(b)}</div>`;
    // Their curves overlaid: the first fit's observed and calculated, the second's calculated.
    if (state.comparePlot) state.comparePlot.destroy();
    const data = uPlot.join([columns(a.two_theta, [a.observed, a.calculated]), columns(b.two_theta, [b.calculated])]);
    state.comparePlot = new uPlot({
      width: width(),
      height: 260,
      scales: { x: { time: false } },
      axes: [{ label: axisLabel() }, { label: yLabel(), size: 60 }],
      series: [{ label: axisLabel() },
        { label: `fit ${a.checkpoint} observed`, stroke: "#222", width: 0, points: { show: true, size: 2, fill: "#222" } },
        { label: `fit ${a.checkpoint} calculated`, stroke: "#d62728", width: 1.2, points: { show: false } },
        { label: `fit ${b.checkpoint} calculated`, stroke: "#2563eb", width: 1.2, dash: [5, 3], spanGaps: true, points: { show: false } }],
      cursor: { drag: { x: true, y: false } },
    }, data, $("compare-plot"));
  }

  // A comparison of two fits is put away with the views it sat beside.
  function clearCompare() {
    $("compare-view").innerHTML = "";
    if (state.comparePlot) {
      state.comparePlot.destroy();
      state.comparePlot = null;
    }
  }

  // The plot and its difference panel as one PNG image (what is on screen, zoom included).
  function exportPng() {
    const parts = [state.plot, state.diff].filter(Boolean).map((u) => u.ctx.canvas);
    if (!parts.length) return;
    const out = document.createElement("canvas");
    out.width = Math.max(...parts.map((c) => c.width));
    out.height = parts.reduce((h, c) => h + c.height, 0);
    const ctx = out.getContext("2d");
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, out.width, out.height);
    let y = 0;
    for (const c of parts) { ctx.drawImage(c, 0, y); y += c.height; }
    out.toBlob((blob) => {
      const a = document.createElement("a");
      a.href = URL.createObjectURL(blob);
      a.download = `${(state.open || "plot").split("/").pop()}.png`;
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(a.href), 1000);
    }, "image/png");
  }

  // ---- series ------------------------------------------------------------------------------
  async function refineSeries() {
    say("series-error", "");
    if (!state.open) { say("series-error", "Open a file of the folder first."); return; }
    const ext = fileOf(state.open).split(".").pop().toLowerCase();
    const files = folderFiles().filter((f) => f.split(".").pop().toLowerCase() === ext);
    const o = formOptions("series-error");
    if (!o) return;
    delete o.standard;
    try {
      const r = await api("/api/series", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ files, options: o }) });
      state.seenJob = r.job;
      running(true, "series");
      poll();
    } catch (e) {
      say("series-error", busyText(e));
    }
  }

  // One job's table at a time below the plot: a series, a batch or an identification shown
  // puts the others' away (a fit's table stays: Refine these leads to one).
  function only(id) {
    ["series-view", "batch-view", "identify-results", "peaks-view"].filter((v) => v !== id).forEach((v) => { $(v).innerHTML = ""; });
    clearCompare();
    $("series-charts").hidden = id !== "series-view";
  }

  async function loadSeries() {
    const s = await api("/api/series");
    only("series-view");
    const pick = s.columns.map((c, i) => [c, i]).filter(([c]) => ["frame", "file", "rwp", "gof", "start"].includes(c) || /_wt(_esd)?$/.test(c) || c === s.columns[2]);
    const wtCols = pick.filter(([c]) => /_wt$/.test(c));
    const cell = (row, c, i) => {
      const v = row[i];
      if (/_wt$/.test(c)) { const e = s.columns.indexOf(`${c}_esd`); return esd(100 * v, 100 * row[e]); }
      if (c === "rwp") return fix(100 * v, 2);
      if (typeof v === "number") return Number.isInteger(v) ? v : fix(v, 3);
      return esc(v ?? "");
    };
    const shown = pick.filter(([c]) => !/_wt_esd$/.test(c));
    $("series-view").innerHTML = `<h2>Series ${s.id}: ${s.rows.length} of ${s.total} frames${s.seconds ? `, ${fix(s.seconds, 1)} s` : ""}</h2>
      ${s.notes && s.notes.length ? `<ul class="notes" data-testid="series-notes">${s.notes.map((n) => `<li>${esc(n)}</li>`).join("")}</ul>` : ""}
      <table class="compact"><thead><tr>${shown.map(([c]) => `<th class="${c === "file" ? "t" : ""}">${esc(c === "rwp" ? "Rwp %" : /_wt$/.test(c) ? c.replace(/_wt$/, " wt%") : c)}</th>`).join("")}</tr></thead>
      <tbody>${s.rows.map((row, k) => `<tr data-frame="${k}" class="frame">${shown.map(([c, i]) => `<td class="${c === "file" ? "t" : ""}">${cell(row, c, i)}</td>`).join("")}</tr>`).join("")}</tbody></table>`;
    $("series-view").querySelectorAll("tr.frame").forEach((tr) => tr.addEventListener("click", () => openFrame(Number(tr.dataset.frame))));
    drawSeriesCharts(s);
    return wtCols;
  }

  async function openFrame(k) {
    try {
      const { file, fit, curves } = await api(url("/api/series", { frame: k }));
      const r = fit.refinement;
      if (!r) { say("series-error", `${fit.name}: ${fit.error || "no fit"}`); return; }
      const phases = r.phases.map((p) => Object.assign({}, p, { ticks: p.ticks.map((t) => t[0]), hkl: p.ticks.map((t) => t[1]) }));
      // The series keeps each frame's state; the server draws the frame's fit again from it.
      const drawn = curves && curves.calculated
        ? Object.assign({ file, phases, references: [], reference_curves: [], sigma: null }, curves)
        : null;
      state.result = null;
      state.frameFit = { file, phases, fit: drawn };
      // A frame's parameters are the series', not a fit the form can steer.
      $("params").hidden = true;
      await openPattern(file);
      const note = drawn
        ? ""
        : `<p class="hint">${curves && curves.error ? `The frame's curves could not be drawn: ${esc(curves.error)}. ` : ""}The frame is drawn with its refined reflection positions.</p>`;
      $("results").innerHTML = `<h2>Series frame ${k + 1}: ${esc(file)}</h2>
        <div class="quality" data-testid="quality">R<sub>wp</sub> <b>${fix(100 * r.rwp, 2)} %</b> · GoF <b>${fix(r.gof, 2)}</b> · start ${esc(fit.start)}
        ${fit.flags && fit.flags.length ? ` · flags ${esc(fit.flags.map((f) => f.flag).join(", "))}` : ""}</div>
        ${phaseTable(phases)}${note}${r.warnings && r.warnings.length ? `<ul class="warnings" data-testid="frame-warnings">${r.warnings.map((w) => `<li>${esc(w)}</li>`).join("")}</ul>` : ""}`;
      $("export").hidden = true;
    } catch (e) {
      say("series-error", e.message);
    }
  }

  // ---- series charts and heat map --------------------------------------------------------
  const CELL = ["a", "b", "c", "alpha", "beta", "gamma"];
  const CELL_UNIT = { a: "Å", b: "Å", c: "Å", alpha: "°", beta: "°", gamma: "°", volume: "Å³" };
  const FLAG = "#dc2626";
  const num = (v) => (typeof v === "number" && isFinite(v) ? v : null);
  function volumeOf(c) {
    if (c.some((v) => v == null)) return null;
    const [ca, cb, cg] = c.slice(3).map((d) => Math.cos((d * Math.PI) / 180));
    return c[0] * c[1] * c[2] * Math.sqrt(1 - ca * ca - cb * cb - cg * cg + 2 * ca * cb * cg);
  }

  // The table's rows as chart points, in ascending order value (uPlot's x must be sorted),
  // each keeping its place in the table (what openFrame takes). A frame without an order value
  // (a file that does not read has no header) sits between its neighbours, so that it shows as
  // a gap; with no order value at all the frame number is the x.
  function seriesData(s, cellKey) {
    const col = (name) => s.columns.indexOf(name);
    const orders = s.rows.map((r) => num(r[2]));
    const useOrder = orders.some((o) => o != null);
    const near = (k, d) => { for (let i = k + d; i >= 0 && i < orders.length; i += d) if (orders[i] != null) return orders[i]; return null; };
    const xOf = (k) => {
      if (orders[k] != null) return orders[k];
      const [a, b] = [near(k, -1), near(k, 1)];
      return a != null && b != null ? (a + b) / 2 : a ?? b;
    };
    const pts = s.rows.map((row, k) => ({ k, x: useOrder ? xOf(k) : row[0], row }));
    pts.sort((p, q) => p.x - q.x || p.k - q.k);
    const at = (p, c, f = 1) => { const i = col(c); const v = i < 0 ? null : num(p.row[i]); return v == null ? null : f * v; };
    const names = s.phases.map((n) => n.replace(/[ ,]/g, "_")); // as series_columns spells them
    const fi = col("flags");
    return {
      pts,
      xLabel: useOrder ? s.columns[2] : "frame",
      x: pts.map((p) => p.x),
      wt: names.map((n) => pts.map((p) => at(p, `${n}_wt`, 100))),
      wtE: names.map((n) => pts.map((p) => at(p, `${n}_wt_esd`, 100))),
      cell: names.map((n) => pts.map((p) => (cellKey === "volume" ? volumeOf(CELL.map((l) => at(p, `${n}_${l}`))) : at(p, `${n}_${cellKey}`)))),
      cellE: cellKey === "volume" ? [] : names.map((n) => pts.map((p) => at(p, `${n}_${cellKey}_esd`))),
      rwp: [pts.map((p) => at(p, "rwp", 100))],
      flags: pts.map((p) => (fi < 0 ? "" : String(p.row[fi] || ""))),
    };
  }

  // Esd whiskers, red rings on flagged frames, the hovered frame said above the charts, and a
  // click opening the frame nearest on the x axis.
  function seriesPlugin(view, esds) {
    return {
      hooks: {
        draw: (u) => {
          const ctx = u.ctx;
          const d = devicePixelRatio;
          const { left, top, width, height } = u.bbox;
          ctx.save();
          ctx.beginPath();
          ctx.rect(left, top, width, height);
          ctx.clip();
          u.series.forEach((ser, i) => {
            if (i === 0 || !ser.show) return;
            const ys = u.data[i];
            const es = esds()[i - 1];
            const px = (j) => u.valToPos(u.data[0][j], "x", true);
            if (es) {
              ctx.strokeStyle = view.colors[i - 1];
              ctx.lineWidth = d;
              ctx.beginPath();
              ys.forEach((y, j) => {
                if (y == null || !(es[j] > 0)) return;
                ctx.moveTo(px(j), u.valToPos(y - es[j], ser.scale, true));
                ctx.lineTo(px(j), u.valToPos(y + es[j], ser.scale, true));
              });
              ctx.stroke();
            }
            ctx.strokeStyle = FLAG;
            ctx.lineWidth = 2 * d;
            ys.forEach((y, j) => {
              if (y == null || !view.flags[j]) return;
              ctx.beginPath();
              ctx.arc(px(j), u.valToPos(y, ser.scale, true), 6 * d, 0, 2 * Math.PI);
              ctx.stroke();
            });
          });
          ctx.restore();
        },
        setCursor: (u) => {
          const p = u.cursor.idx == null ? null : view.pts[u.cursor.idx];
          const el = $("series-hover");
          const flags = p ? view.flags[u.cursor.idx] : "";
          el.textContent = p ? `frame ${p.row[0]} · ${p.row[1]} · ${view.xLabel} ${p.x}${flags ? ` · flags: ${flags}` : ""}` : "";
          el.classList.toggle("flagged", !!flags);
        },
        ready: (u) => {
          // uPlot keeps the plot's place from its last scroll or resize; an opened frame's
          // table above moves it without either.
          u.over.addEventListener("mouseenter", () => u.syncRect());
          // uPlot's own mouse handling leaves the click on its wrapper, not on the plot area.
          u.root.addEventListener("click", (e) => {
            const r = u.over.getBoundingClientRect();
            if (e.clientX < r.left || e.clientX > r.right || e.clientY < r.top || e.clientY > r.bottom) return;
            const j = u.posToIdx(e.clientX - r.left);
            if (j != null && view.pts[j]) openFrame(view.pts[j].k);
          });
        },
      },
    };
  }

  function seriesChart(view, el, title, series, data, esds, axes) {
    return new uPlot({
      title,
      width: view.width,
      height: 240,
      scales: { x: { time: false } },
      axes: [{ label: view.xLabel }, ...axes],
      series: [{ label: view.xLabel }, ...series],
      cursor: { sync: { key: "xrd-series" }, drag: { x: false, y: false } },
      legend: { live: false }, // the line above the charts says the frame hovered
      plugins: [seriesPlugin(view, esds)],
    }, data, el);
  }

  // The three charts, made again when the series, its phases, the cell parameter or the
  // width change, else given the rows that landed since.
  function drawSeriesCharts(s) {
    state.seriesTable = s;
    const box = $("series-charts");
    box.hidden = false;
    loadSeriesMap(s);
    if (!s.rows.length) return;
    const cellKey = $("series-cell").value;
    const d = seriesData(s, cellKey);
    const width = Math.max(260, Math.floor((box.clientWidth - 16) / 3));
    const key = [s.id, s.phases.join(","), cellKey, d.xLabel, width].join("|");
    let v = state.seriesCharts;
    if (v && v.key === key) {
      Object.assign(v, d);
      v.charts[0].setData([d.x, ...d.wt]);
      v.charts[1].setData([d.x, ...d.cell]);
      v.charts[2].setData([d.x, ...d.rwp]);
      return;
    }
    if (v) v.charts.forEach((u) => u.destroy());
    v = state.seriesCharts = Object.assign({ key, id: s.id, phases: s.phases, width }, d);
    v.colors = s.phases.map((_, k) => COLORS[(k + 2) % COLORS.length]);
    const line = (label, color, scale = "y") => ({ label, stroke: color, width: 1.5, scale, spanGaps: false, points: { show: true, size: 5, fill: color } });
    const unit = CELL_UNIT[cellKey];
    v.charts = [
      seriesChart(v, $("chart-wt"), "Weight fraction", s.phases.map((n, k) => line(`${n} wt%`, v.colors[k])), [d.x, ...d.wt], () => v.wtE,
        [{ label: "wt%", size: 50 }]),
      // Each phase's cell on its own scale: their values differ by far more than they vary.
      seriesChart(v, $("chart-cell"), `Cell ${cellKey}`, s.phases.map((n, k) => line(`${n} ${cellKey}`, v.colors[k], `p${k}`)), [d.x, ...d.cell], () => v.cellE,
        s.phases.map((n, k) => ({ scale: `p${k}`, side: k % 2 ? 1 : 3, label: `${n} ${cellKey} (${unit})`, stroke: v.colors[k], size: 70, grid: { show: k === 0 } }))),
      seriesChart(v, $("chart-rwp"), "Rwp", [line("Rwp %", "#444")], [d.x, ...d.rwp], () => [],
        [{ label: "Rwp (%)", size: 50 }]),
    ];
  }

  // Viridis at nine stops, spread to 256 colours.
  const VIRIDIS = [[68, 1, 84], [71, 44, 122], [59, 81, 139], [44, 113, 142], [33, 144, 141], [39, 173, 129], [92, 200, 99], [170, 220, 50], [253, 231, 37]];
  const LUT = (() => {
    const t = new Uint8ClampedArray(256 * 3);
    for (let i = 0; i < 256; i++) {
      const f = (i / 255) * (VIRIDIS.length - 1);
      const j = Math.min(VIRIDIS.length - 2, Math.floor(f));
      for (let c = 0; c < 3; c++) t[3 * i + c] = VIRIDIS[j][c] + (VIRIDIS[j + 1][c] - VIRIDIS[j][c]) * (f - j);
    }
    return t;
  })();
  const MAP_PAD = { left: 40, right: 10, top: 4, bottom: 30 };
  const CLIP = 0.995; // one strong line would otherwise leave the rest dark

  // The map is of the files, which a series does not change: fetched once per series.
  async function loadSeriesMap(s) {
    if ((state.seriesMap && state.seriesMap.id === s.id) || state.seriesMapLoading === s.id) return;
    state.seriesMapLoading = s.id;
    try {
      const w = Math.round($("series-map").clientWidth - MAP_PAD.left - MAP_PAD.right);
      const m = await api(url("/api/series", { map: 1, width: Math.min(2000, Math.max(200, w)) }));
      const rows = m.rows.length;
      const cols = m.width;
      const root = (v) => Math.sign(v) * Math.sqrt(Math.abs(v));
      const all = new Float32Array(m.rows.reduce((n, r) => n + (r ? r.length : 0), 0));
      let n = 0;
      m.rows.forEach((r) => { if (r) r.forEach((v) => { all[n++] = root(v); }); });
      all.sort();
      const lo = n ? all[0] : 0;
      const hi = n ? Math.max(all[Math.floor(CLIP * (n - 1))], lo + 1e-9) : 1;
      const img = new ImageData(cols, rows);
      const px = img.data;
      m.rows.forEach((r, i) => {
        for (let c = 0; c < cols; c++) {
          const o = 4 * (i * cols + c);
          px[o + 3] = 255;
          if (!r) { px[o] = px[o + 1] = px[o + 2] = 225; continue; } // a file that does not read: grey
          const t = 3 * Math.round(255 * Math.min(1, Math.max(0, (root(r[c]) - lo) / (hi - lo))));
          px[o] = LUT[t];
          px[o + 1] = LUT[t + 1];
          px[o + 2] = LUT[t + 2];
        }
      });
      const image = document.createElement("canvas");
      image.width = cols;
      image.height = rows;
      image.getContext("2d").putImageData(img, 0, 0);
      state.seriesMap = { id: m.id, rows, cols, range: m.range, files: m.files, image, clip: hi * hi };
      drawSeriesMap();
      const errors = m.errors.length ? `; not read: ${m.errors.map((e) => `frame ${e.frame + 1} (${e.error})`).join(", ")}` : "";
      $("series-map-note").textContent = `Every frame's measured intensity (done or not), frame 1 at the top, ${cols} columns over ${fix(m.range[0], 2)}–${fix(m.range[1], 2)}° 2θ, each its bucket's maximum; √intensity, colours clipped at the ${100 * CLIP}th percentile (${fix(hi * hi, 0)} counts)${errors}. Click a row to open its frame.`;
    } catch (e) {
      // Said once under the map, not asked again at every frame that lands.
      state.seriesMap = { id: s.id, error: e.message };
      $("series-map").style.height = "0px";
      $("series-map-note").textContent = `No heat map: ${e.message}`;
    } finally {
      state.seriesMapLoading = null;
    }
  }

  function niceStep(raw) {
    const p = 10 ** Math.floor(Math.log10(raw));
    return [1, 2, 5, 10].map((f) => f * p).find((st) => st >= raw);
  }

  function drawSeriesMap() {
    const m = state.seriesMap;
    if (!m || m.error) return;
    const c = $("series-map");
    const d = devicePixelRatio;
    const plotW = Math.max(100, c.clientWidth - MAP_PAD.left - MAP_PAD.right);
    const plotH = Math.max(60, Math.min(m.rows * 14, 360));
    const H = plotH + MAP_PAD.top + MAP_PAD.bottom;
    c.style.height = `${H}px`;
    c.width = Math.round((plotW + MAP_PAD.left + MAP_PAD.right) * d);
    c.height = Math.round(H * d);
    const ctx = c.getContext("2d");
    ctx.setTransform(d, 0, 0, d, 0, 0);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(m.image, MAP_PAD.left, MAP_PAD.top, plotW, plotH);
    Object.assign(m, { left: MAP_PAD.left, top: MAP_PAD.top, plotW, plotH, rowH: plotH / m.rows });
    ctx.fillStyle = ctx.strokeStyle = "#444";
    ctx.font = "11px system-ui, sans-serif";
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    const [lo, hi] = m.range;
    const step = niceStep((hi - lo) / 10);
    const digits = Math.max(0, -Math.floor(Math.log10(step)));
    const y0 = MAP_PAD.top + plotH;
    ctx.beginPath();
    for (let t = Math.ceil(lo / step) * step; t <= hi; t += step) {
      const px = MAP_PAD.left + ((t - lo) / (hi - lo)) * plotW;
      ctx.moveTo(px, y0);
      ctx.lineTo(px, y0 + 4);
      ctx.fillText(t.toFixed(digits), px, y0 + 5);
    }
    ctx.stroke();
    ctx.fillText("2θ (°)", MAP_PAD.left + plotW / 2, y0 + 17);
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    const every = Math.max(1, Math.ceil(13 / m.rowH));
    for (let i = 0; i < m.rows; i += every) ctx.fillText(String(i + 1), MAP_PAD.left - 4, MAP_PAD.top + (i + 0.5) * m.rowH);
  }

  // The map's row and 2θ under the mouse, none outside the image.
  function mapAt(e) {
    const m = state.seriesMap;
    if (!m || m.rowH == null) return null;
    const r = $("series-map").getBoundingClientRect();
    const x = e.clientX - r.left - m.left;
    const y = e.clientY - r.top - m.top;
    if (x < 0 || y < 0 || x > m.plotW || y >= m.plotH) return null;
    return { row: Math.min(m.rows - 1, Math.floor(y / m.rowH)), tth: m.range[0] + (x / m.plotW) * (m.range[1] - m.range[0]) };
  }

  function mapHover(e) {
    const p = mapAt(e);
    const tip = $("tip");
    if (!p) { tip.style.display = "none"; return; }
    tip.textContent = `frame ${p.row + 1} · ${state.seriesMap.files[p.row].split("/").pop()} · 2θ ${fix(p.tth, 3)}°`;
    tip.style.left = `${e.clientX + 12}px`;
    tip.style.top = `${e.clientY + 12}px`;
    tip.style.display = "block";
  }

  // Map rows are files in the series' order; openFrame takes the place in the table.
  function mapClick(e) {
    const p = mapAt(e);
    const s = state.seriesTable;
    if (!p || !s) return;
    const k = s.rows.findIndex((r) => r[0] === p.row + 1);
    if (k < 0) say("series-error", `frame ${p.row + 1} is not refined yet`);
    else openFrame(k);
  }

  // The files of the open file's folder (not below it), in natural order.
  function folderFiles() {
    const dir = state.open.slice(0, state.open.lastIndexOf("/") + 1);
    return state.files
      .filter((f) => f.startsWith(dir) && !f.slice(dir.length).includes("/"))
      .sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
  }

  // ---- phase suggestions -------------------------------------------------------------------
  // The last comma-separated name of the phase input, looked up in the built-in library (and
  // the served CIF files) as it is typed; a click puts the entry's id in its place.
  let suggestTimer = null;
  let suggestSeq = 0;
  const lastToken = () => { const v = $("phases").value; return v.slice(v.lastIndexOf(",") + 1).trim(); };
  // Hiding also drops an answer still on its way.
  function hideSuggest() { suggestSeq += 1; $("suggest").hidden = true; $("suggest").innerHTML = ""; }
  async function suggest() {
    const q = lastToken();
    const seq = ++suggestSeq;
    if (q.length < 2) { hideSuggest(); return; }
    const cifs = state.files.filter((n) => /\.(cif|mcif)$/i.test(n) && n.toLowerCase().includes(q.toLowerCase())).slice(0, 5);
    let entries = [];
    try {
      entries = (await api(url("/api/library", { q }))).entries;
    } catch (e) {
      if (seq === suggestSeq) say("refine-error", e.message);
    }
    if (seq !== suggestSeq) return;
    const items = [
      ...cifs.map((n) => ({ value: n, html: `<b>${esc(n)}</b> <span class="hint">served file</span>` })),
      ...entries.map((x) => ({
        value: x.id,
        html: `<b>${esc(x.name)}</b> ${esc(x.formula)} · ${esc(x.symbol)} (${x.space_group}) · <code>${esc(x.id)}</code><br><span class="hint">${esc(x.judgement)}</span>`,
      })),
    ];
    const ul = $("suggest");
    ul.innerHTML = items.map((it, k) => `<li data-k="${k}" data-value="${esc(it.value)}">${it.html}</li>`).join("");
    ul.querySelectorAll("li").forEach((li) => li.addEventListener("mousedown", (e) => { e.preventDefault(); pick(li.dataset.value); }));
    ul.hidden = items.length === 0;
  }
  function pick(value) {
    const v = $("phases").value;
    const i = v.lastIndexOf(",");
    $("phases").value = (i < 0 ? "" : `${v.slice(0, i + 1)} `) + value;
    hideSuggest();
    $("phases").focus();
  }

  // ---- identify ----------------------------------------------------------------------------
  function identifyOptions() {
    const o = {};
    const elements = $("elements").value.split(/[,\s]+/).map((s) => s.trim()).filter(Boolean);
    if (elements.length) o.elements = elements;
    if (!$("id-builtin").checked) o.builtin = false;
    if ($("id-library").value) o.library = [$("id-library").value];
    return o;
  }

  async function identify() {
    say("identify-error", "");
    if (!state.open) { say("identify-error", "Open a pattern first."); return; }
    const body = { file: state.open, options: identifyOptions() };
    const w = $("wavelength").value.trim();
    if (w && !$("wavelength").disabled) body.wavelength = w;
    try {
      const r = await api("/api/identify", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
      state.seenJob = r.job;
      running(true, "identify");
      poll();
    } catch (e) {
      say("identify-error", busyText(e));
      await showJob();
    }
  }

  async function loadIdentify() {
    const r = await api("/api/identify");
    only("identify-results");
    state.identified = r;
    const found = r.rows.filter((x) => x.phase > 0);
    const phases = found.length
      ? `<table class="compact" data-testid="identify-phases"><thead><tr><th class="t">Phase</th><th class="t">Formula</th><th>SG</th><th>score</th><th>wt%</th><th>R<sub>wp</sub> %</th><th class="t">id</th></tr></thead><tbody>
        ${found.map((x) => `<tr><td class="t">${esc(x.name)}</td><td class="t">${esc(x.formula || "")}</td><td>${x.space_group ?? ""}</td><td>${fix(x.score, 3)}</td>
          <td>${x.weight_fraction == null ? (x.share == null ? "" : `${fix(100 * x.share, 1)} (share)`) : esd(100 * x.weight_fraction, 100 * x.weight_fraction_esd)}</td>
          <td>${x.rwp == null ? "" : fix(100 * x.rwp, 2)}</td><td class="t"><code>${esc(x.source || "")}</code></td></tr>`).join("")}</tbody></table>
        <div class="buttons"><button id="use-phases" data-testid="use-phases">Refine these</button><span class="hint">puts their library ids in the phase input</span></div>`
      : `<p data-testid="identify-none">No phase found (best score ${fix(r.rows[0] && r.rows[0].score, 3)}).</p>`;
    const candidates = r.candidates.length
      ? `<h3>Candidates (search-match)</h3><table class="compact" data-testid="identify-candidates"><thead><tr><th class="t">id</th><th class="t">name</th><th class="t">formula</th><th>SG</th><th>score</th><th>cell scale</th><th>zero shift (°)</th><th class="t">search kept</th><th class="t">reported</th></tr></thead><tbody>
        ${r.candidates.map((c) => `<tr><td class="t"><code>${esc(c.id || "")}</code></td><td class="t">${esc(c.name || "")}</td><td class="t">${esc(c.formula || "")}</td><td>${c.space_group ?? ""}</td>
          <td>${fix(c.score, 3)}</td><td>${fix(c.cell_scale, 4)}</td><td>${fix(c.zero_shift, 3)}</td><td class="t">${c.found ? "✓" : ""}</td>
          <td class="t">${found.some((x) => x.source === c.id) ? "✓" : ""}</td></tr>`).join("")}</tbody></table>`
      : "";
    const notes = r.notes.length ? `<h3>Refinement notes</h3><ul class="notes" data-testid="identify-notes">${r.notes.map((n) => `<li>${esc(n)}</li>`).join("")}</ul>` : "";
    const peaks = r.unexplained && r.unexplained.length
      ? `<p class="hint">Unexplained peaks: ${r.unexplained.map(([t, f]) => `${fix(t, 2)}° (${fix(100 * f, 0)} %)`).join(", ")}</p>` : "";
    $("identify-results").dataset.job = r.id;
    $("identify-results").innerHTML = `<h2>Identification: ${esc(r.file)}</h2>
      <div class="quality">${r.fit ? `R<sub>wp</sub> <b>${fix(100 * r.fit.rwp, 2)} %</b> · GoF ${fix(r.fit.gof, 2)} · ` : ""}${fix(r.seconds, 1)} s</div>
      ${phases}${candidates}${notes}${peaks}`;
    if (found.length) $("use-phases").addEventListener("click", usePhases);
    if (r.fit) {
      if (r.file !== state.open) {
        try { state.open = r.file; renderInfo(await fetchPattern(r.file)); renderFiles(); } catch (e) { say("files-error", e.message); }
      }
      // The confirming refinement drawn as a fit; the last fit's table and export, which no
      // longer match the plot, are put away (History brings them back).
      state.result = Object.assign({ references: [], reference_curves: [], sigma: null, file: r.file }, r.fit);
      drawFit();
      $("results").innerHTML = "";
      clearCompare();
      $("export").hidden = true;
    }
  }

  function usePhases() {
    // The specs the refinement takes: library ids, or served names of a folder's CIF files.
    const r = state.identified;
    const ids = r.rows.map((x, k) => (x.phase > 0 ? r.specs[k] : null)).filter(Boolean);
    $("phases").value = ids.join(", ");
    $("phases").focus();
  }

  // ---- peak list ---------------------------------------------------------------------------
  async function peakList() {
    say("peaks-error", "");
    if (!state.open) { say("peaks-error", "Open a pattern first."); return; }
    const q = new URLSearchParams({ file: state.open });
    const pct = parseFloat($("peaks-min").value);
    if (!Number.isNaN(pct)) q.set("min_height", String(pct / 100));
    const w = $("wavelength").value.trim();
    if (w && !$("wavelength").disabled) q.set("wavelength", w);
    let r;
    try {
      r = await api(`/api/peaks?${q}`);
    } catch (e) {
      say("peaks-error", e.message);
      return;
    }
    only("peaks-view");
    const rows = r.rows;
    const warnings = r.warnings.length
      ? `<ul class="notes" data-testid="peaks-warnings">${r.warnings.map((n) => `<li>${esc(n)}</li>`).join("")}</ul>` : "";
    $("peaks-view").innerHTML = `<h2>Peak list: ${esc(r.file)}</h2>
      <div class="quality">${rows.length} lines · R<sub>wp</sub> <b>${fix(100 * r.rwp, 2)} %</b> over the fitted windows · λ ${fix(r.wavelength, 6)} Å${r.correlation_time > 1.05 ? ` · <span title="neighbouring points share their noise (a strip detector, a smoothed file): the esds are multiplied by √τ">residuals' correlation time ${fix(r.correlation_time, 1)} points, esds × ${fix(Math.sqrt(r.correlation_time), 2)}</span>` : ""}</div>
      <table class="compact" data-testid="peaks-table"><thead><tr><th>#</th><th>2θ (°)</th><th>d (Å)</th><th>height</th><th>area</th><th>I/I₀ %</th><th>FWHM (°)</th><th>η</th><th>asymmetry</th></tr></thead><tbody>
      ${rows.map((x) => `<tr><td>${x.peak}</td><td>${esd(x.two_theta, x.two_theta_esd)}</td><td>${esd(x.d, x.d_esd)}</td><td>${fix(x.height, 0)}</td>
        <td>${esd(x.area, x.area_esd)}</td><td>${fix(x.relative_intensity, 1)}</td><td>${esd(x.fwhm, x.fwhm_esd)}</td><td>${fix(x.eta, 2)}</td><td>${fix(x.asymmetry, 2)}</td></tr>`).join("")}</tbody></table>
      ${warnings}
      <p class="hint">The same list from a terminal: <code data-testid="peaks-command">${esc(r.command)}</code></p>`;
    // Drawn as a fit: the fitted lines on their backgrounds (the observed outside the fitted
    // windows), the lines as ticks; the last fit's table and export are put away (History
    // brings them back).
    const none = r.two_theta.map(() => null);
    state.result = {
      file: r.file, two_theta: r.two_theta, observed: r.observed, calculated: r.calculated,
      background: none, phase_curves: [none], reference_curves: [], references: [], sigma: null,
      difference: r.observed.map((y, i) => y - r.calculated[i]),
      phases: [{ name: "lines", ticks: rows.map((x) => x.two_theta), hkl: rows.map((x) => [`#${x.peak}`]) }],
    };
    drawFit();
    $("results").innerHTML = "";
    $("params").hidden = true;
    clearCompare();
    $("export").hidden = true;
  }

  // ---- batch -------------------------------------------------------------------------------
  // Pattern files only: structures, instrument files and notes in the folder are not run.
  const NOT_PATTERN = /\.(cif|mcif|vasp|poscar|prm|iparm|instprm|json|md|pdf|png|svg|gz|npz|zip)$/i;

  async function runBatch() {
    say("batch-error", "");
    if (!state.open) { say("batch-error", "Open a file of the folder first."); return; }
    const mode = $("batch-mode").value;
    const files = folderFiles().filter((f) => !NOT_PATTERN.test(f));
    const o = mode === "refine" ? formOptions("batch-error") : identifyOptions();
    if (!o) return;
    const body = { files, mode, options: o };
    const w = $("wavelength").value.trim();
    if (w && !$("wavelength").disabled) body.wavelength = w;
    try {
      const r = await api("/api/batch", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
      state.seenJob = r.job;
      running(true, "batch");
      poll();
    } catch (e) {
      say("batch-error", busyText(e));
      await showJob();
    }
  }

  async function loadBatch() {
    const s = await api("/api/batch");
    only("batch-view");
    const want = ["phase", "id", "name", "formula", "score", "weight_fraction", "rwp", "gof", "source"];
    const shown = want.filter((c) => s.columns.includes(c));
    const at = (c) => s.columns.indexOf(c);
    const head = { weight_fraction: "wt%", rwp: "R<sub>wp</sub> %", gof: "GoF", score: "score", phase: "#" };
    const cell = (v, c) => {
      const x = v[at(c)];
      if (c === "weight_fraction") return x == null ? "" : esd(100 * x, 100 * v[at("weight_fraction_esd")]);
      if (c === "rwp") return x == null ? "" : fix(100 * x, 2);
      if (c === "gof" || c === "score") return x == null ? "" : fix(x, 3);
      return esc(x ?? "");
    };
    const text = (c) => ["id", "name", "formula", "source"].includes(c);
    const rows = s.rows.map((r) => (r.error != null
      ? `<tr class="failed" data-file="${esc(r.file)}"><td class="t">${esc(r.file)}</td><td class="t error" colspan="${shown.length}">${esc(r.error)}</td></tr>`
      : `<tr data-file="${esc(r.file)}"><td class="t">${esc(r.file)}</td>${shown.map((c) => `<td class="${text(c) ? "t" : ""}">${cell(r.values, c)}</td>`).join("")}</tr>`)).join("");
    $("batch-view").innerHTML = `<h2>Batch ${s.id} (${esc(s.mode)}): ${s.done} of ${s.total} files${s.seconds ? `, ${fix(s.seconds, 1)} s` : ""}</h2>
      <table class="compact"><thead><tr><th class="t">file</th>${shown.map((c) => `<th class="${text(c) ? "t" : ""}">${head[c] || c}</th>`).join("")}</tr></thead><tbody>${rows}</tbody></table>`;
  }

  // ---- wiring ------------------------------------------------------------------------------
  $("upload").addEventListener("change", (e) => uploadFiles([...e.target.files]));
  const drop = $("drop");
  ["dragenter", "dragover"].forEach((t) => drop.addEventListener(t, (e) => { e.preventDefault(); drop.classList.add("over"); }));
  ["dragleave", "drop"].forEach((t) => drop.addEventListener(t, () => drop.classList.remove("over")));
  drop.addEventListener("drop", (e) => { e.preventDefault(); uploadFiles([...e.dataTransfer.files]); });
  $("refine").addEventListener("click", refine);
  $("cancel").addEventListener("click", cancel);
  $("undo").addEventListener("click", () => step(true));
  $("redo").addEventListener("click", () => step(false));
  $("compare").addEventListener("click", compare);
  $("series").addEventListener("click", refineSeries);
  $("identify").addEventListener("click", identify);
  $("peaks").addEventListener("click", peakList);
  $("batch").addEventListener("click", runBatch);
  // Suggestions follow typing (keys that change the text), not text set otherwise (undo, Refine
  // these): a list left open would cover the buttons below the input.
  $("phases").addEventListener("keyup", (e) => {
    if (e.key === "Escape" || e.key === "Enter") { hideSuggest(); return; }
    if (e.key.length !== 1 && e.key !== "Backspace" && e.key !== "Delete") return;
    clearTimeout(suggestTimer);
    suggestTimer = setTimeout(suggest, 200);
  });
  $("phases").addEventListener("blur", () => setTimeout(hideSuggest, 150));
  document.addEventListener("mousedown", (e) => { if (!$("suggest").contains(e.target) && e.target !== $("phases")) hideSuggest(); });
  ["scale", "axis", "diffmode"].forEach((id) => $(id).addEventListener("change", redraw));
  $("wavelength").addEventListener("change", () => { if ($("axis").value !== "tth") redraw(); });
  $("reset").addEventListener("click", redraw);
  $("exclude-mode").addEventListener("change", redraw);
  $("stack").addEventListener("change", redraw);
  $("export-png").addEventListener("click", exportPng);
  $("exclude").addEventListener("change", () => { showSteering(); if (state.plot) state.plot.redraw(); });
  $("param-filter").addEventListener("input", () => { if (state.result) renderParameters(state.result); });
  window.addEventListener("resize", () => {
    if (state.plot) state.plot.setSize({ width: width(), height: state.plot.height });
    if (state.diff) state.diff.setSize({ width: width(), height: state.diff.height });
    if (state.seriesTable && !$("series-charts").hidden) { drawSeriesCharts(state.seriesTable); drawSeriesMap(); }
  });
  $("series-cell").addEventListener("change", () => { if (state.seriesTable) drawSeriesCharts(state.seriesTable); });
  $("series-map").addEventListener("mousemove", mapHover);
  $("series-map").addEventListener("mouseleave", () => { $("tip").style.display = "none"; });
  $("series-map").addEventListener("click", mapClick);

  if (!token) say("status", "No token in the URL: open the address xrd serve printed.");
  loadFiles();
  loadHistory().catch(() => {});
  showJob().then((j) => {
    state.seenJob = j.job;
    if (j.running != null) { running(true, j.kind); poll(); }
  }).catch(() => {}).finally(() => setTimeout(watch, 1000));
})();
