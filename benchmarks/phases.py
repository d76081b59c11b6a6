"""Where a large sweep's time goes: the 10,000-training sweep (2 losses x 5 noise levels x 1,000 seeds,
every file) split into its phases, and the trainer's cost per replica-step beside an arithmetic floor.

    python benchmarks/phases.py [--seeds 1000] [--ref PATH] [--out benchmarks/]

The sweep runs in one fresh process with `--workers 1` (so every phase runs one after the other on one
core, and the phases add up to the wall time); each phase is timed by wrapping the project's own
functions (nothing in the package changes), as self time: a wrapped call inside another counts only
in its own row. `--ref PATH` runs the same child with PYTHONPATH=PATH first (a checkout of another
revision, e.g. `git worktree add --detach /tmp/ref main`), so both columns come from one run on the
same machine. With `--workers 2` (the default on 2 cores) the two losses train in two processes at
once, so the sweep's wall time is about the parent's rows plus one worker's.

The floor: the network's floating-point operations per replica and step (forward, backward, Adam,
counted from the layer widths), divided by what one core does on a plain element-wise kernel
(`a * b + c` on float32 tensors the size of the trainer's, in one TensorFlow graph on one thread, and
the same in NumPy). Writes its section of results.md and phases.json.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
START, END = "<!-- phases:start -->", "<!-- phases:end -->"
NOISE = "data.noise=0,0.05,0.1,0.15,0.2"

# The phases, in the order of the table: (key, what the row means).
PHASES = [
    ("start", "process start, imports, TensorFlow start"),
    ("data", "data: `make_circles` and the split, per seed"),
    ("init", "initial weights, per seed (Keras initializers)"),
    ("build", "trainer construction (stacking, variables)"),
    ("trace", "trainer trace (first call of each compiled function, less one call's run)"),
    ("epochs", "epochs (30 x 120 steps of every replica)"),
    ("evaluation", "evaluation on the test set"),
    ("radii", "boundary radii (360 rays a replica)"),
    ("hidden", "hidden panels (last hidden layer on the training data)"),
    ("rows", "per-seed rows, boundary figures, summaries"),
    ("verdicts", "paired verdicts"),
    ("figures", "figures (sweep.png)"),
    ("pages", "pages (report.html, index.html)"),
    ("files", "files (csv, json, md, status)"),
    ("other", "other (not inside a wrapped function)"),
]

CHILD = r"""
import functools, importlib, json, os, sys, time
T0 = time.perf_counter()
with open("/proc/self/stat") as f:
    started_ticks = int(f.read().rsplit(")", 1)[1].split()[19])
with open("/proc/uptime") as f:
    uptime = float(f.read().split()[0])
BEFORE = uptime - started_ticks / os.sysconf("SC_CLK_TCK")  # seconds from exec to this line
self_time, calls, stack = {}, {}, []  # stack: [label, seconds spent in wrapped calls inside]

def add(key, seconds):
    self_time[key] = self_time.get(key, 0.0) + seconds

def timed(fn, key):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        label = key
        if key == "hidden?":
            label = "hidden" if kwargs.get("upto") is not None else None
            if label is None:
                return fn(*args, **kwargs)
        began = time.perf_counter()
        stack.append([label, 0.0])
        try:
            return fn(*args, **kwargs)
        finally:
            spent = time.perf_counter() - began
            _, inner = stack.pop()
            add(label, spent - inner)
            calls[label] = calls.get(label, 0) + 1
            if stack:
                stack[-1][1] += spent
    return wrapper

