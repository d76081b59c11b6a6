"""Reading a file a user names or a folder holds: a regular file only (a FIFO would block for ever and
/dev/zero never ends), at most a stated size, and when it cannot be read, why in a few words (missing,
a folder, a device, unreadable, too large, empty, cut short, damaged) for the caller's one line."""

from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path
from typing import Any

KIB, MIB, GIB = 2**10, 2**20, 2**30
CONFIG_MAX_BYTES = MIB  # a config is a few hundred bytes; a YAML file of a MiB is not one
# Larger than any file circles-hinge writes: resume.json of the largest sweep (1,000,000 trainings
# at about 2 KB each) is about 2 GiB.
FOLDER_FILE_MAX_BYTES = 4 * GIB


class FileProblem(Exception):
    """Why `path` cannot be read, as the end of a sentence that starts with its name: 'is missing',
    'is a folder, not a file', 'is not valid JSON at line 3, column 1'. `missing` tells a file that
    is simply not there from one that is there but broken."""

    def __init__(self, path: Path, why: str, missing: bool = False):
        self.path, self.why, self.missing = Path(path), why, missing
        super().__init__(f"{path} {why}")


def size_text(n: float) -> str:
    """1536 -> '1.5 KiB', with thousands grouped as elsewhere ('1,024 GiB')."""
    for unit, size in (("GiB", GIB), ("MiB", MIB), ("KiB", KIB)):
        if n >= size:
            return f"{n / size:,.1f}".removesuffix(".0") + f" {unit}"
    return f"{n:,.0f} bytes"


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "is a folder, not a file"
    if stat.S_ISFIFO(mode):
        return "is a named pipe (FIFO), not a regular file"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "is a device, not a regular file"
    if stat.S_ISSOCK(mode):
        return "is a socket, not a regular file"
    return "is not a regular file"


def check_regular(path: Path, limit: int) -> os.stat_result:
    """The stat of `path` if it is a regular file of at most `limit` bytes; else FileProblem."""
    try:
        info = path.stat()
    except FileNotFoundError:
        if path.is_symlink():
            raise FileProblem(path, f"is a link to {os.readlink(path)}, which does not exist") from None
        raise FileProblem(path, "is missing", missing=True) from None
    except NotADirectoryError:
        raise FileProblem(path, "is missing (part of its path is a file)", missing=True) from None
    except OSError as exc:
        raise FileProblem(path, f"cannot be read: {exc.strerror or exc}") from None
    if not stat.S_ISREG(info.st_mode):
        raise FileProblem(path, _kind(info.st_mode))
    if info.st_size > limit:
        size = f"{info.st_size:,} bytes" + (f" ({size_text(info.st_size)})" if info.st_size >= KIB else "")
        raise FileProblem(path, f"is {size}; at most {size_text(limit)} is read")
    return info


def read_bytes(path: Path, limit: int = FOLDER_FILE_MAX_BYTES) -> bytes:
    """The bytes of a regular file of at most `limit` bytes, checked before it is opened and again
    once it is (without blocking, should a FIFO have taken its place); FileProblem otherwise."""
    path = Path(path)
    check_regular(path, limit)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise FileProblem(path, "is missing", missing=True) from None
    except OSError as exc:
        raise FileProblem(path, f"cannot be read: {exc.strerror or exc}") from None
    with os.fdopen(fd, "rb") as fh:
        info = os.fstat(fh.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise FileProblem(path, _kind(info.st_mode))
        try:
            data = fh.read(limit + 1)
        except OSError as exc:
            raise FileProblem(path, f"cannot be read: {exc.strerror or exc}") from None
    if len(data) > limit:  # it grew since the check
        raise FileProblem(path, f"is larger than {size_text(limit)}, the most that is read")
    return data


def read_ends(path: Path, n: int = 64 * KIB) -> tuple[bytes, bytes]:
    """The first and last `n` bytes of a regular file (of any size): enough to tell a file cut short
    or replaced by something else without reading all of it; FileProblem otherwise."""
    path = Path(path)
    check_regular(path, 2**62)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise FileProblem(path, f"cannot be read: {exc.strerror or exc}") from None
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
            raise FileProblem(path, _kind(os.fstat(fh.fileno()).st_mode))
        try:
            head = fh.read(n)
            size = fh.seek(0, os.SEEK_END)
            fh.seek(max(0, size - n))
            tail = fh.read(n)
        except OSError as exc:
            raise FileProblem(path, f"cannot be read: {exc.strerror or exc}") from None
    return head, tail


def read_text(path: Path, limit: int = FOLDER_FILE_MAX_BYTES) -> str:
    data = read_bytes(path, limit)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FileProblem(path, f"is not UTF-8 text (byte {exc.start}): damaged") from None


# What the end of a JSON text can hold when a write stopped inside a token: part of true, false or null,
# a lone minus sign, or a number stopped at its dot or exponent ("1.", "1e", "1e-").
_PARTIAL_TOKEN = re.compile(r"t|tr|tru|f|fa|fal|fals|n|nu|nul|-|\.|[eE][+-]?")


def _cut_short(text: str, exc: json.JSONDecodeError) -> bool:
    """Whether `text` is the start of a JSON document, stopped part way (a write cut off), rather than
    damaged: the decoder failed at its end, in a string the end cut, or in a token the end cut. Text
    after the document, or a wrong byte before the end, is damage."""
    if exc.msg.startswith("Unterminated string"):  # a string cannot hold a raw line break: it ran to the end
        return True
    if exc.msg.startswith("Invalid \\uXXXX escape"):  # \u and fewer than four digits before the end
        return len(text.rstrip()) - exc.pos <= len("\\u000")
    if exc.msg.startswith("Extra data"):
        return False
    tail = text[exc.pos :].rstrip()
    return not tail or _PARTIAL_TOKEN.fullmatch(tail) is not None


def load_json(path: Path, limit: int = FOLDER_FILE_MAX_BYTES) -> dict[str, Any]:
    """The JSON object in `path`; FileProblem saying whether it is missing, empty, cut short (a write
    that stopped part way), damaged, or not an object."""
    text = read_text(path, limit)
    if not text.strip():
        raise FileProblem(path, "is empty")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        if _cut_short(text, exc):
            raise FileProblem(path, f"is cut short after {size_text(len(text))} (truncated JSON)") from None
        raise FileProblem(
            path, f"is not valid JSON at line {exc.lineno}, column {exc.colno} (damaged)"
        ) from None
    if not isinstance(data, dict):
        raise FileProblem(path, f"holds a JSON {type(data).__name__}, not the object it should")
    return data
