// circles-hinge report pages: the replay (a forward pass of the recorded weights, drawn on canvases),
// the seed strip, the sweep chart and figures opened full size (index.js serves the index). Plain JavaScript,
// no library, no network. Colours and markers come from the page's data (plots.py owns them), so the
// page draws a class and a loss in the colours the PNGs and training.gif use.
"use strict";
(function () {
  const DATA = JSON.parse(document.getElementById("report-data").textContent);
  const PAL = DATA.palette || {
    classes: ["#56B4E9", "#E69F00", "#F0E442", "#999999", "#FFFFFF"],
    edges: ["#2f6380", "#7e5700", "#847d24", "#545454", "#8c8c8c"],
    lines: ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#000000"],
    losses: {},
    markers: "s^ovD",
    tint: [0.12, 0.6],
  };
  const classColor = (c) => PAL.classes[c % PAL.classes.length];
  const classEdge = (c) => PAL.edges[c % PAL.edges.length];
  const lossColor = (loss, i) => PAL.losses[loss] || PAL.lines[(i || 0) % PAL.lines.length];
  const markerOf = (c) => PAL.markers[c % PAL.markers.length];

  // --- the network: Keras 3's activations, exactly as Dense applies them ----------------------------
  function erfc(x) {
    // Numerical Recipes' Chebyshev fit: relative error below 1.2e-7 everywhere
    const z = Math.abs(x);
    const t = 1 / (1 + 0.5 * z);
    const r =
      t *
      Math.exp(
        -z * z - 1.26551223 +
          t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 +
          t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))))
      );
    return x >= 0 ? r : 2 - r;
  }
  const sigmoid = (x) => 1 / (1 + Math.exp(-x));
  const TANH_ONE = 7.90531110763549805;
  const ACTIVATIONS = {
    relu: (x) => (x > 0 ? x : 0),
    // TensorFlow's float32 tanh (Eigen's) clamps its input at ±7.9053111 and returns exactly ±1 there,
    // which is where a hinge margin f = ±1 lies; Math.tanh would stay a hair below 1 until about 8.7.
    tanh: (x) => (x >= TANH_ONE ? 1 : x <= -TANH_ONE ? -1 : Math.tanh(x)),
    sigmoid: sigmoid,
    elu: (x) => (x > 0 ? x : Math.expm1(x)),
    selu: (x) => 1.05070098 * (x > 0 ? x : 1.67326324 * Math.expm1(x)),
    gelu: (x) => 0.5 * x * erfc(-x * Math.SQRT1_2), // approximate=False: x * Phi(x), with erf
    silu: (x) => x * sigmoid(x),
    leaky_relu: (x) => (x >= 0 ? x : 0.2 * x), // Keras' default negative_slope
    linear: (x) => x,
  };

  // theta: one flat row, [kernel (in x out, row-major), bias, kernel, bias, ...] as Keras orders them
  function unpack(model, theta) {
    const layers = [];
    let offset = 0;
    let fanIn = 2;
    model.units.forEach((out, i) => {
      const last = i === model.units.length - 1;
      const act = ACTIVATIONS[last ? model.output : model.hidden];
      if (!act) throw new Error("unknown activation " + (last ? model.output : model.hidden));
      const W = theta.slice(offset, offset + fanIn * out).map(Math.fround);
      offset += fanIn * out;
      const b = theta.slice(offset, offset + out).map(Math.fround);
      offset += out;
      layers.push({ W, b, fanIn, out, act });
      fanIn = out;
    });
    return layers;
  }

  // In float32, as Keras computes: every product, sum and activation is rounded to float32, so the
  // page counts the points inside the margin as the run's table does (a point whose margin is 1 up to
  // float64's rounding would otherwise fall on the other side of it).
  const f32 = Math.fround;
  function forward(layers, x0, x1, upto) {
    let h = [f32(x0), f32(x1)];
    const stop = upto === undefined ? layers.length : upto;
    for (let i = 0; i < stop; i++) {
      const L = layers[i];
      const z = new Array(L.out);
      for (let j = 0; j < L.out; j++) {
        let s = 0;
        for (let k = 0; k < L.fanIn; k++) s = f32(s + f32(h[k] * L.W[k * L.out + j]));
        z[j] = f32(L.act(f32(s + L.b[j])));
      }
      h = z;
    }
    return h;
  }

  // The loss registry's rules, on outputs rounded to float32 as Keras returns them
  function predicted(rule, out) {
    if (rule === "sign") return Math.fround(out[0]) >= 0 ? 1 : 0;
    if (rule === "threshold") return Math.fround(out[0]) >= 0.5 ? 1 : 0;
    let best = 0;
    for (let j = 1; j < out.length; j++) if (Math.fround(out[j]) > Math.fround(out[best])) best = j;
    return best;
  }
  function decision(rule, out) {
    if (rule === "sign") return Math.fround(out[0]);
    if (rule === "threshold") {
      const p = Math.min(Math.max(Math.fround(out[0]), 1e-7), 1 - 1e-7);
      return Math.log(p / (1 - p));
    }
    let a = -Infinity, b = -Infinity;
    for (const v of out.map(Math.fround)) {
      if (v > a) { b = a; a = v; } else if (v > b) b = v;
    }
    return a - b;
  }
  function pointMargin(rule, out, y) {
    if (rule !== "argmax") return (y === 1 ? 1 : -1) * decision(rule, out);
    let other = -Infinity;
    out.forEach((v, j) => { if (j !== y) other = Math.max(other, Math.fround(v)); });
    return Math.fround(out[y]) - other;
  }

  // --- drawing helpers -------------------------------------------------------------------------------
  function hexRgb(hex) {
    const n = parseInt(hex.slice(1), 16);
    return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
  }
  // White mixed with a class's colour, as plots.tint: TINT[0] at strength 0 to TINT[0] + TINT[1] at 1
  function tint(rgb, strength) {
    const t = PAL.tint[0] + PAL.tint[1] * Math.min(1, Math.max(0, isFinite(strength) ? strength : 1));
    return rgb.map((v) => Math.round(255 + t * (v - 255)));
  }
  const CLASS_RGB = PAL.classes.map(hexRgb);
  const css = (rgb) => "rgb(" + rgb.join(",") + ")";

  function setupCanvas(canvas, w, h) {
    const ratio = window.devicePixelRatio || 1;
    canvas.width = Math.round(w * ratio);
    canvas.height = Math.round(h * ratio);
    canvas.style.width = w + "px"; // the height follows the canvas' own aspect ratio
    const ctx = canvas.getContext("2d");
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    return ctx;
  }

  // Round numbers for ticks between lo and hi, about n of them
  function niceTicks(lo, hi, n) {
    if (!(hi > lo)) return { ticks: [lo], digits: 2 };
    const raw = (hi - lo) / Math.max(1, n);
    const mag = Math.pow(10, Math.floor(Math.log10(raw)));
    const f = raw / mag;
    const step = (f >= 7.5 ? 10 : f >= 3.5 ? 5 : f >= 1.5 ? 2 : 1) * mag;
    const ticks = [];
    for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) ticks.push(Math.abs(v) < step * 1e-9 ? 0 : v);
    return { ticks, digits: Math.max(0, -Math.floor(Math.log10(step) + 1e-9)) };
  }
  const SUPERSCRIPT = { "-": "⁻", 0: "⁰", 1: "¹", 2: "²", 3: "³", 4: "⁴", 5: "⁵", 6: "⁶", 7: "⁷", 8: "⁸", 9: "⁹" };
  const power = (p) => (p === 0 ? "1" : p === 1 ? "10" : "10" + String(p).split("").map((c) => SUPERSCRIPT[c]).join(""));

  // Marching squares, joined into polylines (so that a dashed line stays dashed): the lines where V
  // crosses `level` on an nx x ny grid, in grid coordinates [col, row, col, row, ...]
  function isolines(V, nx, ny, level) {
    const pos = new Map();
    const links = new Map();
    const cross = (id, p, q, c1, r1, c2, r2) => {
      if (!isFinite(p) || !isFinite(q) || (p >= level) === (q >= level)) return -1;
      if (!pos.has(id)) {
        const t = (level - p) / (q - p);
        pos.set(id, [c1 + t * (c2 - c1), r1 + t * (r2 - r1)]);
      }
      return id;
    };
    const link = (a, b) => {
      if (!links.has(a)) links.set(a, []);
      if (!links.has(b)) links.set(b, []);
      links.get(a).push(b);
      links.get(b).push(a);
    };
    const H = (r, c) => r * nx + c; // the edge from (r, c) to (r, c + 1)
    const Vt = (r, c) => nx * ny + r * nx + c; // the edge from (r, c) to (r + 1, c)
    for (let r = 0; r < ny - 1; r++) {
      for (let c = 0; c < nx - 1; c++) {
        const a = V[r * nx + c], b = V[r * nx + c + 1], d = V[(r + 1) * nx + c], e = V[(r + 1) * nx + c + 1];
        const ids = [
          cross(H(r, c), a, b, c, r, c + 1, r),
          cross(Vt(r, c + 1), b, e, c + 1, r, c + 1, r + 1),
          cross(H(r + 1, c), d, e, c, r + 1, c + 1, r + 1),
          cross(Vt(r, c), a, d, c, r, c, r + 1),
        ].filter((id) => id >= 0);
        if (ids.length >= 2) link(ids[0], ids[1]);
        if (ids.length === 4) link(ids[2], ids[3]);
      }
    }
    const seen = new Set();
    const lines = [];
    const walk = (start) => {
      const line = [];
      let prev = -1, cur = start;
      while (cur !== undefined && !seen.has(cur)) {
        seen.add(cur);
        line.push(...pos.get(cur));
        const next = links.get(cur).find((n) => n !== prev && !seen.has(n));
        prev = cur;
        cur = next;
      }
      if (links.get(start).length === 2 && links.get(prev).includes(start)) line.push(...pos.get(start)); // a loop
      lines.push(line);
    };
    for (const [id, to] of links) if (to.length === 1 && !seen.has(id)) walk(id);
    for (const id of links.keys()) if (!seen.has(id)) walk(id);
    return lines;
  }

  function marker(ctx, shape, x, y, r) {
    ctx.beginPath();
    if (shape === "s") ctx.rect(x - r, y - r, 2 * r, 2 * r);
    else if (shape === "^") { ctx.moveTo(x, y - r * 1.2); ctx.lineTo(x + r * 1.1, y + r * 0.8); ctx.lineTo(x - r * 1.1, y + r * 0.8); ctx.closePath(); }
    else if (shape === "v") { ctx.moveTo(x, y + r * 1.2); ctx.lineTo(x + r * 1.1, y - r * 0.8); ctx.lineTo(x - r * 1.1, y - r * 0.8); ctx.closePath(); }
    else if (shape === "D") { ctx.moveTo(x, y - r * 1.3); ctx.lineTo(x + r, y); ctx.lineTo(x, y + r * 1.3); ctx.lineTo(x - r, y); ctx.closePath(); }
    else ctx.arc(x, y, r, 0, 2 * Math.PI);
  }
  // A class's marker as a small inline SVG, for legends in the page's text
  function markerSvg(c) {
    const NS = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(NS, "svg");
    svg.setAttribute("width", "14");
    svg.setAttribute("height", "14");
    svg.setAttribute("viewBox", "-7 -7 14 14");
    svg.setAttribute("aria-hidden", "true");
    const shapes = { s: "M-5,-5H5V5H-5Z", "^": "M0,-6L5.5,4H-5.5Z", v: "M0,6L5.5,-4H-5.5Z", D: "M0,-6.5L5,0L0,6.5L-5,0Z", o: "M-5,0A5,5 0 1,0 5,0A5,5 0 1,0 -5,0" };
    const path = document.createElementNS(NS, "path");
    path.setAttribute("d", shapes[markerOf(c)] || shapes.o);
    path.setAttribute("fill", classColor(c));
    path.setAttribute("stroke", classEdge(c));
    svg.appendChild(path);
    return svg;
  }

  function fmt(v, digits) {
    if (v === null || v === undefined || !isFinite(v)) return "n/a";
    return Math.abs(v) < 1e-3 && v !== 0 ? v.toExponential(2) : v.toFixed(digits === undefined ? 4 : digits);
  }
  const pct = (v) => (v === null || v === undefined || !isFinite(v) ? "n/a" : (100 * v).toFixed(1) + "%");
  const FONT = "11px system-ui, sans-serif";

  // Text on a canvas, recorded per panel (what a reader sees; the tests read it back)
  function writer(ctx, record) {
    return (text, x, y, align, baseline, angle) => {
      ctx.save();
      ctx.font = FONT;
      ctx.fillStyle = "#333";
      ctx.textAlign = align || "left";
      ctx.textBaseline = baseline || "alphabetic";
      if (angle) { ctx.translate(x, y); ctx.rotate(angle); ctx.fillText(text, 0, 0); }
      else ctx.fillText(text, x, y);
      ctx.restore();
      record.push(String(text));
    };
  }

  // --- one replay: the plane, the hidden layer and the loss curve of one run --------------------------
  const G = 150; // grid points along the plane's wider side: smooth contours, fast enough for playing
  const PAD = { l: 44, r: 74, t: 8, b: 38 }; // the plane's axes and, on the right, its colour scale

  function Replay(spec, host, index) {
    this.spec = spec;
    this.index = index || 0;
    this.model = spec.model;
    this.rule = spec.model.prediction;
    this.frames = spec.frames.map((f) => ({ epoch: f.epoch, layers: unpack(spec.model, f.theta) }));
    this.extent = spec.extent;
    this.labels = spec.labels || spec.classes;
    this.crowded = spec.crowded === undefined ? null : spec.crowded;
    this.color = lossColor(spec.loss, this.index);
    const [x0, x1, y0, y1] = this.extent;
    this.nx = (x1 - x0) >= (y1 - y0) ? G : Math.max(20, Math.round((G * (x1 - x0)) / (y1 - y0)));
    this.ny = (y1 - y0) >= (x1 - x0) ? G : Math.max(20, Math.round((G * (y1 - y0)) / (x1 - x0)));
    this.grid = new Float64Array(this.nx * this.ny * 2);
    for (let r = 0; r < this.ny; r++)
      for (let c = 0; c < this.nx; c++) {
        this.grid[2 * (r * this.nx + c)] = x0 + ((x1 - x0) * c) / (this.nx - 1);
        this.grid[2 * (r * this.nx + c) + 1] = y1 - ((y1 - y0) * r) / (this.ny - 1); // row 0 at the top
      }
    this.scale = this.colourScale();
    this.shown = null;
    this.epoch = null;
    this.drawn = { plane: [], hidden: [], curve: [] };
    this.build(host);
  }

  Replay.prototype.build = function (host) {
    const el = (tag, cls, text) => {
      const e = document.createElement(tag);
      if (cls) e.className = cls;
      if (text) e.textContent = text;
      return e;
    };
    const box = el("section", "replay");
    this.box = box;
    box.appendChild(el("h3", null, this.spec.title));
    if (this.spec.note) box.appendChild(el("p", "note", this.spec.note));
    this.status = el("p", "frame-status");
    this.status.setAttribute("aria-live", "polite");
    box.appendChild(this.status);
    const row = el("div", "panels");
    const fig = (canvas, caption) => {
      const f = el("figure");
      canvas.setAttribute("role", "img");
      f.appendChild(canvas);
      const cap = el("figcaption");
      cap.append(...caption);
      f.appendChild(cap);
      row.appendChild(f);
      return cap;
    };
    this.plane = el("canvas", "plane");
    this.hidden = el("canvas", "hidden");
    this.curve = el("canvas", "curve");
    const lastHidden = this.model.units[this.model.units.length - 2];
    const margin = this.rule === "argmax" ? "a lead of 1" : this.rule === "threshold" ? "logit ±1" : "f = ±1";
    fig(this.plane, [
      this.spec.value_name + " in the class colours (deeper: farther from the boundary); boundary solid, margin (" +
        margin + ") dashed; ringed test points are inside the margin, crossed ones misclassified.",
    ]);
    fig(this.hidden, [
      "The last hidden layer's view of the training points (" +
        (lastHidden > 2 ? "units 1 and 2 of " + lastHidden : lastHidden === 1 ? "its one unit; the classes apart vertically" : "unit 1 across, unit 2 up") +
        "); the axes follow each epoch's range.",
    ]);
    this.readout = el("span", "readout");
    fig(this.curve, ["Loss per epoch (log scale); the dashed line marks the epoch shown. ", this.readout]);
    box.appendChild(row);
    const legend = el("p", "legend");
    this.labels.forEach((name, c) => {
      const item = el("span");
      item.append(markerSvg(c), " " + name);
      legend.appendChild(item);
    });
    legend.appendChild(el("span", null, "◯ inside the margin · × misclassified · large markers: test points, dots: training points"));
    if (this.crowded !== null && this.crowded < this.labels.length)
      legend.appendChild(el("span", null, this.spec.classes[this.crowded] + ": too close together to ring (counted below)"));
    box.appendChild(legend);
    host.appendChild(box);
    this.layout();
  };

  // Sizes from the width the replay has: a phone's column, half a wide screen, or a whole one
  Replay.prototype.layout = function () {
    const width = Math.max(240, Math.floor(this.box.clientWidth || 360));
    if (width === this.width) return false;
    this.width = width;
    const [x0, x1, y0, y1] = this.extent;
    const ratio = (y1 - y0) / (x1 - x0);
    let w = Math.min(width, 440) - PAD.l - PAD.r;
    if (w * ratio > 420) w = 420 / ratio;
    this.area = { x: PAD.l, y: PAD.t, w: Math.round(w), h: Math.round(w * ratio) };
    const pw = this.area.w + PAD.l + PAD.r;
    this.planeCtx = setupCanvas(this.plane, pw, this.area.h + PAD.t + PAD.b);
    // the hidden layer and the loss beside the plane when there is room, else side by side below it
    let hw = Math.min(width, 260), cw = Math.min(width, 400);
    if (hw + cw + 18 > width && width >= 480) { hw = Math.round((width - 18) * 0.4); cw = width - 18 - hw; }
    this.hiddenSize = hw;
    this.curveSize = [cw, 240];
    this.hiddenCtx = setupCanvas(this.hidden, hw, hw);
    this.curveCtx = setupCanvas(this.curve, cw, 240);
    [[this.plane, pw], [this.hidden, hw], [this.curve, cw]].forEach(([canvas, w]) => { canvas.parentNode.style.width = w + "px"; });
    this.shown = null;
    return true;
  };

  Replay.prototype.frameAt = function (epoch) {
    let best = this.frames[0];
    for (const f of this.frames) if (f.epoch <= epoch) best = f;
    return best;
  };

  // Where the colour scale ends (plots.plane_scale): 1 for tanh, else the 98th percentile of the last
  // frame's |value|, at least 1.5 (a logit) or 2 (a lead)
  Replay.prototype.colourScale = function () {
    if (this.rule === "sign" && this.model.output === "tanh") return 1;
    const last = this.frames[this.frames.length - 1].layers;
    const vals = [];
    for (let i = 0; i < this.nx * this.ny; i += 7) vals.push(Math.abs(decision(this.rule, forward(last, this.grid[2 * i], this.grid[2 * i + 1]))));
    vals.sort((a, b) => a - b);
    const p98 = vals[Math.floor(0.98 * (vals.length - 1))] || 1;
    return Math.max(this.rule === "argmax" ? 2 : 1.5, isFinite(p98) ? p98 : 1);
  };

  Replay.prototype.show = function (epoch) {
    const frame = this.frameAt(epoch);
    if (this.shown === frame) return;
    this.shown = frame;
    const L = frame.layers, nx = this.nx, ny = this.ny;
    const D = new Float64Array(nx * ny);
    const C = new Uint8Array(nx * ny);
    const image = new ImageData(nx, ny);
    for (let i = 0; i < nx * ny; i++) {
      const out = forward(L, this.grid[2 * i], this.grid[2 * i + 1]);
      const d = decision(this.rule, out);
      const c = predicted(this.rule, out);
      D[i] = d;
      C[i] = c;
      const rgb = tint(CLASS_RGB[c % CLASS_RGB.length], Math.abs(d) / this.scale);
      image.data.set([rgb[0], rgb[1], rgb[2], 255], 4 * i);
    }
    const ctx = this.planeCtx, A = this.area;
    const text = writer(ctx, (this.drawn.plane = []));
    ctx.clearRect(0, 0, A.w + PAD.l + PAD.r, A.h + PAD.t + PAD.b);
    const off = document.createElement("canvas");
    off.width = nx;
    off.height = ny;
    off.getContext("2d").putImageData(image, 0, 0);
    const dx = A.w / (nx - 1), dy = A.h / (ny - 1); // grid points sit on the extent's edges
    ctx.save();
    ctx.beginPath();
    ctx.rect(A.x, A.y, A.w, A.h);
    ctx.clip();
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(off, 0, 0, nx, ny, A.x - dx / 2, A.y - dy / 2, A.w + dx, A.h + dy);
    const stroke = (lines, width, dash) => {
      ctx.lineWidth = width;
      ctx.setLineDash(dash);
      ctx.strokeStyle = "#000";
      ctx.lineJoin = "round";
      for (const line of lines) {
        ctx.beginPath();
        for (let i = 0; i < line.length; i += 2) {
          const px = A.x + line[i] * dx, py = A.y + line[i + 1] * dy;
          i ? ctx.lineTo(px, py) : ctx.moveTo(px, py);
        }
        ctx.stroke();
      }
    };
    this.lines = { boundary: 0, margin: 0 };
    if (this.rule === "argmax") {
      const K = this.model.units[this.model.units.length - 1];
      for (let c = 0; c < K - 1; c++) {
        const lines = isolines(Float64Array.from(C, (v) => (v > c ? 1 : 0)), nx, ny, 0.5);
        this.lines.boundary += lines.length;
        stroke(lines, 1.8, []);
      }
      const m = isolines(D, nx, ny, 1);
      this.lines.margin = m.length;
      stroke(m, 1.3, [6, 4]);
    } else {
      const b = isolines(D, nx, ny, 0);
      const m = [...isolines(D, nx, ny, 1), ...isolines(D, nx, ny, -1)];
      this.lines = { boundary: b.length, margin: m.length };
      stroke(b, 1.8, []);
      stroke(m, 1.3, [6, 4]);
    }
    ctx.setLineDash([]);
    const [x0, x1, y0, y1] = this.extent;
    const px = (x) => A.x + ((x - x0) / (x1 - x0)) * A.w;
    const py = (y) => A.y + ((y1 - y) / (y1 - y0)) * A.h;
    const stats = {};
    for (const part of ["train", "test"]) {
      const pts = this.spec.points[part];
      let inside = 0, correct = 0, crowdedInside = 0;
      for (let i = 0; i < pts.y.length; i++) {
        const x = pts.x[2 * i], y = pts.x[2 * i + 1], cls = pts.y[i];
        const out = forward(L, x, y);
        const right = predicted(this.rule, out) === cls;
        if (right) correct++;
        const violates = pointMargin(this.rule, out, cls) < 1;
        if (violates) inside++;
        if (violates && cls === this.crowded) crowdedInside++;
        ctx.fillStyle = classColor(cls);
        if (part === "train") {
          ctx.globalAlpha = 0.55;
          marker(ctx, "o", px(x), py(y), 1.6);
          ctx.fill();
          ctx.globalAlpha = 1;
          continue;
        }
        marker(ctx, markerOf(cls), px(x), py(y), 3.6);
        ctx.fill();
        ctx.strokeStyle = classEdge(cls);
        ctx.lineWidth = 0.8;
        ctx.stroke();
        if (violates && cls !== this.crowded) {
          ctx.beginPath();
          ctx.arc(px(x), py(y), 6.5, 0, 2 * Math.PI);
          ctx.strokeStyle = "#000";
          ctx.lineWidth = 1.1;
          ctx.stroke();
        }
        if (!right) {
          ctx.beginPath();
          ctx.moveTo(px(x) - 5, py(y) - 5); ctx.lineTo(px(x) + 5, py(y) + 5);
          ctx.moveTo(px(x) + 5, py(y) - 5); ctx.lineTo(px(x) - 5, py(y) + 5);
          ctx.strokeStyle = "#000";
          ctx.lineWidth = 1.6;
          ctx.stroke();
        }
      }
      stats[part] = { inside, correct, crowdedInside, n: pts.y.length };
    }
    ctx.restore();
    this.stats = stats;
    this.drawAxes(ctx, text);
    this.drawHidden(L);
    this.planeValues = D;
  };

  // The plane's frame, ticks and axis titles, and its colour scale on the right
  Replay.prototype.drawAxes = function (ctx, text) {
    const A = this.area, [x0, x1, y0, y1] = this.extent;
    ctx.strokeStyle = "#555";
    ctx.lineWidth = 1;
    ctx.strokeRect(A.x + 0.5, A.y + 0.5, A.w - 1, A.h - 1);
    const xt = niceTicks(x0, x1, Math.max(3, Math.round(A.w / 70)));
    xt.ticks.forEach((v) => {
      const x = A.x + ((v - x0) / (x1 - x0)) * A.w;
      ctx.beginPath(); ctx.moveTo(x, A.y + A.h); ctx.lineTo(x, A.y + A.h + 4); ctx.stroke();
      text(v.toFixed(xt.digits), x, A.y + A.h + 6, "center", "top");
    });
    const yt = niceTicks(y0, y1, Math.max(3, Math.round(A.h / 60)));
    yt.ticks.forEach((v) => {
      const y = A.y + ((y1 - v) / (y1 - y0)) * A.h;
      ctx.beginPath(); ctx.moveTo(A.x, y); ctx.lineTo(A.x - 4, y); ctx.stroke();
      text(v.toFixed(yt.digits), A.x - 6, y, "right", "middle");
    });
    text("x1", A.x + A.w / 2, A.y + A.h + 34, "center", "alphabetic");
    text("x2", 11, A.y + A.h / 2, "center", "middle", -Math.PI / 2);
    // the colour scale: the value from -scale (bottom) to +scale (top); k classes: the lead, 0 to scale
    const bx = A.x + A.w + 12, bw = 12;
    const lo = this.rule === "argmax" ? 0 : -this.scale, hi = this.scale;
    for (let i = 0; i < A.h; i++) {
      const v = hi - ((i + 0.5) / A.h) * (hi - lo);
      const rgb = this.rule === "argmax" ? tint([85, 85, 85], v / this.scale) : tint(CLASS_RGB[v >= 0 ? 1 : 0], Math.abs(v) / this.scale);
      ctx.fillStyle = css(rgb);
      ctx.fillRect(bx, A.y + i, bw, 1);
    }
    ctx.strokeRect(bx + 0.5, A.y + 0.5, bw - 1, A.h - 1);
    const bt = niceTicks(lo, hi, 4);
    bt.ticks.forEach((v) => {
      const y = A.y + ((hi - v) / (hi - lo)) * A.h;
      ctx.beginPath(); ctx.moveTo(bx + bw, y); ctx.lineTo(bx + bw + 3, y); ctx.stroke();
      text(v.toFixed(bt.digits), bx + bw + 5, y, "left", "middle");
    });
    const title = this.rule === "argmax" ? "lead (shade)" : this.rule === "threshold" ? "logit of p" : "f(x)";
    text(title, A.x + A.w + PAD.r - 8, A.y + A.h / 2, "center", "middle", Math.PI / 2);
  };

  Replay.prototype.drawHidden = function (L) {
    const ctx = this.hiddenCtx, S = this.hiddenSize;
    const text = writer(ctx, (this.drawn.hidden = []));
    const upto = this.model.units.length - 1;
    const pts = this.spec.points.train;
    const acts = [];
    const lo = [Infinity, Infinity], hi = [-Infinity, -Infinity];
    for (let i = 0; i < pts.y.length; i++) {
      const h = forward(L, pts.x[2 * i], pts.x[2 * i + 1], upto);
      acts.push(h);
      for (let d = 0; d < Math.min(2, h.length); d++)
        if (isFinite(h[d])) { lo[d] = Math.min(lo[d], h[d]); hi[d] = Math.max(hi[d], h[d]); }
    }
    // this epoch's range, padded (a range of one value gets a unit around it)
    const range = [0, 1].map((d) => {
      if (!isFinite(lo[d])) return [-1, 1];
      const span = hi[d] - lo[d];
      const pad = span > 1e-6 ? 0.06 * span : 0.5;
      return [lo[d] - pad, hi[d] + pad];
    });
    const one = this.model.units[upto - 1] === 1;
    if (one) range[1] = [-0.5, this.spec.classes.length - 0.5];
    this.hiddenRange = range;
    const [[a0, a1], [b0, b1]] = range;
    const P = { l: 46, r: 8, t: 8, b: 34 };
    const w = S - P.l - P.r, h = S - P.t - P.b;
    ctx.clearRect(0, 0, S, S);
    ctx.strokeStyle = "#555";
    ctx.lineWidth = 1;
    ctx.strokeRect(P.l + 0.5, P.t + 0.5, w - 1, h - 1);
    const xt = niceTicks(a0, a1, Math.max(2, Math.round(w / 60)));
    xt.ticks.forEach((v) => {
      const x = P.l + ((v - a0) / (a1 - a0)) * w;
      ctx.beginPath(); ctx.moveTo(x, P.t + h); ctx.lineTo(x, P.t + h + 4); ctx.stroke();
      text(v.toFixed(xt.digits), x, P.t + h + 6, "center", "top");
    });
    if (!one) {
      const yt = niceTicks(b0, b1, Math.max(2, Math.round(h / 50)));
      yt.ticks.forEach((v) => {
        const y = P.t + ((b1 - v) / (b1 - b0)) * h;
        ctx.beginPath(); ctx.moveTo(P.l, y); ctx.lineTo(P.l - 4, y); ctx.stroke();
        text(v.toFixed(yt.digits), P.l - 6, y, "right", "middle");
      });
    }
    text("hidden unit 1", P.l + w / 2, S - 4, "center", "alphabetic");
    text(one ? "class" : "hidden unit 2", 11, P.t + h / 2, "center", "middle", -Math.PI / 2);
    ctx.save();
    ctx.beginPath();
    ctx.rect(P.l, P.t, w, h);
    ctx.clip();
    for (let i = 0; i < acts.length; i++) {
      const u = acts[i][0];
      const v = one ? pts.y[i] : acts[i][1];
      ctx.fillStyle = classColor(pts.y[i]);
      ctx.globalAlpha = 0.7;
      marker(ctx, markerOf(pts.y[i]), P.l + ((u - a0) / (a1 - a0)) * w, P.t + ((b1 - v) / (b1 - b0)) * h, 2.6);
      ctx.fill();
    }
    ctx.restore();
  };

  Replay.prototype.drawCurve = function (epoch, maxEpoch) {
    const ctx = this.curveCtx, [W, H] = this.curveSize;
    const text = writer(ctx, (this.drawn.curve = []));
    const hist = this.spec.history;
    const P = { l: 58, r: 12, t: 24, b: 36 };
    const w = W - P.l - P.r, h = H - P.t - P.b;
    ctx.clearRect(0, 0, W, H);
    const series = [["loss", [], "training"], ["val_loss", [5, 4], "validation"]].filter(
      ([k]) => hist[k] && hist[k].some((v) => v !== null && isFinite(v))
    );
    const all = [];
    series.forEach(([k]) => hist[k].forEach((v) => { if (v !== null && v > 0 && isFinite(v)) all.push(v); }));
    let lo = Math.log10(all.length ? Math.min(...all) : 1e-3), hi = Math.log10(all.length ? Math.max(...all) : 1);
    if (hi - lo < 0.3) { lo -= 0.15; hi += 0.15; }
    const X = (e) => P.l + (maxEpoch > 0 ? (e / maxEpoch) * w : 0);
    const Y = (v) => P.t + (1 - (Math.log10(v) - lo) / (hi - lo)) * h;
    ctx.strokeStyle = "#555";
    ctx.lineWidth = 1;
    ctx.strokeRect(P.l + 0.5, P.t + 0.5, w - 1, h - 1);
    // y: every decade (every other when there are many), or round values within one decade
    let yticks = [];
    for (let p = Math.ceil(lo - 1e-9); p <= Math.floor(hi + 1e-9); p++) yticks.push([Math.pow(10, p), power(p)]);
    if (yticks.length > 6) yticks = yticks.filter((_, i) => i % 2 === 0);
    if (yticks.length < 2) {
      const t = niceTicks(Math.pow(10, lo), Math.pow(10, hi), 4);
      yticks = t.ticks.filter((v) => v > 0).map((v) => [v, v.toPrecision(2).replace(/\.?0+$/, "")]);
    }
    ctx.strokeStyle = "#e4e4e4";
    yticks.forEach(([v, label]) => {
      const y = Y(v);
      ctx.beginPath(); ctx.moveTo(P.l, y); ctx.lineTo(P.l + w, y); ctx.stroke();
      text(label, P.l - 6, y, "right", "middle");
    });
    ctx.strokeStyle = "#555";
    const xt = niceTicks(0, Math.max(1, maxEpoch), Math.max(3, Math.round(w / 60)));
    xt.ticks.filter((v) => Number.isInteger(v)).forEach((v) => {
      const x = X(v);
      ctx.beginPath(); ctx.moveTo(x, P.t + h); ctx.lineTo(x, P.t + h + 4); ctx.stroke();
      text(String(v), x, P.t + h + 6, "center", "top");
    });
    text("epoch", P.l + w / 2, H - 4, "center", "alphabetic");
    text("loss (log scale)", 12, P.t + h / 2, "center", "middle", -Math.PI / 2);
    ctx.save();
    ctx.beginPath();
    ctx.rect(P.l, P.t, w, h);
    ctx.clip();
    series.forEach(([k, dash]) => {
      ctx.strokeStyle = this.color;
      ctx.lineWidth = 2;
      ctx.setLineDash(dash);
      ctx.beginPath();
      let started = false;
      hist[k].forEach((v, i) => {
        if (v === null || !isFinite(v)) return;
        if (v <= 0) { // a loss of exactly 0, which a log axis cannot show: a tick on the bottom edge
          ctx.moveTo(X(i + 1), P.t + h);
          ctx.lineTo(X(i + 1), P.t + h - 6);
          started = false;
          return;
        }
        started ? ctx.lineTo(X(i + 1), Y(v)) : ctx.moveTo(X(i + 1), Y(v));
        started = true;
      });
      ctx.stroke();
    });
    ctx.setLineDash([4, 3]);
    ctx.strokeStyle = "#000";
    ctx.lineWidth = 1;
    ctx.beginPath();
    ctx.moveTo(X(epoch), P.t);
    ctx.lineTo(X(epoch), P.t + h);
    ctx.stroke();
    ctx.setLineDash([]);
    const values = [];
    series.forEach(([k, , label]) => {
      const v = epoch >= 1 ? hist[k][epoch - 1] : null;
      values.push(label + " loss " + (v === null || v === undefined ? "n/a" : fmt(v)));
      if (v === null || v === undefined || !isFinite(v) || v <= 0) return;
      ctx.fillStyle = this.color;
      ctx.beginPath();
      ctx.arc(X(epoch), Y(v), 4, 0, 2 * Math.PI);
      ctx.fill();
    });
    ctx.restore();
    // the legend, above the plot: solid training, dashed validation, in the loss's colour
    let lx = P.l;
    series.forEach(([, dash, label]) => {
      ctx.strokeStyle = this.color;
      ctx.lineWidth = 2;
      ctx.setLineDash(dash);
      ctx.beginPath(); ctx.moveTo(lx, 12); ctx.lineTo(lx + 22, 12); ctx.stroke();
      ctx.setLineDash([]);
      text(label, lx + 26, 12, "left", "middle");
      lx += 36 + ctx.measureText(label).width + 14;
    });
    text(epoch === 0 ? "epoch 0" : "epoch " + epoch, Math.min(X(epoch) + 4, P.l + w - 2), P.t + 10, X(epoch) + 60 > P.l + w ? "right" : "left", "middle");
    this.readout.textContent = epoch === 0 ? "Epoch 0: the initial weights, before any loss was recorded." :
      epoch > hist.loss.length ? "This run trained " + hist.loss.length + " epochs." :
      "Epoch " + epoch + ": " + values.join(", ") + ".";
  };

  Replay.prototype.update = function (epoch, maxEpoch) {
    this.epoch = epoch;
    this.maxEpoch = maxEpoch;
    this.show(epoch);
    this.drawCurve(epoch, maxEpoch);
    const hist = this.spec.history;
    const f = this.shown;
    let text;
    if (epoch === 0) text = "Initial weights, before training. ";
    else if (epoch <= hist.loss.length)
      text = "Epoch " + epoch + ": training loss " + fmt(hist.loss[epoch - 1]) + ", accuracy " + pct(hist.accuracy[epoch - 1]) +
        "; validation loss " + fmt(hist.val_loss[epoch - 1]) + ", accuracy " + pct(hist.val_accuracy[epoch - 1]) + ". ";
    else text = "This run trained " + hist.loss.length + " epochs. ";
    if (f.epoch !== epoch) text += "Drawn from the weights of epoch " + f.epoch + " (the nearest recorded). ";
    const s = this.stats;
    let inside = s.test.inside + " of " + s.test.n + " test points";
    if (this.crowded !== null && this.crowded < this.spec.classes.length)
      inside += " (" + s.test.crowdedInside + " of them on the " + this.spec.classes[this.crowded] + ", not ringed)";
    text += "At these weights: test accuracy " + pct(s.test.correct / Math.max(1, s.test.n)) + ", " + inside +
      " and " + s.train.inside + " of " + s.train.n + " training points inside the margin.";
    const last = f.epoch === hist.loss.length && epoch === f.epoch;
    const keras = this.spec.inside_margin;
    if (last && keras !== null && keras !== undefined && keras !== s.test.inside)
      text += " Keras counted " + keras + " test points inside the margin: a point whose margin is 1 up to float32 rounding can land on either side of it.";
    this.status.textContent = text;
    const what = this.spec.title + ", epoch " + epoch + ": ";
    this.plane.setAttribute("aria-label", what + this.spec.value_name + " over the plane with the boundary" +
      (this.lines.margin ? " and the margin" : " (the margin is not on the plane)") + "; test accuracy " +
      pct(s.test.correct / Math.max(1, s.test.n)) + ", " + s.test.inside + " of " + s.test.n + " test points inside the margin.");
    const [[a0, a1], [b0, b1]] = this.hiddenRange;
    this.hidden.setAttribute("aria-label", what + "the training points in the last hidden layer, unit 1 from " +
      fmt(a0, 2) + " to " + fmt(a1, 2) + ", unit 2 from " + fmt(b0, 2) + " to " + fmt(b1, 2) + ".");
    this.curve.setAttribute("aria-label", what + "loss per epoch. " + this.readout.textContent);
  };

  Replay.prototype.redraw = function () {
    if (this.layout() && this.epoch !== null) this.update(this.epoch, this.maxEpoch);
  };

  // --- the replay page: one slider for every replay -------------------------------------------------
  // `load(specs, prefix)` replaces the replays the slider drives (a seed study loads one seed's at a
  // time); the address is #<prefix>epoch=N, the prefix naming anything else shown ("seed=43&"), and it
  // always says what is shown: an epoch beyond the last is clamped, and the address with it.
  function initReplays() {
    const host = document.getElementById("replays");
    if (!host) return null;
    const slider = document.getElementById("epoch");
    const label = document.getElementById("epoch-label");
    const of = document.getElementById("epoch-of");
    const play = document.getElementById("play");
    let replays = [], minEpoch = 0, maxEpoch = 0, prefix = "", current = null, timer = null;

    function setEpoch(n) {
      n = Math.round(Number(n));
      if (!isFinite(n)) n = maxEpoch;
      n = Math.max(minEpoch, Math.min(maxEpoch, n));
      current = n;
      slider.value = String(n);
      label.textContent = "epoch " + n;
      of.textContent = " of " + maxEpoch + (n === 0 ? " (initial weights)" : "");
      slider.setAttribute("aria-valuetext", "epoch " + n + " of " + maxEpoch + (n === 0 ? ", the initial weights" : ""));
      replays.forEach((r) => r.update(n, maxEpoch));
      const hash = "#" + prefix + "epoch=" + n;
      if (location.hash !== hash) {
        try { history.replaceState(null, "", hash); } catch (e) { location.hash = hash.slice(1); }
      }
      return n;
    }
    function load(specs, hashPrefix) {
      stop();
      host.textContent = "";
      prefix = hashPrefix || "";
      host.classList.toggle("side-by-side", specs.length > 1);
      replays = specs.map((spec, i) => new Replay(spec, host, i));
      maxEpoch = Math.max(...specs.map((r) => Math.max(r.history.loss.length, r.frames[r.frames.length - 1].epoch)));
      minEpoch = Math.min(...specs.map((r) => r.frames[0].epoch));
      slider.max = String(maxEpoch);
      slider.min = String(minEpoch);
      slider.disabled = play.disabled = maxEpoch === minEpoch;
    }
    function stop() {
      if (timer) clearInterval(timer);
      timer = null;
      play.textContent = "▶ play";
      play.setAttribute("aria-pressed", "false");
    }
    const player = {
      load, setEpoch, stop, fromHash: epochInHash, onHash: null,
      current: () => current, maxEpoch: () => maxEpoch, get replays() { return replays; },
    };
    slider.addEventListener("input", () => { stop(); setEpoch(slider.value); });
    window.addEventListener("hashchange", () => {
      if (player.onHash && player.onHash()) return; // it showed something else (another seed)
      const n = epochInHash();
      if (n !== null && n !== current) setEpoch(n);
    });
    play.addEventListener("click", () => {
      if (timer) return stop();
      if (current >= maxEpoch) setEpoch(minEpoch);
      play.textContent = "❚❚ pause";
      play.setAttribute("aria-pressed", "true");
      timer = setInterval(() => { if (current >= maxEpoch) stop(); else setEpoch(current + 1); }, Math.max(80, 6000 / Math.max(1, maxEpoch)));
    });
    let resizing = null;
    window.addEventListener("resize", () => {
      clearTimeout(resizing);
      resizing = setTimeout(() => replays.forEach((r) => r.redraw()), 120);
    });
    if (DATA.replays && DATA.replays.length) {
      load(DATA.replays);
      const start = epochInHash();
      setEpoch(start === null ? maxEpoch : start);
    }
    return player;
  }
  function epochInHash() {
    const m = /epoch=(-?\d+)/.exec(location.hash);
    return m ? Number(m[1]) : null;
  }

  // --- a seed study: every seed's replay, built when it is asked for from the page's compact data ----
  // DATA.seeds holds float32 arrays in base64 (see studies/comparison.py: seed_replays); a seed's replays are the
  // same objects a run's report.html carries, so they draw and compute exactly as a run's do.
  function float32s(b64) {
    const bytes = atob(b64);
    const view = new DataView(new ArrayBuffer(bytes.length));
    for (let i = 0; i < bytes.length; i++) view.setUint8(i, bytes.charCodeAt(i));
    const out = new Array(bytes.length / 4);
    for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(4 * i, true);
    return out;
  }
  const digits = (text) => Array.from(text, (c) => c.charCodeAt(0) - 48);

  function seedReplays(seed) {
    const S = DATA.seeds, run = S.runs[String(seed)];
    const points = {
      train: { x: float32s(run.x[0]), y: digits(run.y[0]) },
      test: { x: float32s(run.x[1]), y: digits(run.y[1]) },
    };
    return S.losses.map((L, i) => {
      const theta = float32s(run.theta[i]);
      const n = theta.length / L.epochs.length;
      const h = float32s(run.history[i]);
      const E = h.length / 4;
      return {
        title: L.title + " loss, seed " + seed + ": test accuracy " + pct(run.accuracy[i]) +
          (run.success[i] ? "" : " (failed)"),
        note: L.note, loss: L.loss, model: L.model,
        frames: L.epochs.map((epoch, j) => ({ epoch, theta: theta.slice(j * n, (j + 1) * n) })),
        history: { loss: h.slice(0, E), accuracy: h.slice(E, 2 * E), val_loss: h.slice(2 * E, 3 * E), val_accuracy: h.slice(3 * E) },
        points, classes: L.classes, labels: L.labels, crowded: L.crowded, extent: run.extent, value_name: L.value_name,
      };
    });
  }

  // The strip: clicking a seed (or Enter on it) opens its replay when the page has one, and always
  // shows the command that trains it alone; #seed=S&epoch=N opens seed S at epoch N, #epoch=N the
  // first seed at epoch N.
  function initSeeds(player) {
    const tip = document.getElementById("seed-tip");
    const buttons = Array.from(document.querySelectorAll(".strip [data-seed]"));
    const has = (seed) => !!(DATA.seeds && DATA.seeds.runs[String(seed)]);
    let shown = null;
    function describe(seed, command) {
      let text = "Seed " + seed;
      if (has(seed)) {
        const run = DATA.seeds.runs[String(seed)];
        text += ", test accuracy: " + DATA.seeds.losses.map((L, i) =>
          L.title + " " + pct(run.accuracy[i]) + (run.success[i] ? "" : " (failed)")).join(", ") + "; replayed below. ";
      } else text += ". ";
      const code = document.createElement("code");
      code.textContent = command;
      tip.textContent = "";
      tip.append(text + "To train it alone: ", code);
    }
    function open(seed, epoch) {
      seed = String(seed);
      if (shown !== seed) {
        player.load(seedReplays(seed), "seed=" + seed + "&");
        shown = seed;
        buttons.forEach((el) => {
          el.classList.toggle("chosen", el.dataset.seed === seed);
          el.setAttribute("aria-pressed", el.dataset.seed === seed ? "true" : "false");
        });
        const first = buttons.find((el) => el.dataset.seed === seed);
        if (first) describe(seed, first.dataset.command);
      }
      player.setEpoch(epoch === null || epoch === undefined ? player.maxEpoch() : epoch);
    }
    buttons.forEach((el) => {
      el.addEventListener("click", () => {
        if (player && has(el.dataset.seed)) {
          open(el.dataset.seed, player.current()); // the same epoch, another seed
          const heading = document.getElementById("seed-replay");
          if (heading.getBoundingClientRect().top > 0.7 * window.innerHeight) heading.scrollIntoView({ behavior: "smooth" });
        }
        describe(el.dataset.seed, el.dataset.command);
      });
    });
    if (!player || !DATA.seeds) return null;
    const inHash = () => { const m = /seed=(\d+)/.exec(location.hash); return m ? m[1] : null; };
    player.onHash = () => {
      const seed = inHash();
      if (seed === null || seed === shown || !has(seed)) return false;
      open(seed, player.fromHash());
      return true;
    };
    const asked = inHash();
    const first = Object.keys(DATA.seeds.runs)[0];
    if (asked !== null && !has(asked)) {
      open(first, player.fromHash());
      tip.textContent = "This page holds no replay of seed " + asked + "; showing seed " + first + ".";
    } else {
      open(asked === null ? first : asked, player.fromHash());
    }
    return { open, shown: () => shown };
  }

  // --- the sweep's chart: success rate (or mean test accuracy) against the value, one line per loss ----
  function initSweep() {
    const host = document.getElementById("sweep-chart");
    if (!host || !DATA.sweep) return;
    const sw = DATA.sweep;
    const select = document.getElementById("sweep-metric");
    const tip = document.getElementById("sweep-tip");
    const NS = "http://www.w3.org/2000/svg";
    // drawn at the width it is shown (a phone's or up to 680 px), so that its text keeps its size
    let W = 640, H = 340;
    const pad = { l: 50, r: 16, t: 14, b: 44 };
    const numeric = sw.values.every((v) => typeof v === "number");
    const xs = numeric ? sw.values : sw.values.map((_, i) => i);
    const xlo = Math.min(...xs), xhi = Math.max(...xs);
    const X = (i) => pad.l + (xhi > xlo ? (xs[i] - xlo) / (xhi - xlo) : 0.5) * (W - pad.l - pad.r);
    let ylo = 0; // the accuracy view starts where the lowest interval does, so differences show
    const Y = (v) => pad.t + (1 - (v - ylo) / (1 - ylo)) * (H - pad.t - pad.b);
    const interval = (r, metric) => (metric === "success" ? r.success_ci95 : r.test_accuracy_ci95 || [r.test_accuracy, r.test_accuracy]);
    const hiddenLosses = new Set();
    const shapes = "o^sDv";
    function node(tag, attrs, parent, text) {
      const e = document.createElementNS(NS, tag);
      for (const k in attrs) e.setAttribute(k, attrs[k]);
      if (text !== undefined) e.textContent = text;
      parent.appendChild(e);
      return e;
    }
    function point(svg, shape, cx, cy, color) {
      const r = 5.5;
      const d = shape === "^" ? `M${cx},${cy - r}L${cx + r},${cy + r * 0.8}L${cx - r},${cy + r * 0.8}Z` :
        shape === "s" ? `M${cx - r * 0.85},${cy - r * 0.85}h${1.7 * r}v${1.7 * r}h${-1.7 * r}Z` :
        shape === "D" ? `M${cx},${cy - r * 1.1}L${cx + r},${cy}L${cx},${cy + r * 1.1}L${cx - r},${cy}Z` :
        shape === "v" ? `M${cx},${cy + r}L${cx + r},${cy - r * 0.8}L${cx - r},${cy - r * 0.8}Z` :
        `M${cx - r},${cy}a${r},${r} 0 1,0 ${2 * r},0a${r},${r} 0 1,0 ${-2 * r},0`;
      return node("path", { d, fill: color, class: "point", tabindex: 0, role: "button" }, svg);
    }
    function draw() {
      W = Math.max(300, Math.min(680, Math.floor(host.clientWidth || 640)));
      H = Math.max(240, Math.round(W * 0.53));
      host.textContent = "";
      const metric = select.value;
      const lows = sw.results.map((r) => interval(r, metric)[0]).filter((v) => v !== null && isFinite(v));
      ylo = metric === "success" || !lows.length ? 0 : Math.max(0, Math.floor(20 * Math.min(...lows) - 0.5) / 20);
      const what = metric === "success" ? "Success rate" : "Mean test accuracy";
      const svg = node("svg", { viewBox: "0 0 " + W + " " + H, role: "group",
        "aria-label": what + " with its 95% interval against " + sw.param + ", one line per loss" }, host);
      for (let k = 0; k <= 4; k++) {
        const t = ylo + (1 - ylo) * k / 4;
        node("line", { x1: pad.l, x2: W - pad.r, y1: Y(t), y2: Y(t), stroke: "#ddd" }, svg);
        node("text", { x: pad.l - 6, y: Y(t) + 4, "text-anchor": "end", "font-size": 12 }, svg, (100 * t).toFixed(ylo ? 1 : 0) + "%");
      }
      sw.values.forEach((v, i) => node("text", { x: X(i), y: H - pad.b + 16, "text-anchor": "middle", "font-size": 12 }, svg, String(v)));
      node("text", { x: (W + pad.l) / 2, y: H - 6, "text-anchor": "middle", "font-size": 13 }, svg, sw.param);
      sw.losses.forEach((loss, li) => {
        if (hiddenLosses.has(loss)) return;
        const color = sw.colors[li];
        const slice = {};
        document.querySelectorAll(".sweep-slice").forEach((s) => { slice[s.dataset.key] = s.value; });
        const inSlice = (r) => Object.keys(slice).every((k) => r.at[k] === slice[k]);
        const rows = sw.values.map((v) => sw.results.find((r) => r.value === v && r.loss === loss && inSlice(r)));
        const value = (r) => (metric === "success" ? r.success_rate : r.test_accuracy);
        const nudge = (li - (sw.losses.length - 1) / 2) * 4; // so overlapping intervals stay visible
        let d = "";
        rows.forEach((r, i) => { if (r) d += (d ? "L" : "M") + (X(i) + nudge) + "," + Y(value(r)); });
        node("path", { d, fill: "none", stroke: color, "stroke-width": 2, "stroke-dasharray": li % 2 ? "6 3" : "none" }, svg);
        rows.forEach((r, i) => {
          if (!r) return;
          const [lo, hi] = interval(r, metric);
          node("line", { x1: X(i) + nudge, x2: X(i) + nudge, y1: Y(lo), y2: Y(hi), stroke: color, "stroke-width": 1.2 }, svg);
          const dot = point(svg, shapes[li % shapes.length], X(i) + nudge, Y(value(r)), color);
          const at = Object.keys(r.at).map((k) => ", " + k + " = " + r.at[k]).join("");
          const text = sw.display[li] + ", " + sw.param + " = " + r.value + at + ": success " + r.successes + "/" + r.seeds +
            " = " + pct(r.success_rate) + " (95% CI " + pct(r.success_ci95[0]) + "–" + pct(r.success_ci95[1]) +
            "), mean test accuracy " + pct(r.test_accuracy) +
            (r.test_accuracy_ci95 ? " (95% CI " + pct(r.test_accuracy_ci95[0]) + "–" + pct(r.test_accuracy_ci95[1]) + ")" : "") +
            (r.failed_seeds.length ? ", failed seeds " + r.failed_seeds.join(", ") : "");
          dot.setAttribute("aria-label", text);
          node("title", {}, dot, text);
          const showTip = () => { tip.textContent = text; };
          dot.addEventListener("mouseenter", showTip);
          dot.addEventListener("focus", showTip);
          dot.addEventListener("click", showTip);
          dot.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); showTip(); } });
        });
      });
    }
    const legend = document.getElementById("sweep-legend");
    sw.losses.forEach((loss, li) => {
      const label = document.createElement("label");
      const box = document.createElement("input");
      box.type = "checkbox";
      box.checked = true;
      box.addEventListener("change", () => { box.checked ? hiddenLosses.delete(loss) : hiddenLosses.add(loss); draw(); });
      const key = document.createElementNS(NS, "svg");
      key.setAttribute("width", "30");
      key.setAttribute("height", "14");
      key.setAttribute("aria-hidden", "true");
      node("line", { x1: 1, x2: 29, y1: 7, y2: 7, stroke: sw.colors[li], "stroke-width": 2, "stroke-dasharray": li % 2 ? "6 3" : "none" }, key);
      point(key, shapes[li % shapes.length], 15, 7, sw.colors[li]).removeAttribute("tabindex");
      label.append(box, " ", key, " " + sw.display[li] + "  ");
      legend.appendChild(label);
    });
    select.addEventListener("change", draw);
    document.querySelectorAll(".sweep-slice").forEach((s) => s.addEventListener("change", draw));
    let resizing = null, drawnAt = host.clientWidth;
    window.addEventListener("resize", () => {
      clearTimeout(resizing);
      resizing = setTimeout(() => { if (host.clientWidth !== drawnAt) { drawnAt = host.clientWidth; draw(); } }, 120);
    });
    draw();
  }

  // --- figures: a click opens the picture at its full size over the page (Escape or a click closes) --
  function initZoom() {
    const links = Array.from(document.querySelectorAll("a.zoom"));
    if (!links.length || typeof HTMLDialogElement === "undefined") return null;
    const dialog = document.createElement("dialog");
    dialog.className = "zoomed";
    const close = document.createElement("button");
    close.type = "button";
    close.textContent = "close ✕";
    const big = document.createElement("img");
    const caption = document.createElement("p");
    dialog.append(close, big, caption);
    document.body.appendChild(dialog);
    close.addEventListener("click", () => dialog.close());
    dialog.addEventListener("click", (e) => { if (e.target !== close) dialog.close(); });
    links.forEach((a) => a.addEventListener("click", (e) => {
      const small = a.querySelector("img");
      if (!small) return;
      e.preventDefault();
      big.src = small.src;
      big.width = small.naturalWidth;
      big.height = small.naturalHeight;
      big.alt = small.alt;
      caption.textContent = small.alt;
      dialog.setAttribute("aria-label", small.alt);
      dialog.showModal();
      close.focus();
    }));
    return dialog;
  }

  const api = { unpack, forward, predicted, decision, activations: ACTIVATIONS, data: DATA, isolines, niceTicks };
  api.replay = initReplays();
  api.seeds = initSeeds(api.replay);
  initSweep();
  api.zoom = initZoom();
  // For scripts and tests: the outputs of replay r's network at `epoch` for points [[x1, x2], ...]
  api.outputs = (r, epoch, points) => {
    const layers = api.replay.replays[r].frameAt(epoch).layers;
    return points.map(([a, b]) => forward(layers, a, b));
  };
  window.circlesReport = api;
})();
