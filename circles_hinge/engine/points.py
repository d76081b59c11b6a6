"""A user's CSV file of points (`data.dataset: csv`, `data.path: FILE`): read and checked before TensorFlow
loads, each problem one `ConfigError` line naming the file, the line and what is wrong; its stratified,
seeded test part; and what a run folder records of it (path, size, SHA-256, which rows were test).

The file has a header naming the columns x1, x2 and label (in any order), then one point a line. Labels
are 0/1, -1/+1 (-1 becomes class 0), or 0..k-1 for k classes, every class present.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from circles_hinge.errors import ConfigError

COLUMNS = ("x1", "x2", "label")
# Files up to 64 MiB: about two million points, more than this machine class trains in a session.
MAX_BYTES = 64 * 2**20
MAX_CLASSES = 100
LABEL_SETS = f"0/1, -1/+1, or 0..k-1 for k classes (k <= {MAX_CLASSES})"


@dataclass(frozen=True)
class Points:
    """The checked contents of one file: X (n, 2) float32, classes y 0..k-1, and what identifies it."""

    path: Path
    X: np.ndarray
    y: np.ndarray
    labels: str  # "0/1", "-1/+1" or "0..k-1"
    size: int  # bytes
    sha256: str

    @property
    def n_classes(self) -> int:
        return int(self.y.max()) + 1


def _refuse(path: Path, what: str, line: int | None = None) -> ConfigError:
    where = f", line {line}" if line is not None else ""
    return ConfigError(f"data.path {path}{where}: {what}")


def _number(text: str, column: str, path: Path, line: int) -> float:
    try:
        value = float(text)
    except ValueError:
        shown = repr(text.strip()) if text.strip() else "an empty field"
        raise _refuse(path, f"{column} {shown} is not a number", line) from None
    if not math.isfinite(value):
        raise _refuse(path, f"{column} is {text.strip()}; every value must be a finite number", line)
    return value


def _text(path: Path) -> tuple[str, bytes]:
    """The file's text and bytes, or ConfigError: missing, unreadable, a directory, too large, binary."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise _refuse(path, "no such file") from None
    except OSError as exc:
        raise _refuse(path, f"cannot be read: {exc.strerror or exc}") from None
    if path.is_dir():
        raise _refuse(path, "is a directory; give a CSV file with columns x1,x2,label")
    if info.st_size > MAX_BYTES:
        limit = f"{MAX_BYTES:,} bytes ({MAX_BYTES // 2**20} MiB)"
        raise _refuse(path, f"is {info.st_size:,} bytes; files of points may be at most {limit}")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise _refuse(path, f"cannot be read: {exc.strerror or exc}") from None
    if not raw.strip():
        raise _refuse(path, "is empty; write a header x1,x2,label and one point a line")
    nul = raw.find(b"\0")
    try:
        if nul >= 0:
            raise UnicodeDecodeError("utf-8", raw, nul, nul + 1, "NUL byte")
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise _refuse(path, f"is not a text CSV file (byte {exc.start} is not UTF-8 text)", line) from None
    return text, raw


def _header(row: list[str], path: Path) -> dict[str, int]:
    names = [name.strip().lower() for name in row]
    allowed = ",".join(COLUMNS)
    if names and all(_is_number(name) for name in names):
        raise _refuse(
            path, f"no header: the first line holds numbers; start the file with the line {allowed}", 1
        )
    if sorted(names) != sorted(COLUMNS):
        shown = ",".join(row)
        raise _refuse(path, f"the columns are {shown!r}; they must be {allowed} (in any order), each once", 1)
    return {name: names.index(name) for name in COLUMNS}


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _classes(labels: np.ndarray, lines: np.ndarray, path: Path) -> tuple[np.ndarray, str]:
    """Integer classes 0..k-1 from the label column, and which label set it is."""
    whole = (labels == np.round(labels)) & (np.abs(labels) < MAX_CLASSES)
    if not whole.all():
        i = int(np.argmin(whole))
        raise _refuse(path, f"label {labels[i]:g} is not allowed; labels are {LABEL_SETS}", int(lines[i]))
    values = labels.astype(np.int64)
    if (values == -1).any():  # -1/+1: every label must be one of the two
        bad = ~np.isin(values, (-1, 1))
        if bad.any():
            i = int(np.argmax(bad))
            what = f"label {values[i]} beside -1 labels is not allowed; labels are {LABEL_SETS}"
            raise _refuse(path, what, int(lines[i]))
        classes, kind = (values == 1).astype(np.int64), "-1/+1"
    else:
        bad = values < 0
        if bad.any():
            i = int(np.argmax(bad))
            raise _refuse(path, f"label {values[i]} is not allowed; labels are {LABEL_SETS}", int(lines[i]))
        classes, kind = values, "0/1" if values.max() <= 1 else "0..k-1"
    present = np.unique(classes)
    if len(present) < 2:
        raise _refuse(path, f"every point has label {labels[0]:g}; a classifier needs two classes")
    missing = sorted(set(range(int(present.max()) + 1)) - set(present.tolist()))
    if missing:
        top = int(present.max())
        line = int(lines[int(np.argmax(classes == top))])
        what = (
            f"label {top}, but no point has label {missing[0]}; labels are {LABEL_SETS}, every class present"
        )
        raise _refuse(path, what, line)
    return classes, kind


