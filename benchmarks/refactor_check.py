"""Does a refactor change what the commands write? Runs the same commands with two revisions and compares
their folders file by file.

    .venv/bin/python benchmarks/refactor_check.py                 # merge-base with main vs HEAD
    .venv/bin/python benchmarks/refactor_check.py --old main --new HEAD

Each revision is checked out with `git worktree add --detach` into a temporary folder and run with this
Python (one venv, so one matplotlib and one TensorFlow: figures can be byte-identical) and PYTHONPATH at
that checkout; every command prints which circles_hinge it imported, and the script stops if that is
not the checkout's. Both revisions run in the same working folder, so the paths the files record agree.

What is compared (everything else byte for byte):
- JSON (metrics.json, status.json, comparison.json, sweep.json, resume.json): equal once the keys in
  VOLATILE_KEYS are removed at any depth;
- CSV: equal once columns named in VOLATILE_KEYS are removed (sweep.csv has train_seconds);
- comparison.md: equal once its "train s" column is blanked;
- report.html and index.html: equal once the "Where it ran" list (machine and versions), the run's
  training time and index.html's start times are blanked;
- model.keras (a zip): every member equal, metadata.json without its date_saved and config.json's
  shared_object_id (a memory address) renumbered in order of appearance;
- stdout: equal once timings ("1.2 s") are blanked.
Prints a table and exits 1 on any difference.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VOLATILE_KEYS = frozenset(
    {
        "seconds",
        "train_seconds",
        "time",
        "started",
        "finished",
        "pid",
        "pid_start",
        "boot_id",
        "host",
        "versions",
        "machine",
        "commit",
        "git_commit",
        "git_dirty",
    }
)
COMMANDS = [  # (folder name, arguments after `circles-hinge`); every command gets --runs-dir and --name
    ("train-default", ["train"]),
    ("train-squared", ["train", "--loss", "squared_hinge", "--epochs", "5"]),
    ("blobs-animate", ["train", "--set", "data.dataset=blobs", "--loss", "categorical_hinge", "--animate"]),
    ("compare", ["compare", "--losses", "hinge,squared_hinge"]),
    ("compare-seeds", ["compare", "--losses", "hinge,squared_hinge", "--seeds", "5"]),
    ("sweep", ["sweep", "--param", "data.noise", "--values", "0,0.1", "--seeds", "3"]),
]
PROBE = "import circles_hinge, sys; sys.stderr.write('IMPORTED ' + circles_hinge.__file__ + chr(10)); "


def git(*args: str) -> str:
    return subprocess.run(["git", "-C", str(ROOT), *args], check=True, capture_output=True, text=True).stdout


def run_revision(rev: str, checkout: Path, work: Path, python: str) -> dict[str, str]:
    """Every command with the code of `checkout`, in `work`; returns each command's stdout."""
    env = {**os.environ, "PYTHONPATH": str(checkout), "TF_CPP_MIN_LOG_LEVEL": "2"}
    env.pop("PYTHONSAFEPATH", None)
    runs = work / "runs"
    outputs = {}
    for folder, args in COMMANDS:
        argv = [*args, "--runs-dir", str(runs), "--name", folder, "--quiet"]
        outputs[folder] = _run(python, argv, env, work, checkout, rev)
    argv = ["plot-losses", "--out", str(work / "losses.png")]
    outputs["plot-losses"] = _run(python, argv, env, work, checkout, rev)
    return outputs


def _run(python: str, argv: list[str], env: dict, cwd: Path, checkout: Path, rev: str) -> str:
    code = PROBE + f"sys.argv = ['circles-hinge', *{argv!r}]; from circles_hinge.cli import main; main()"
    done = subprocess.run([python, "-c", code], env=env, cwd=cwd, capture_output=True, text=True)
    imported = re.search(r"^IMPORTED (.*)$", done.stderr, re.M)
    if imported is None or not Path(imported.group(1)).resolve().is_relative_to(checkout.resolve()):
        sys.exit(f"{rev}: circles_hinge did not come from {checkout} ({imported and imported.group(1)})")
    if done.returncode != 0:
        sys.exit(f"{rev}: circles-hinge {' '.join(argv)} failed ({done.returncode}):\n{done.stderr}")
    print(f"  {rev}: circles-hinge {' '.join(argv[:6])} ...", file=sys.stderr)
    return done.stdout


def _drop_keys(value):
    if isinstance(value, dict):
        return {k: _drop_keys(v) for k, v in value.items() if k not in VOLATILE_KEYS}
    if isinstance(value, list):
        return [_drop_keys(v) for v in value]
    return value


def _csv(raw: bytes) -> list[list[str]]:
    rows = list(csv.reader(io.StringIO(raw.decode())))
    keep = [i for i, name in enumerate(rows[0]) if name not in VOLATILE_KEYS] if rows else []
    return [[row[i] for i in keep] for row in rows]