WRAPPED = [
    ("circles_hinge.studies.sweeps", "load_tensorflow", "start"),
    ("circles_hinge.studies.seeds", "load_split", "data"),
    ("circles_hinge.studies.seeds", "initial_weights", "init"),
    ("circles_hinge.engine.trainer", "ReplicaTrainer.__init__", "build"),
    ("circles_hinge.engine.trainer", "ReplicaTrainer.fit", "epochs"),
    ("circles_hinge.engine.trainer", "ReplicaTrainer.evaluate", "evaluation"),
    ("circles_hinge.studies.seeds", "_replica_radii", "radii"),
    ("circles_hinge.engine.trainer", "ReplicaTrainer.outputs", "hidden?"),
    ("circles_hinge.studies.seeds", "_run_study", "rows"),
    ("circles_hinge.studies.seeds", "summarise_seeds", "rows"),
    ("circles_hinge.studies.sweeps", "summarise_seeds", "rows"),
    ("circles_hinge.studies.sweeps", "_paired", "verdicts"),
    ("circles_hinge.outputs.study_plots", "plot_grid", "figures"),
    ("circles_hinge.studies.sweeps", "write_sweep_report", "pages"),
    ("circles_hinge.studies.sweeps", "sweep_markdown", "files"),
    ("circles_hinge.studies.sweeps", "_write_tables", "files"),
    ("circles_hinge.studies.sweeps", "write_json", "files"),
    ("circles_hinge.studies.sweeps", "write_atomic", "files"),
    ("circles_hinge.store.folders", "RunFolder.running", "files"),
    ("circles_hinge.store.folders", "RunFolder.complete", "files"),
    ("circles_hinge.outputs.html.index", "update_index", "pages"),
]
cli = importlib.import_module("circles_hinge.cli.app")
for module_name, attribute, key in WRAPPED:
    try:
        owner = importlib.import_module(module_name)
        *path, name = attribute.split(".")
        for part in path:
            owner = getattr(owner, part)
        setattr(owner, name, timed(getattr(owner, name), key))
    except (ImportError, AttributeError):
        pass

# The compiled functions: the first call of each traces it. Every call is clocked, per trainer and
# function, with the wrapped phase it ran in and the batches it ran (where its arguments say).
import circles_hinge
from circles_hinge.engine import trainer as trainer_module
compiled = []  # one entry per (trainer, function): {"where": [...], "seconds": [...], "batches": [...]}
init = trainer_module.ReplicaTrainer.__init__

def batches_of(args):
    try:
        return int(args[2]) - int(args[1])
    except Exception:
        return 1

def init_with_clocks(self, *args, **kwargs):
    init(self, *args, **kwargs)
    for name, fn in list(vars(self).items()):
        if not hasattr(fn, "get_concrete_function"):
            continue
        log = {"name": name, "where": [], "seconds": [], "batches": []}
        compiled.append(log)
        def clocked(*a, _fn=fn, _log=log, **k):
            began = time.perf_counter()
            out = _fn(*a, **k)
            for o in (out if isinstance(out, (tuple, list)) else [out]):
                getattr(o, "numpy", lambda: None)()
            _log["seconds"].append(time.perf_counter() - began)
            _log["where"].append(stack[-1][0] if stack else "other")
            _log["batches"].append(batches_of(a) if _log["name"] in ("_batches",) else 1)
            return out
        setattr(self, name, clocked)

trainer_module.ReplicaTrainer.__init__ = functools.wraps(init)(init_with_clocks)

sys.argv = ["circles-hinge", "sweep", "--grid", NOISE, "--seeds", SEEDS, "--losses", "hinge,squared_hinge",
            "--workers", "1", "--runs-dir", RUNS, "--name", "phases", "--quiet"]
real_exit = os._exit
def report(code=0):
    total = time.perf_counter() - T0 + BEFORE
    sweep = json.load(open(os.path.join(RUNS, "phases", "sweep.json")))
    print(json.dumps({"self": self_time, "calls": calls, "compiled": compiled,
                      "before": BEFORE, "total": total,
                      "trainings": sum(r["seeds"] for r in sweep["results"]),
                      "package": os.path.dirname(os.path.dirname(circles_hinge.__file__))}))
    sys.stdout.flush()
    real_exit(code)
os._exit = report
try:
    cli.main()
