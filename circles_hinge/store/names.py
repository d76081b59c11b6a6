"""What --name may be: one plain folder name, in any alphabet, that no shell or file system misreads."""

from __future__ import annotations

import unicodedata

from circles_hinge.errors import ConfigError

NAME_MAX_CHARS = 200  # and at most 255 bytes in UTF-8, the usual file-system limit for one name
NAME_PUNCTUATION = "._+-"
NAME_RULE = (
    "letters and digits (any alphabet), '.', '_', '+' and '-', starting with a letter or digit, "
    f"at most {NAME_MAX_CHARS} characters"
)


def check_name(name: str) -> str:
    """--name is one plain folder name (NAME_RULE); returns it in Unicode's composed form (NFC), so
    'é' typed as e + accent names the same folder as 'é'."""
    name = unicodedata.normalize("NFC", name)
    if not name:
        raise ConfigError(f"--name is empty; give a plain folder name ({NAME_RULE}), e.g. first-try")
    if len(name) > NAME_MAX_CHARS:
        raise ConfigError(
            f"--name is {len(name)} characters long; a plain folder name has at most {NAME_MAX_CHARS}"
        )
    if len(name.encode("utf-8")) > 255:
        raise ConfigError(
            f"--name is {len(name.encode('utf-8'))} bytes long in UTF-8; a folder name can have at most 255"
        )
    bad = sorted({c for c in name if not (c.isalnum() or c in NAME_PUNCTUATION)}, key=name.index)
    if bad:
        where = "; use --runs-dir to choose where it goes" if {"/", "\\"} & set(bad) else ""
        raise ConfigError(
            f"--name {name!r} must be a plain folder name: {' '.join(repr(c) for c in bad)} "
            f"{'is' if len(bad) == 1 else 'are'} not allowed; use {NAME_RULE}{where}"
        )
    if not name[0].isalnum():
        raise ConfigError(
            f"--name {name!r} must start with a letter or digit, not {name[0]!r} "
            "(a leading '-' reads as an option, a leading '.' hides the folder)"
        )
    return name