def _markdown(raw: bytes) -> str:
    lines, column = [], None
    for line in raw.decode().splitlines():
        cells = line.split("|")
        if line.startswith("|") and "train s" in [c.strip() for c in cells]:
            column = [c.strip() for c in cells].index("train s")
        elif not line.startswith("|"):
            column = None
        elif column is not None and not line.startswith("| ---"):
            cells[column] = " TIME "
        lines.append("|".join(cells))
    return "\n".join(lines)


def _html(raw: bytes) -> str:
    text = raw.decode()
    text = re.sub(r'<dl class="where">.*?</dl>', "<dl>WHERE</dl>", text, flags=re.S)
    text = re.sub(r"(<td>training time</td><td>)[^<]*", r"\1TIME", text)
    text = re.sub(r'<td data-value="\d{4}-[^"]*">[^<]*</td>', "<td>STARTED</td>", text)
    return text


def _keras(raw: bytes) -> dict[str, object]:
    """model.keras's members; metadata.json without date_saved, and config.json's shared_object_id
    (a Python id(), a memory address) renumbered in order of appearance, so sharing still counts."""
    with zipfile.ZipFile(io.BytesIO(raw)) as archive:
        members: dict[str, object] = {name: archive.read(name) for name in archive.namelist()}
    if "metadata.json" in members:
        meta = json.loads(members["metadata.json"])
        meta.pop("date_saved", None)
        members["metadata.json"] = meta
    if "config.json" in members:
        ids: dict[int, int] = {}

        def renumber(value):
            if isinstance(value, dict):
                return {
                    k: ids.setdefault(v, len(ids)) if k == "shared_object_id" else renumber(v)
                    for k, v in value.items()
                }
            return [renumber(v) for v in value] if isinstance(value, list) else value

        members["config.json"] = renumber(json.loads(members["config.json"]))
    return members


NORMALISE = {".json": lambda raw: _drop_keys(json.loads(raw)), ".csv": _csv, ".md": _markdown}
NORMALISE |= {".html": _html, ".keras": _keras}


def compare_file(old: Path, new: Path) -> str:
    if not old.exists() or not new.exists():
        return "only in old" if old.exists() else "only in new"
    a, b = old.read_bytes(), new.read_bytes()
    if a == b:
        return "identical"
    normalise = NORMALISE.get(old.suffix)
    if normalise is not None and normalise(a) == normalise(b):
        return "same (volatile aside)"
    return "DIFFERS"


def compare_trees(old: Path, new: Path) -> list[tuple[str, str]]:
    names = sorted(
        {p.relative_to(old).as_posix() for p in old.rglob("*") if p.is_file()}
        | {p.relative_to(new).as_posix() for p in new.rglob("*") if p.is_file()}
    )
    return [(name, compare_file(old / name, new / name)) for name in names]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old", default=None, help="default: the merge-base of main and HEAD")
    parser.add_argument("--new", default="HEAD")
    parser.add_argument("--python", default=sys.executable, help="the one venv both revisions run with")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder and say where")
    args = parser.parse_args()
    old_rev = args.old or git("merge-base", "main", "HEAD").strip()
    revs = {"old": git("rev-parse", old_rev).strip(), "new": git("rev-parse", args.new).strip()}
    tmp = Path(tempfile.mkdtemp(prefix="refactor-check-"))
    stdout: dict[str, dict[str, str]] = {}
    try:
        for label, rev in revs.items():
            checkout = tmp / f"src-{label}"
            git("worktree", "add", "--detach", str(checkout), rev)
            work = tmp / "work"  # the same path for both: the paths recorded in the files agree
            work.mkdir()
            try:
                stdout[label] = run_revision(f"{label} {rev[:9]}", checkout, work, args.python)
            finally:
                git("worktree", "remove", "--force", str(checkout))
            work.rename(tmp / f"out-{label}")
        rows = compare_trees(tmp / "out-old", tmp / "out-new")
        for command in stdout["old"]:
            timing = re.compile(r"\d+(\.\d+)? s\b")
            same = timing.sub("T s", stdout["old"][command]) == timing.sub("T s", stdout["new"][command])
            rows.append((f"(stdout of {command})", "same (timings aside)" if same else "DIFFERS"))
    finally:
        if args.keep:
            print(f"kept: {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    width = max(len(name) for name, _ in rows)
    print(f"old {revs['old'][:9]} vs new {revs['new'][:9]}; ignored JSON/CSV keys: {sorted(VOLATILE_KEYS)}")
    print(f"{'file':<{width}}  result")
    print(f"{'-' * width}  {'-' * 21}")
    for name, result in rows:
        print(f"{name:<{width}}  {result}")
    counts = {r: sum(1 for _, x in rows if x == r) for r in dict.fromkeys(x for _, x in rows)}
    print(", ".join(f"{n} {r}" for r, n in counts.items()))
    return (
        1
        if any(r not in ("identical", "same (volatile aside)", "same (timings aside)") for _, r in rows)
        else 0
    )


if __name__ == "__main__":
    sys.exit(main())
