"""How the project writes counts in text ("1 seed", "3 seeds"): one home for plurals, shared by the
CLI, the reports and the figures. Pure Python, so the CLI can import it without delay."""


def plural(n: int, word: str, many: str | None = None) -> str:
    """`n word` with the word in the plural unless n is 1: plural(1, "epoch") == "1 epoch";
    thousands are grouped: plural(1000, "seed") == "1,000 seeds"."""
    return f"{n:,} {word}" if n == 1 else f"{n:,} {many or word + 's'}"
