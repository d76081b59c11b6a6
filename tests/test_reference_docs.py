"""docs/reference/cli.md and config.md are what the program generates today (`make docs` rewrites them):
every command, option and config key is documented, and a change to a help text or the schema without
`make docs` fails here."""

import re
from pathlib import Path

import pytest

from circles_hinge.cli.reference import CLI_FILE, CONFIG_FILE, cli_markdown, config_markdown

REFERENCE = Path(__file__).resolve().parents[1] / "docs" / "reference"


@pytest.mark.parametrize(("name", "generate"), [(CLI_FILE, cli_markdown), (CONFIG_FILE, config_markdown)])
def test_the_generated_reference_is_current(name, generate):
    assert (REFERENCE / name).read_text(encoding="utf-8") == generate(), (
        f"docs/reference/{name} is stale: make docs"
    )


def test_every_option_of_every_command_is_in_the_cli_reference():
    import typer

    from circles_hinge.cli.app import app

    text = cli_markdown()
    group = typer.main.get_command(app)
    for name, command in group.commands.items():
        heading = f"## `circles-hinge {name}`"
        assert heading in text, name
        section = text.split(heading, 1)[1].split("\n## ", 1)[0]
        items = [line for line in section.splitlines() if line.startswith("* `")]
        for param in command.params:
            for opt in getattr(param, "opts", []):
                if opt.startswith("-"):
                    assert any(opt in item.split("`")[1].replace(",", " ").split() for item in items), (
                        name,
                        opt,
                    )


def test_every_config_key_is_in_the_config_reference():
    from circles_hinge.config import config_keys

    text = config_markdown()
    for key in config_keys():
        assert f"| `{key}` |" in text, key


ROOT = REFERENCE.parents[1]
README_LIMIT = 15_000  # bytes: the front door is read in five minutes; the depth lives in docs/
# [text](target) and ![alt](target), up to an optional "title"; <a href> and <img src> in raw HTML
LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HTML_LINK = re.compile(r"""(?:href|src)=["']([^"']+)["']""")


def _pages() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def _targets(text: str) -> list[str]:
    """Every link and image target in a Markdown text, leaving out code blocks and inline code."""
    prose = re.sub(r"```.*?```", "", text, flags=re.S)
    prose = re.sub(r"`[^`\n]*`", "", prose)
    return LINK.findall(prose) + HTML_LINK.findall(prose)


def test_the_readme_is_short_and_starts_with_the_two_commands():
    readme = (ROOT / "README.md").read_bytes()
    assert len(readme) <= README_LIMIT, (
        f"README.md is {len(readme)} bytes, over {README_LIMIT}: move depth to docs/"
    )
    first_block = re.search(r"```[a-z]*\n(.*?)```", readme.decode("utf-8"), flags=re.S)
    assert first_block, "README.md has no command block"
    commands = [line.split("#")[0].strip() for line in first_block.group(1).splitlines()]
    assert commands[:2] == ["make train", "make test"], commands


@pytest.mark.parametrize("page", _pages(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_and_image_points_at_a_file(page):
    broken = []
    for target in _targets(page.read_text(encoding="utf-8")):
        if re.match(r"[a-z][a-z0-9+.-]*:", target) or target.startswith("#"):
            continue  # a web address, mailto:, or an anchor in the same page
        path = target.split("#", 1)[0].split("?", 1)[0]
        if not (page.parent / path).exists():
            broken.append(target)
    assert not broken, f"{page.relative_to(ROOT)} links to files that do not exist: {broken}"


def test_the_link_check_sees_a_broken_link_and_image():
    text = 'see [the guide](docs/nowhere.md#part) and ![a figure](images/none.png "title"), not `[x](y)`'
    assert _targets(text) == ["docs/nowhere.md#part", "images/none.png"]
