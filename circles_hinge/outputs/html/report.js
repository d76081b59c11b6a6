// circles-hinge report pages: the replay (a forward pass of the recorded weights, drawn on canvases),
// the sweep chart and the index's filters. Plain JavaScript, no library, no network.
"use strict";
(function () {
  const DATA = JSON.parse(document.getElementById("report-data").textContent);
  const COLORS = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#56B4E9"];
  const MARKERS = "s^ovD";

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
      const W = theta.slice(offset, offset + fanIn * out);
      offset += fanIn * out;
      const b = theta.slice(offset, offset + out);
      offset += out;
      layers.push({ W, b, fanIn, out, act });
      fanIn = out;
    });
    return layers;
  }

  function forward(layers, x0, x1, upto) {
    let h = [x0, x1];
    const stop = upto === undefined ? layers.length : upto;
    for (let i = 0; i < stop; i++) {
      const L = layers[i];
      const z = new Array(L.out);
      for (let j = 0; j < L.out; j++) {
        let s = 0;
        for (let k = 0; k < L.fanIn; k++) s += h[k] * L.W[k * L.out + j];
        z[j] = L.act(s + L.b[j]);
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
  const CLASS_RGB = COLORS.map(hexRgb);

  function setupCanvas(canvas, w, h) {
    const ratio = window.devicePixelRatio || 1;
    canvas.width = Math.round(w * ratio);
    canvas.height = Math.round(h * ratio);
    canvas.style.width = w + "px";
    canvas.style.height = h + "px";
    const ctx = canvas.getContext("2d");
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    return ctx;
  }

  // Marching squares: the line where V crosses `level`, on a G x G grid drawn into a size x size box
  function contour(ctx, V, G, level, scale) {
    ctx.beginPath();
    const pts = [];
    const edge = (p, q, x1, y1, x2, y2) => {
      if (p >= level !== q >= level) {
        const t = (level - p) / (q - p);
        pts.push(x1 + t * (x2 - x1), y1 + t * (y2 - y1));
      }
    };
    for (let r = 0; r < G - 1; r++) {
      for (let c = 0; c < G - 1; c++) {
        const a = V[r * G + c], b = V[r * G + c + 1], d = V[(r + 1) * G + c], e = V[(r + 1) * G + c + 1];
        pts.length = 0;
        edge(a, b, c, r, c + 1, r);
        edge(b, e, c + 1, r, c + 1, r + 1);
        edge(e, d, c + 1, r + 1, c, r + 1);
        edge(d, a, c, r + 1, c, r);
        for (let i = 0; i + 3 < pts.length; i += 4) {
          ctx.moveTo((pts[i] + 0.5) * scale, (pts[i + 1] + 0.5) * scale);
          ctx.lineTo((pts[i + 2] + 0.5) * scale, (pts[i + 3] + 0.5) * scale);
        }
      }
    }
    ctx.stroke();
  }

  function marker(ctx, shape, x, y, r) {
    ctx.beginPath();
    if (shape === "s") ctx.rect(x - r, y - r, 2 * r, 2 * r);
    else if (shape === "^") { ctx.moveTo(x, y - r * 1.2); ctx.lineTo(x + r * 1.1, y + r * 0.8); ctx.lineTo(x - r * 1.1, y + r * 0.8); ctx.closePath(); }
    else if (shape === "v") { ctx.moveTo(x, y + r * 1.2); ctx.lineTo(x + r * 1.1, y - r * 0.8); ctx.lineTo(x - r * 1.1, y - r * 0.8); ctx.closePath(); }
    else if (shape === "D") { ctx.moveTo(x, y - r * 1.3); ctx.lineTo(x + r, y); ctx.lineTo(x, y + r * 1.3); ctx.lineTo(x - r, y); ctx.closePath(); }
    else ctx.arc(x, y, r, 0, 2 * Math.PI);
  }

  function fmt(v, digits) {
    if (v === null || v === undefined || !isFinite(v)) return "n/a";
    return Math.abs(v) < 1e-3 && v !== 0 ? v.toExponential(2) : v.toFixed(digits === undefined ? 4 : digits);
  }
  const pct = (v) => (v === null || v === undefined || !isFinite(v) ? "n/a" : (100 * v).toFixed(1) + "%");

  // --- one replay: the plane, the hidden layer and the loss curve of one run --------------------------
  const G = 150; // grid points a side: fine enough for smooth contours, fast enough for playing
  const PLANE = 380, HIDDEN = 250, CURVE_W = 380, CURVE_H = 210;

  function Replay(spec, host) {
    this.spec = spec;
    this.model = spec.model;
    this.rule = spec.model.prediction;
    this.frames = spec.frames.map((f) => ({ epoch: f.epoch, layers: unpack(spec.model, f.theta) }));
    const [x0, x1, y0, y1] = spec.extent;
    this.extent = spec.extent;
    this.grid = new Float64Array(G * G * 2);
    for (let r = 0; r < G; r++)
      for (let c = 0; c < G; c++) {
        this.grid[2 * (r * G + c)] = x0 + ((x1 - x0) * c) / (G - 1);
        this.grid[2 * (r * G + c) + 1] = y1 - ((y1 - y0) * r) / (G - 1); // row 0 at the top
      }
    this.build(host);
    this.hiddenRange = this.computeHiddenRange();
    this.scale = this.colourScale();
    this.shown = null;
  }

  Replay.prototype.build = function (host) {
    const el = (tag, cls, text) => {
      const e = document.createElement(tag);
      if (cls) e.className = cls;
      if (text) e.textContent = text;
      return e;
    };
    const box = el("section", "replay");
    box.appendChild(el("h3", null, this.spec.title));
    if (this.spec.note) box.appendChild(el("p", "note", this.spec.note));
    this.status = el("p", "frame-status");
    box.appendChild(this.status);
    const row = el("div", "panels");
    const fig = (title, canvas, caption) => {
      const f = el("figure");
      f.appendChild(canvas);
      const cap = el("figcaption", null, title);
      if (caption) { cap.appendChild(document.createElement("br")); cap.appendChild(el("span", "small", caption)); }
      f.appendChild(cap);
      row.appendChild(f);
    };
    this.plane = el("canvas", "plane");
    this.hidden = el("canvas", "hidden");
    this.curve = el("canvas", "curve");
    const lastHidden = this.model.units[this.model.units.length - 2];
    const marginWord = this.rule === "argmax" ? "top score leads by 1" : this.rule === "threshold" ? "logit ±1" : "f = ±1";
    fig("f(x): boundary (solid) and margin (dotted, " + marginWord + "); ringed test points are inside the margin", this.plane,
      this.spec.value_name);
    fig("the last hidden layer's view of the training points", this.hidden,
      lastHidden > 2 ? "units 1 and 2 of " + lastHidden : lastHidden === 1 ? "its one unit (x) against the class (y)" : "unit 1 (x), unit 2 (y)");
    fig("loss per epoch (log scale); the line marks the epoch shown", this.curve);
    box.appendChild(row);
    const legend = el("p", "legend");
    this.spec.classes.forEach((name, c) => {
      const s = el("span", "swatch");
      s.style.background = COLORS[c % 5];
      legend.appendChild(s);
      legend.appendChild(document.createTextNode(" " + name + "   "));
    });
    legend.appendChild(document.createTextNode("· test points: large markers, training points: small dots"));
    box.appendChild(legend);
    host.appendChild(box);
    this.planeCtx = setupCanvas(this.plane, PLANE, PLANE);
    this.hiddenCtx = setupCanvas(this.hidden, HIDDEN, HIDDEN);
    this.curveCtx = setupCanvas(this.curve, CURVE_W, CURVE_H);
  };

  Replay.prototype.frameAt = function (epoch) {
    let best = this.frames[0];
    for (const f of this.frames) if (f.epoch <= epoch) best = f;
    return best;
  };

  Replay.prototype.computeHiddenRange = function () {
    const upto = this.model.units.length - 1;
    const pts = this.spec.points.train;
    let lo = [Infinity, Infinity], hi = [-Infinity, -Infinity];
    for (const f of this.frames)
      for (let i = 0; i < pts.y.length; i++) {
        const h = forward(f.layers, pts.x[2 * i], pts.x[2 * i + 1], upto);
        for (let d = 0; d < Math.min(2, h.length); d++) {
          if (isFinite(h[d])) { lo[d] = Math.min(lo[d], h[d]); hi[d] = Math.max(hi[d], h[d]); }
        }
      }
    return [0, 1].map((d) => {
      if (!isFinite(lo[d])) return [-1, 1];
      const pad = 0.06 * Math.max(hi[d] - lo[d], 1e-6);
      return [lo[d] - pad, hi[d] + pad];
    });
  };

  Replay.prototype.colourScale = function () {
    if (this.rule === "sign" && this.model.output === "tanh") return 1;
    const last = this.frames[this.frames.length - 1].layers;
    const vals = [];
    for (let i = 0; i < G * G; i += 7) vals.push(Math.abs(decision(this.rule, forward(last, this.grid[2 * i], this.grid[2 * i + 1]))));
    vals.sort((a, b) => a - b);
    const p98 = vals[Math.floor(0.98 * (vals.length - 1))] || 1;
    return Math.max(this.rule === "argmax" ? 2 : 1.5, isFinite(p98) ? p98 : 1);
  };

  Replay.prototype.show = function (epoch) {
    const frame = this.frameAt(epoch);
    if (this.shown === frame) return;
    this.shown = frame;
    const L = frame.layers;
    const D = new Float64Array(G * G);
    const C = new Uint8Array(G * G);
    const image = new ImageData(G, G);
    for (let i = 0; i < G * G; i++) {
      const out = forward(L, this.grid[2 * i], this.grid[2 * i + 1]);
      const d = decision(this.rule, out);
      const c = predicted(this.rule, out);
      D[i] = d;
      C[i] = c;
      const strength = this.rule === "argmax" ? Math.min(1, d / this.scale) : Math.min(1, Math.abs(d) / this.scale);
      const t = 0.12 + 0.6 * (isFinite(strength) ? strength : 1);
      const rgb = CLASS_RGB[c % 5];
      for (let k = 0; k < 3; k++) image.data[4 * i + k] = Math.round(255 + t * (rgb[k] - 255));
      image.data[4 * i + 3] = 255;
    }
    const ctx = this.planeCtx;
    const off = document.createElement("canvas");
    off.width = off.height = G;
    off.getContext("2d").putImageData(image, 0, 0);
    ctx.save();
    ctx.imageSmoothingEnabled = true;
    ctx.clearRect(0, 0, PLANE, PLANE);
    ctx.drawImage(off, 0, 0, G, G, 0, 0, PLANE, PLANE);
    ctx.restore();
    const scale = PLANE / G;
    ctx.strokeStyle = "#000";
    ctx.lineWidth = 2;
    ctx.setLineDash([]);
    if (this.rule === "argmax") {
      const K = Math.max(...this.model.units.slice(-1));
      for (let c = 0; c < K - 1; c++) {
        // the boundary between classes <= c and > c, one level at a time
        const V = Float64Array.from(C, (v) => (v > c ? 1 : 0));
        contour(ctx, V, G, 0.5, scale);
      }
      ctx.lineWidth = 1.2;
      ctx.setLineDash([2, 2]); // dotted: each marching-squares piece is a few pixels long
      contour(ctx, D, G, 1, scale);
    } else {
      contour(ctx, D, G, 0, scale);
      ctx.lineWidth = 1.2;
      ctx.setLineDash([2, 2]); // dotted: each marching-squares piece is a few pixels long
      contour(ctx, D, G, 1, scale);
      contour(ctx, D.map((v) => -v), G, 1, scale);
    }
    ctx.setLineDash([]);
    const [x0, x1, y0, y1] = this.extent;
    const px = (x) => ((x - x0) / (x1 - x0)) * (PLANE - scale) + scale / 2;
    const py = (y) => ((y1 - y) / (y1 - y0)) * (PLANE - scale) + scale / 2;
    const stats = {};
    for (const part of ["train", "test"]) {
      const pts = this.spec.points[part];
      let inside = 0, correct = 0;
      for (let i = 0; i < pts.y.length; i++) {
        const x = pts.x[2 * i], y = pts.x[2 * i + 1], cls = pts.y[i];
        const out = forward(L, x, y);
        if (predicted(this.rule, out) === cls) correct++;
        const violates = pointMargin(this.rule, out, cls) < 1;
        if (violates) inside++;
        ctx.fillStyle = COLORS[cls % 5];
        ctx.strokeStyle = "#fff";
        ctx.lineWidth = 0.6;
        if (part === "train") {
          ctx.globalAlpha = 0.55;
          marker(ctx, "o", px(x), py(y), 1.6);
          ctx.fill();
          ctx.globalAlpha = 1;
        } else {
          marker(ctx, MARKERS[cls % 5], px(x), py(y), 3.6);
          ctx.fill();
          ctx.stroke();
        }
        if (violates && part === "test") {
          ctx.beginPath();
          ctx.arc(px(x), py(y), 6.5, 0, 2 * Math.PI);
          ctx.strokeStyle = "rgba(0, 0, 0, 0.8)";
          ctx.lineWidth = 0.9;
          ctx.stroke();
        }
      }
      stats[part] = { inside, correct, n: pts.y.length };
    }
    this.stats = stats;
    this.drawHidden(L);
    this.planeValues = D;
  };

  Replay.prototype.drawHidden = function (L) {
    const ctx = this.hiddenCtx;
    const upto = this.model.units.length - 1;
    const pts = this.spec.points.train;
    const [[a0, a1], [b0, b1]] = this.hiddenRange;
    const pad = 28;
    ctx.clearRect(0, 0, HIDDEN, HIDDEN);
    ctx.strokeStyle = "#888";
    ctx.lineWidth = 1;
    ctx.strokeRect(pad, 4, HIDDEN - pad - 4, HIDDEN - pad - 4);
    ctx.fillStyle = "#444";
    ctx.font = "10px sans-serif";
    ctx.fillText(fmt(a0, 2), pad, HIDDEN - pad + 14);
    ctx.fillText(fmt(a1, 2), HIDDEN - 34, HIDDEN - pad + 14);
    ctx.save();
    ctx.translate(10, HIDDEN - pad);
    ctx.rotate(-Math.PI / 2);
    ctx.fillText(fmt(b0, 2), 0, 0);
    ctx.restore();
    ctx.save();
    ctx.translate(10, 40);
    ctx.rotate(-Math.PI / 2);
    ctx.fillText(fmt(b1, 2), 0, 0);
    ctx.restore();
    const w = HIDDEN - pad - 4, h = HIDDEN - pad - 4;
    for (let i = 0; i < pts.y.length; i++) {
      const act = forward(L, pts.x[2 * i], pts.x[2 * i + 1], upto);
      const u = act[0];
      const v = act.length > 1 ? act[1] : b0 + ((b1 - b0) * (pts.y[i] + 0.5)) / this.spec.classes.length;
      ctx.fillStyle = COLORS[pts.y[i] % 5];
      ctx.globalAlpha = 0.6;
      marker(ctx, MARKERS[pts.y[i] % 5], pad + ((u - a0) / (a1 - a0)) * w, 4 + ((b1 - v) / (b1 - b0)) * h, 2.6);
      ctx.fill();
    }
    ctx.globalAlpha = 1;
  };

  Replay.prototype.drawCurve = function (epoch, maxEpoch) {
    const ctx = this.curveCtx;
    const hist = this.spec.history;
    const pad = { l: 46, r: 8, t: 8, b: 26 };
    const w = CURVE_W - pad.l - pad.r, h = CURVE_H - pad.t - pad.b;
    ctx.clearRect(0, 0, CURVE_W, CURVE_H);
    const series = [["loss", "#0072B2", "training"], ["val_loss", "#D55E00", "validation"]].filter(
      ([k]) => hist[k] && hist[k].some((v) => v !== null && isFinite(v))
    );
    const all = [];
    series.forEach(([k]) => hist[k].forEach((v) => { if (v !== null && v > 0 && isFinite(v)) all.push(v); }));
    const lo = Math.log10(all.length ? Math.min(...all) : 1e-3), hi = Math.log10(all.length ? Math.max(...all) : 1);
    const span = Math.max(hi - lo, 0.5);
    const X = (e) => pad.l + (maxEpoch > 0 ? (e / maxEpoch) * w : 0);
    const Y = (v) => pad.t + (1 - (Math.log10(Math.max(v, Math.pow(10, lo))) - lo) / span) * h;
    ctx.strokeStyle = "#999";
    ctx.lineWidth = 1;
    ctx.strokeRect(pad.l, pad.t, w, h);
    ctx.fillStyle = "#444";
    ctx.font = "10px sans-serif";
    let ticks = [];
    for (let p = Math.ceil(lo); p <= Math.floor(lo + span); p++) ticks.push(Math.pow(10, p));
    if (ticks.length < 2) ticks = [Math.pow(10, lo), Math.pow(10, lo + span)]; // under a decade: the ends
    ticks.forEach((v) => {
      ctx.fillText(v.toExponential(1).replace(".0e", "e").replace("e+", "e"), 2, Y(v) + 3);
      ctx.beginPath();
      ctx.moveTo(pad.l, Y(v));
      ctx.lineTo(pad.l + 4, Y(v));
      ctx.stroke();
    });
    ctx.fillText("epoch 0", pad.l, CURVE_H - 8);
    ctx.fillText(String(maxEpoch), pad.l + w - 16, CURVE_H - 8);
    series.forEach(([k, color, label], s) => {
      ctx.strokeStyle = color;
      ctx.lineWidth = 1.8;
      ctx.beginPath();
      let started = false;
      hist[k].forEach((v, i) => {
        if (v === null || !isFinite(v)) return;
        const x = X(i + 1), y = Y(v);
        started ? ctx.lineTo(x, y) : ctx.moveTo(x, y);
        started = true;
      });
      ctx.stroke();
      ctx.fillStyle = color;
      ctx.fillText(label, pad.l + w - 70, pad.t + 12 + 12 * s);
    });
    ctx.strokeStyle = "#000";
    ctx.lineWidth = 1;
    ctx.setLineDash([3, 3]);
    ctx.beginPath();
    ctx.moveTo(X(epoch), pad.t);
    ctx.lineTo(X(epoch), pad.t + h);
    ctx.stroke();
    ctx.setLineDash([]);
    series.forEach(([k, color]) => {
      const v = epoch >= 1 ? hist[k][epoch - 1] : null;
      if (v === null || v === undefined || !isFinite(v)) return;
      ctx.fillStyle = color;
      ctx.beginPath();
      ctx.arc(X(epoch), Y(v), 4, 0, 2 * Math.PI);
      ctx.fill();
    });
  };

  Replay.prototype.update = function (epoch, maxEpoch) {
    this.show(epoch);
    this.drawCurve(epoch, maxEpoch);
    const hist = this.spec.history;
    const f = this.shown;
    let text;
    if (epoch === 0) text = "initial weights, before training. ";
    else if (epoch <= hist.loss.length)
      text = "training loss " + fmt(hist.loss[epoch - 1]) + ", accuracy " + pct(hist.accuracy[epoch - 1]) +
        "; validation loss " + fmt(hist.val_loss[epoch - 1]) + ", accuracy " + pct(hist.val_accuracy[epoch - 1]) + ". ";
    else text = "this run trained " + hist.loss.length + " epochs. ";
    if (f.epoch !== epoch) text += "Drawn from the weights of epoch " + f.epoch + " (the nearest recorded). ";
    const s = this.stats;
    text += "At these weights: test accuracy " + pct(s.test.correct / Math.max(1, s.test.n)) + ", " +
      s.test.inside + " of " + s.test.n + " test points and " + s.train.inside + " of " + s.train.n +
      " training points inside the margin.";
    this.status.textContent = text;
  };

  // --- the replay page: one slider for every replay -------------------------------------------------
  // `load(specs, prefix)` replaces the replays the slider drives (a seed study loads one seed's at a
  // time); the address is #<prefix>epoch=N, the prefix naming anything else shown ("seed=43&").
  function initReplays() {
    const host = document.getElementById("replays");
    if (!host) return null;
    const slider = document.getElementById("epoch");
    const label = document.getElementById("epoch-label");
    const play = document.getElementById("play");
    let replays = [], minEpoch = 0, maxEpoch = 0, prefix = "", current = null, timer = null;

    function setEpoch(n, fromHash) {
      n = Math.max(minEpoch, Math.min(maxEpoch, Math.round(Number(n))));
      if (!isFinite(n)) n = maxEpoch;
      current = n;
      slider.value = String(n);
      label.textContent = "epoch " + n;
      document.getElementById("epoch-of").textContent = " of " + maxEpoch + (n === 0 ? " (initial weights)" : "");
      replays.forEach((r) => r.update(n, maxEpoch));
      const hash = "#" + prefix + "epoch=" + n;
      if (!fromHash && location.hash !== hash) {
        try { history.replaceState(null, "", hash); } catch (e) { location.hash = hash.slice(1); }
      }
      return n;
    }
    function load(specs, hashPrefix) {
      stop();
      host.textContent = "";
      prefix = hashPrefix || "";
      replays = specs.map((spec) => new Replay(spec, host));
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
    }
    const player = {
      load, setEpoch, stop, fromHash: epochInHash, onHash: null,
      current: () => current, maxEpoch: () => maxEpoch, get replays() { return replays; },
    };
    slider.addEventListener("input", () => { stop(); setEpoch(slider.value); });
    window.addEventListener("hashchange", () => {
      if (player.onHash && player.onHash()) return; // it showed something else (another seed)
      const n = epochInHash();
      if (n !== null && n !== current) setEpoch(n, true);
    });
    play.addEventListener("click", () => {
      if (timer) return stop();
      if (current >= maxEpoch) setEpoch(minEpoch);
      play.textContent = "❚❚ pause";
      timer = setInterval(() => { if (current >= maxEpoch) stop(); else setEpoch(current + 1); }, Math.max(80, 6000 / Math.max(1, maxEpoch)));
    });
    if (DATA.replays && DATA.replays.length) {
      load(DATA.replays);
      const start = epochInHash();
      setEpoch(start === null ? maxEpoch : start, start !== null);
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
        points, classes: L.classes, extent: run.extent, value_name: L.value_name,
      };
    });
  }

  // The strip: clicking a seed (or Enter on it) opens its replay when the page has one, and always
  // shows the command that trains it alone; #seed=S&epoch=N opens seed S at epoch N.
  function initSeeds(player) {
    const tip = document.getElementById("seed-tip");
    const squares = Array.from(document.querySelectorAll(".strip [data-seed]"));
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
    function open(seed, epoch, fromHash) {
      seed = String(seed);
      if (shown !== seed) {
        player.load(seedReplays(seed), "seed=" + seed + "&");
        shown = seed;
        squares.forEach((el) => el.classList.toggle("chosen", el.dataset.seed === seed));
        const first = squares.find((el) => el.dataset.seed === seed);
        if (first) describe(seed, first.dataset.command);
      }
      player.setEpoch(epoch === null || epoch === undefined ? player.maxEpoch() : epoch, fromHash);
    }
    squares.forEach((el) => {
      const choose = () => {
        if (player && has(el.dataset.seed)) {
          open(el.dataset.seed, player.current(), false); // the same epoch, another seed
          const heading = document.getElementById("seed-replay");
          if (heading.getBoundingClientRect().top > 0.7 * window.innerHeight) heading.scrollIntoView({ behavior: "smooth" });
        }
        describe(el.dataset.seed, el.dataset.command);
      };
      el.addEventListener("click", choose);
      el.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); choose(); } });
    });
    if (!player || !DATA.seeds) return null;
    const inHash = () => { const m = /seed=(\d+)/.exec(location.hash); return m ? m[1] : null; };
    player.onHash = () => {
      const seed = inHash();
      if (seed === null || seed === shown || !has(seed)) return false;
      open(seed, player.fromHash(), true);
      return true;
    };
    const asked = inHash();
    const first = Object.keys(DATA.seeds.runs)[0];
    if (asked !== null && !has(asked)) {
      open(first, null, false);
      tip.textContent = "This page holds no replay of seed " + asked + "; showing seed " + first + ".";
    } else {
      open(asked === null ? first : asked, asked === null ? null : player.fromHash(), asked !== null);
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
    const W = 640, H = 340, pad = { l: 56, r: 16, t: 14, b: 44 };
    const numeric = sw.values.every((v) => typeof v === "number");
    const xs = numeric ? sw.values : sw.values.map((_, i) => i);
    const xlo = Math.min(...xs), xhi = Math.max(...xs);
    const X = (i) => pad.l + (xhi > xlo ? (xs[i] - xlo) / (xhi - xlo) : 0.5) * (W - pad.l - pad.r);
    let ylo = 0; // the accuracy view starts where the lowest interval does, so differences show
    const Y = (v) => pad.t + (1 - (v - ylo) / (1 - ylo)) * (H - pad.t - pad.b);
    const interval = (r, metric) => (metric === "success" ? r.success_ci95 : r.test_accuracy_ci95 || [r.test_accuracy, r.test_accuracy]);
    const hiddenLosses = new Set();
    function node(tag, attrs, parent, text) {
      const e = document.createElementNS(NS, tag);
      for (const k in attrs) e.setAttribute(k, attrs[k]);
      if (text !== undefined) e.textContent = text;
      parent.appendChild(e);
      return e;
    }
    function draw() {
      host.textContent = "";
      const metric = select.value;
      const lows = sw.results.map((r) => interval(r, metric)[0]).filter((v) => v !== null && isFinite(v));
      ylo = metric === "success" || !lows.length ? 0 : Math.max(0, Math.floor(20 * Math.min(...lows) - 0.5) / 20);
      const svg = node("svg", { viewBox: "0 0 " + W + " " + H, width: W, height: H, role: "img",
        "aria-label": (metric === "success" ? "success rate" : "mean test accuracy") + " against " + sw.param }, host);
      for (let k = 0; k <= 4; k++) {
        const t = ylo + (1 - ylo) * k / 4;
        node("line", { x1: pad.l, x2: W - pad.r, y1: Y(t), y2: Y(t), stroke: "#ddd" }, svg);
        node("text", { x: pad.l - 6, y: Y(t) + 4, "text-anchor": "end", "font-size": 11 }, svg, (100 * t).toFixed(ylo ? 1 : 0) + "%");
      }
      sw.values.forEach((v, i) => node("text", { x: X(i), y: H - pad.b + 16, "text-anchor": "middle", "font-size": 11 }, svg, String(v)));
      node("text", { x: (W + pad.l) / 2, y: H - 6, "text-anchor": "middle", "font-size": 12 }, svg, sw.param);
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
        node("path", { d, fill: "none", stroke: color, "stroke-width": 2 }, svg);
        rows.forEach((r, i) => {
          if (!r) return;
          const [lo, hi] = interval(r, metric);
          node("line", { x1: X(i) + nudge, x2: X(i) + nudge, y1: Y(lo), y2: Y(hi), stroke: color, "stroke-width": 1.2 }, svg);
          const dot = node("circle", { cx: X(i) + nudge, cy: Y(value(r)), r: 5, fill: color, class: "point", tabindex: 0 }, svg);
          const at = Object.keys(r.at).map((k) => ", " + k + " = " + r.at[k]).join("");
          const text = sw.display[li] + ", " + sw.param + " = " + r.value + at + ": success " + r.successes + "/" + r.seeds +
            " = " + pct(r.success_rate) + " (95% CI " + pct(r.success_ci95[0]) + "–" + pct(r.success_ci95[1]) +
            "), mean test accuracy " + pct(r.test_accuracy) +
            (r.test_accuracy_ci95 ? " (95% CI " + pct(r.test_accuracy_ci95[0]) + "–" + pct(r.test_accuracy_ci95[1]) + ")" : "") +
            (r.failed_seeds.length ? ", failed seeds " + r.failed_seeds.join(", ") : "");
          node("title", {}, dot, text);
          const showTip = () => { tip.textContent = text; };
          dot.addEventListener("mouseenter", showTip);
          dot.addEventListener("focus", showTip);
          dot.addEventListener("click", showTip);
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
      const swatch = document.createElement("span");
      swatch.className = "swatch";
      swatch.style.background = sw.colors[li];
      label.append(box, " ", swatch, " " + sw.display[li] + "  ");
      legend.appendChild(label);
    });
    select.addEventListener("change", draw);
    document.querySelectorAll(".sweep-slice").forEach((s) => s.addEventListener("change", draw));
    draw();
  }

  // --- the index: filter by kind and loss, sort by any column ---------------------------------------
  function initIndex() {
    const table = document.getElementById("runs");
    if (!table) return;
    const body = table.tBodies[0];
    const rows = Array.from(body.rows);
    const kind = document.getElementById("filter-kind");
    const loss = document.getElementById("filter-loss");
    const count = document.getElementById("shown-count");
    function filter() {
      let shown = 0;
      rows.forEach((r) => {
        const ok = (!kind.value || r.dataset.kind === kind.value) &&
          (!loss.value || r.dataset.losses.split(",").includes(loss.value));
        r.hidden = !ok;
        if (ok) shown++;
      });
      count.textContent = shown + " of " + rows.length + " shown";
    }
    kind.addEventListener("change", filter);
    loss.addEventListener("change", filter);
    Array.from(table.tHead.rows[0].cells).forEach((th, col) => {
      if (!th.dataset.sort) return;
      th.tabIndex = 0;
      const sortBy = () => {
        const down = th.getAttribute("aria-sort") !== "descending";
        Array.from(table.tHead.rows[0].cells).forEach((c) => c.removeAttribute("aria-sort"));
        th.setAttribute("aria-sort", down ? "descending" : "ascending");
        const key = (r) => r.cells[col].dataset.value ?? r.cells[col].textContent;
        const numericCol = th.dataset.sort === "number";
        rows.sort((a, b) => {
          let x = key(a), y = key(b);
          if (numericCol) { x = x === "" ? -Infinity : Number(x); y = y === "" ? -Infinity : Number(y); }
          const c = x < y ? -1 : x > y ? 1 : 0;
          return down ? -c : c;
        });
        rows.forEach((r) => body.appendChild(r));
      };
      th.addEventListener("click", sortBy);
      th.addEventListener("keydown", (e) => { if (e.key === "Enter") sortBy(); });
    });
    filter();
  }

  const api = { unpack, forward, predicted, decision, activations: ACTIVATIONS, data: DATA };
  api.replay = initReplays();
  api.seeds = initSeeds(api.replay);
  initSweep();
  initIndex();
  // For scripts and tests: the outputs of replay r's network at `epoch` for points [[x1, x2], ...]
  api.outputs = (r, epoch, points) => {
    const layers = api.replay.replays[r].frameAt(epoch).layers;
    return points.map(([a, b]) => forward(layers, a, b));
  };
  window.circlesReport = api;
})();
