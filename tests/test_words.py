"""words.py: counts read as English."""

import pytest

from circles_hinge.words import plural


@pytest.mark.parametrize(
    "n,word,expected",
    [
        (1, "epoch", "1 epoch"),
        (0, "epoch", "0 epochs"),
        (30, "seed", "30 seeds"),
        (2, "is", "2 are"),
        (10000, "seed", "10,000 seeds"),
    ],
)
def test_plural(n, word, expected):
    many = "are" if word == "is" else None
    assert plural(n, word, many) == expected