def read_points(path: str | Path) -> Points:
    """The file's points, checked; ConfigError with one line for the first problem."""
    path = Path(path)
    info = path.stat() if path.is_file() else None
    if info is None:
        return _read(path, None, None)
    return _read(path.resolve(), info.st_mtime_ns, info.st_size)


@lru_cache(maxsize=8)
def _read(path: Path, mtime_ns: int | None, size: int | None) -> Points:
    """One read per file version (a seed study reads it once for all its seeds)."""
    text, raw = _text(path)
    rows = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(rows)
        columns = _header(header, path)
        X, labels, lines = [], [], []
        for row in rows:
            line = rows.line_num
            if not row or not "".join(row).strip():
                continue  # a blank line (at the end, typically)
            if len(row) != len(COLUMNS):
                raise _refuse(
                    path, f"{len(row)} values; each line needs {len(COLUMNS)} ({','.join(COLUMNS)})", line
                )
            x1, x2, label = (_number(row[columns[c]], c, path, line) for c in COLUMNS)
            X.append((x1, x2))
            labels.append(label)
            lines.append(line)
    except csv.Error as exc:
        raise _refuse(path, f"is not a CSV file ({exc})", rows.line_num) from None
    if not X:
        raise _refuse(path, "has a header but no points")
    X_array = np.asarray(X, dtype=np.float64)
    if not np.isfinite(X_array.astype(np.float32)).all():
        i = int(np.argmin(np.isfinite(X_array.astype(np.float32)).all(axis=1)))
        raise _refuse(path, "a value beyond float32's range (about 3.4e38)", lines[i])
    y, kind = _classes(np.asarray(labels), np.asarray(lines), path)
    sha = hashlib.sha256(raw).hexdigest()
    return Points(path, X_array.astype(np.float32), y, kind, len(raw), sha)


def check_test_part(points: Points, test_size: int) -> None:
    """A stratified test part of test_size points must leave two to train on and hold every class."""
    n = len(points.y)
    if n < test_size + 2:
        raise _refuse(
            points.path,
            f"{n} points; data.test_size {test_size} needs at least {test_size + 2} "
            "(the test part and two to train on)",
        )
    counts = np.bincount(points.y)
    if test_size < len(counts):
        raise _refuse(
            points.path,
            f"data.test_size {test_size} is smaller than its {len(counts)} classes; a stratified test "
            "part holds a point of each",
        )
    if n - test_size < len(counts):
        raise _refuse(
            points.path, f"{n - test_size} training points cannot hold each of its {len(counts)} classes"
        )
    if counts.min() < 2:
        raise _refuse(
            points.path,
            f"class {int(np.argmin(counts))} has a single point; a stratified test part needs two of "
            "each class",
        )


def test_rows(points: Points, test_size: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(test rows, training rows) of the file: a seeded, stratified shuffle (train_test_split), so a file
    sorted by class still gets every class in both parts. Rows count from 0 (row r is the point on
    line r + 2 of a file without blank lines)."""
    from sklearn.model_selection import train_test_split

    rows = np.arange(len(points.y))
    train, test = train_test_split(rows, test_size=test_size, stratify=points.y, random_state=seed)
    return test, train


def points_record(points: Points, given: str, test: np.ndarray) -> dict[str, Any]:
    """What a run folder keeps of the file (data.json): enough to find it again and check it is the same."""
    return {
        "path": str(points.path),
        "given": given,
        "size": points.size,
        "sha256": points.sha256,
        "rows": len(points.y),
        "labels": points.labels,
        "classes": points.n_classes,
        "test_rows": sorted(int(r) for r in test),  # row r: the (r+1)-th point after the header
    }
