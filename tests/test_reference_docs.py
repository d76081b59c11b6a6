"""docs/reference/cli.md and config.md are what the program generates today (`make docs` rewrites them):
every command, option and config key is documented, and a change to a help text or the schema without
`make docs` fails here."""

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