except SystemExit as exc:
    if exc.code not in (0, None):
        raise
report()
"""

THROUGHPUT = r"""
import json, time
import numpy as np
from circles_hinge.engine.runtime import load_tensorflow
load_tensorflow()
import tensorflow as tf
out = {}
for n in (N_SMALL, N_LARGE):
    a, b, c = (tf.constant(np.random.default_rng(i).random(n, dtype=np.float32)) for i in range(3))
    ops = 40
    @tf.function(autograph=False)
    def chain(a, b, c):
        x = a
        for _ in range(ops // 2):
            x = x * b + c  # two element-wise ops, two FLOPs an element
        return x
    chain(a, b, c).numpy()
    best = float("inf")
    for _ in range(7):
        began = time.perf_counter()
        chain(a, b, c).numpy()
        best = min(best, time.perf_counter() - began)
    out[f"tf_{n}"] = {"flops": ops * n / best, "per_op_s": best / ops}
    an, bn, cn = a.numpy(), b.numpy(), c.numpy()
    x = np.empty_like(an)
    best = float("inf")
    for _ in range(7):
        began = time.perf_counter()
        np.multiply(an, bn, out=x)
        for _ in range(ops // 2 - 1):
            np.add(x, cn, out=x)
            np.multiply(x, bn, out=x)
        np.add(x, cn, out=x)
        best = min(best, time.perf_counter() - began)
    out[f"np_{n}"] = {"flops": ops * n / best, "per_op_s": best / ops}
# the empty op: what TensorFlow's graph executor costs per op on a one-element tensor
one = tf.constant([1.0])
@tf.function(autograph=False)
def tiny(x):
    for _ in range(200):
        x = x * 1.0
    return x
tiny(one).numpy()
best = float("inf")
for _ in range(7):
    began = time.perf_counter()
    tiny(one).numpy()
    best = min(best, time.perf_counter() - began)
out["op_overhead_s"] = best / 200
print(json.dumps(out))
"""


def flops_per_replica_step(widths: list[int], batch: int) -> dict[str, int]:
    """Floating-point operations for one replica and one step of `batch` points through Dense layers of
    `widths` (inputs first), tanh output, hinge loss, backward pass and Adam, counted as the arithmetic
    an ideal kernel needs (a multiply-add is two; an activation one; tanh, sqrt and divide one each)."""
    layers = list(zip(widths[:-1], widths[1:]))
    params = sum(i * o + o for i, o in layers)
    forward = sum(batch * o * (2 * i) for i, o in layers) + batch * sum(widths[1:])  # dense + activation
    loss = 4 * batch  # 1 - y f, max, mean
    # weight gradients, input gradients (not for the first layer), bias gradients
    backward = sum(
        2 * batch * i * o + (2 * batch * i * o if n else 0) + batch * o for n, (i, o) in enumerate(layers)
    )
    backward += batch * sum(widths[1:]) + 2 * batch  # activation and loss derivatives
    adam = 12 * params  # m, v (3 and 4), the update (5)
    return {
        "forward": forward + loss,
        "backward": backward,
        "adam": adam,
        "params": params,
        "total": forward + loss + backward + adam,
    }


def run_child(code: str, pythonpath: Path | None, timeout: float) -> dict:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    # run from a neutral folder: `python -c` puts the working folder first on sys.path, ahead of
    # PYTHONPATH, so from a checkout both columns would import that checkout's package
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        check=False,
        cwd=tempfile.gettempdir(),
    )
    if done.returncode != 0:
        raise SystemExit(f"child failed:\n{done.stderr[-3000:]}")
    out = json.loads(done.stdout.strip().splitlines()[-1])
    if pythonpath is not None and Path(out["package"]).resolve() != pythonpath.resolve():
        raise SystemExit(f"the reference imported circles_hinge from {out['package']}, not {pythonpath}")
    return out


def sweep_phases(seeds: int, pythonpath: Path | None, runs: Path) -> dict:
    code = f"NOISE = {NOISE!r}\nSEEDS = {str(seeds)!r}\nRUNS = {str(runs)!r}\n" + CHILD
    raw = run_child(code, pythonpath, timeout=3000)
    own = raw["self"]
    phases = {k: own.get(k, 0.0) for k, _ in PHASES}
    phases["start"] += raw["before"]  # exec to the script's first line
    # The trace: each compiled function's first call, less what running it costs (its later calls' time
    # per batch); taken from the phase the call ran in.
    phases["trace"] = 0.0
    for log in raw["compiled"]:
        if len(log["seconds"]) < 2:
            continue
        rate = sum(log["seconds"][1:]) / sum(log["batches"][1:])
        trace = max(0.0, log["seconds"][0] - rate * log["batches"][0])
        phases["trace"] += trace
        phases[log["where"][0]] -= trace
    accounted = sum(v for k, v in phases.items() if k != "other")
    phases["other"] = raw["total"] - accounted
    return {"phases": phases, "total": raw["total"], "trainings": raw["trainings"], "calls": raw["calls"]}


def render(data: dict) -> str:
    seeds = data["seeds"]
    scale = 1000 / seeds
    sides = [s for s in ("ref", "new") if s in data]
    flops = data["flops"]
    lines = [
        START,
        "## Where a 10,000-training sweep's time goes",
        "",
        f"Written by `benchmarks/phases.py` on {data['when']}: `sweep --grid {NOISE} --seeds {seeds} "
        "--losses hinge,squared_hinge --workers 1`, every file, in one fresh process per column, phases "
        "timed by wrapping the project's functions (self time). "
        + (
            "Columns: `ref` is the reference revision (`--ref`), `new` this checkout"
            + (", run one after the other. " if "new" in data else " (not measured in this run). ")
            if "ref" in data
            else ""
        )
        + (
            f"Measured with {seeds} seeds ({data[sides[0]]['trainings']:,} trainings); the x{scale:g} "
            "column scales the per-seed rows (data, weights, epochs, evaluation, radii, hidden panels, "
            "rows) by the seed count and keeps the others as measured, an estimate of the 10,000-training "
            "sweep. "
            if seeds != 1000
            else ""
        )
        + "The machine was shared with other work, so seconds vary; the split is steadier than the total.",
        "",
    ]
    per_seed = {"data", "init", "epochs", "evaluation", "radii", "hidden", "rows", "build"}
    head = "| phase |"
    rule = "| --- |"
    for side in sides:
        head += f" {side} s | {side} share |"
        rule += " ---: | ---: |"
        if seeds != 1000:
            head += f" {side} s, x{scale:g} |"
            rule += " ---: |"
    lines += [head, rule]
    for key, what in PHASES:
        row = f"| {what} |"
        for side in sides:
            v = data[side]["phases"][key]
            row += f" {v:.2f} | {100 * v / data[side]['total']:.1f}% |"
            if seeds != 1000:
                row += f" {v * scale if key in per_seed else v:.1f} |"
        lines.append(row)
    row = "| **total (wall)** |"
    for side in sides:
        t = data[side]["total"]
        row += f" **{t:.2f}** | 100% |"
        if seeds != 1000:
            est = sum(v * scale if k in per_seed else v for k, v in data[side]["phases"].items())
            row += f" **{est:.1f}** |"
    lines.append(row)
    lines.append("")
    tp = data["throughput"]
    best_tf = max(v["flops"] for k, v in tp.items() if k.startswith("tf_"))
    best_np = max(v["flops"] for k, v in tp.items() if k.startswith("np_"))
    for side in sides:
        d = data[side]
        steps = d["trainings"] * data["epochs"] * data["batches"]
        us = 1e6 * d["phases"]["epochs"] / steps
        lines.append(
            f"- `{side}` trainer: {d['phases']['epochs']:.2f} s of epochs for {d['trainings']:,} trainings x "
            f"{data['epochs']} epochs x {data['batches']} steps = {steps:,} replica-steps: "
            f"**{us:.3f} us a replica-step** ({flops['total'] / us / 1e3:.2f} GFLOP/s of useful arithmetic)."
        )
    lines += [
        f"- Arithmetic of one replica-step (batch {data['batch']}, layers {data['widths']}, "
        f"{flops['params']} weights): forward and loss {flops['forward']}, backward {flops['backward']}, "
        f"Adam {flops['adam']}: **{flops['total']:,} FLOPs**.",
        "- One core on a plain element-wise kernel (`x = x * b + c`, float32): TensorFlow graph "
        + ", ".join(
            f"{v['flops'] / 1e9:.2f} GFLOP/s at {k.split('_')[1]} elements "
            f"({1e6 * v['per_op_s']:.1f} us an op)"
            for k, v in tp.items()
            if k.startswith("tf_")
        )
        + "; NumPy "
        + ", ".join(
            f"{v['flops'] / 1e9:.2f} GFLOP/s at {k.split('_')[1]}"
            for k, v in tp.items()
            if k.startswith("np_")
        )
        + f"; an op on one element costs TensorFlow's executor {1e6 * tp['op_overhead_s']:.2f} us.",
        f"- **Floor: {flops['total'] / best_tf * 1e6:.3f} us a replica-step** at TensorFlow's best "
        f"element-wise rate ({flops['total'] / best_np * 1e6:.3f} us at NumPy's); on two cores (two "
        "workers) half of that per replica-step of the sweep.",
        END,
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=1000)
    parser.add_argument("--ref", type=Path, help="a checkout of the reference revision (PYTHONPATH)")
    parser.add_argument("--skip-new", action="store_true", help="measure only the reference")
    parser.add_argument("--ref-json", type=Path, help="take the reference column from this run's JSON")
    parser.add_argument("--out", type=Path, default=HERE, help="folder for results.md and phases.json")
    args = parser.parse_args()
    import tempfile

    from circles_hinge.loading import load_config

    config = load_config(None, [])
    n_fit = int((config.data.n_samples - config.data.test_size) * (1 - config.training.validation_split))
    batches = -(-n_fit // config.training.batch_size)
    widths = [2, *config.model.hidden_units, 1]
    data: dict = {
        "seeds": args.seeds,
        "when": time.strftime("%Y-%m-%d %H:%M"),
        "epochs": config.training.epochs,
        "batches": batches,
        "batch": config.training.batch_size,
        "widths": widths,
        "flops": flops_per_replica_step(widths, config.training.batch_size),
    }
    # a step's tensors at K = 5,000 (one loss of the sweep, five cells): K x batch x units, 25,000 to 100,000
    code = THROUGHPUT.replace("N_SMALL", "25_000").replace("N_LARGE", "100_000")
    data["throughput"] = run_child(code, None, timeout=600)
    print(f"  throughput: {data['throughput']}", file=sys.stderr)
    sides = ([("ref", args.ref)] if args.ref and not args.ref_json else []) + (
        [] if args.skip_new else [("new", ROOT)]
    )
    if args.ref_json:
        data["ref"] = json.loads(args.ref_json.read_text())
    for side, path in sides:
        with tempfile.TemporaryDirectory() as runs:
            data[side] = sweep_phases(args.seeds, path, Path(runs))
        print(f"  {side}: {data[side]['total']:.1f} s {data[side]['phases']}", file=sys.stderr)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "phases.json").write_text(json.dumps(data, indent=1) + "\n")
    section = render(data)
    results = args.out / "results.md"
    text = results.read_text() if results.exists() else "# Benchmark results\n\n"
    if START in text and END in text:
        text = text[: text.index(START)] + section + text[text.index(END) + len(END) + 1 :]
    else:
        text = text.rstrip("\n") + "\n\n" + section
    results.write_text(text)
    print(section)


if __name__ == "__main__":
    main()
