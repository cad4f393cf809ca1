"""The pure dotenv parser and its lazy resolver (commands recorded, not run)."""

from __future__ import annotations

import pytest

from dockyard.config.dotenv import Command, Entry, Resolver, Var, parse_dotenv
from dockyard.errors import SecretsError


def plans(text: str) -> dict[str, tuple[object, ...]]:
    return {entry.key: entry.parts for entry in parse_dotenv(text, filename="s")}


class Runs:
    def __init__(self, outputs: dict[str, str] | None = None) -> None:
        self.outputs = outputs or {}
        self.ran: list[tuple[str, int, tuple[str, ...]]] = []

    def __call__(self, command: Command, entry: Entry, text: str, used: tuple[str, ...]) -> str:
        self.ran.append((text, entry.line, used))
        return self.outputs.get(text, f"<{text}>\n")


def resolve(text: str, env: dict[str, str] | None = None) -> tuple[dict[str, str], Runs]:
    runs = Runs()
    resolver = Resolver(parse_dotenv(text, filename="s"), env=(env or {}).get, run=runs)
    return {key: resolver.get(key) or "" for key in resolver.names()}, runs


def test_quotes_comments_and_escapes() -> None:
    text = 'A=plain # c\nB=\'lit $X \\n\'\nC="a\\nb\\tc\\"d\\\\e"\nD=x#y\nexport E=e\nF: g\n'
    assert plans(text) == {
        "A": ("plain",),
        "B": ("lit $X \\n",),
        "C": ('a\\nbtc"d\\e',),
        "D": ("x",),
        "E": ("e",),
        "F": ("g",),
    }


def test_legacy_linebreaks_expand_newlines_in_double_quotes() -> None:
    text = 'DOTENV_LINEBREAK_MODE=legacy\nA="a\\nb"\n'
    assert plans(text)["A"] == ("a\nb",)
    assert parse_dotenv('A="a\\nb"', filename="s", legacy_linebreaks=True)[0].parts == ("a\nb",)


def test_multiline_values_keep_their_lines() -> None:
    entries = parse_dotenv("A=\"one\ntwo\"\n\nB='x\ny'\nC=3\n", filename="s")
    assert [(e.key, e.parts, e.line) for e in entries] == [
        ("A", ("one\ntwo",), 1),
        ("B", ("x\ny",), 4),
        ("C", ("3",), 6),
    ]


def test_variables_and_commands_form_a_plan() -> None:
    assert plans('A=x$B${C}\\$D$(echo "$E" $(inner))\n')["A"] == (
        "x",
        Var("B"),
        Var("C"),
        "$D",
        Command('echo "$E" $(inner)', ('echo "', Var("E"), '" $(inner)')),
    )


def test_an_escaped_command_is_text() -> None:
    assert plans("A=\\$(echo x)\n")["A"] == ("$(echo x)",)


def test_variables_read_earlier_keys_then_the_environment() -> None:
    values, _ = resolve("A=1\nB=$A-$HOME-$NOPE\nA=2\nC=${A}\n", env={"HOME": "/h"})
    assert values == {"A": "2", "B": "1-/h-", "C": "2"}


def test_commands_get_substituted_text_and_are_chomped() -> None:
    values, runs = resolve("T=tok\nA=$(get $T)\n")
    assert values["A"] == "<get tok>"
    assert runs.ran == [("get tok", 2, ("tok",))]


def test_command_output_is_not_expanded_again() -> None:
    # Kamal would turn "pa$word" into "pa": a fetched password must come through unchanged.
    runs = Runs({"get": "pa$word\n"})
    resolver = Resolver(parse_dotenv("A=$(get)\n", filename="s"), env={}.get, run=runs)
    assert resolver.get("A") == "pa$word"


def test_only_what_is_asked_for_runs() -> None:
    runs = Runs()
    text = "A=$(first)\nB=$(second)\nC=$A-$(third)\nD=$(never)\n"
    resolver = Resolver(parse_dotenv(text, filename="s"), env={}.get, run=runs)
    assert resolver.get("C") == "<first>-<third>"
    assert resolver.get("C") == "<first>-<third>"
    assert [text for text, _, _ in runs.ran] == ["first", "third"]
    assert resolver.get("MISSING") is None


def test_export_of_an_unset_variable_is_an_error() -> None:
    with pytest.raises(SecretsError, match=r"^s:2: `export B` exports a variable never set"):
        parse_dotenv("A=1\nexport B\n", filename="s")
    assert plans("A=1\nexport A\n") == {"A": ("1",)}


@pytest.mark.parametrize(
    ("text", "expected"),
    [  # what Kamal 2.11's `kamal secrets print` makes of each file
        ('A="a\\" # c"\nB="x\\"\nC=1"\n', {"A": 'a" # c', "B": 'x"\nC=1'}),
        ("A:x\nB: y\nC:\nD=1\nE :z\n", {"B": "y", "C": "D=1"}),
        ("export\nexport=2\nexport A B\n", {"export": "2"}),
        ("A=a\nB=${A}-$A}-${A-${}-$\nC=\\${A}\n", {"A": "a", "B": "a-a-a-${}-$", "C": "${A}"}),
        ("A=\n  'q'\nB=  \"two\nlines\" # c\n", {"A": "q", "B": "two\nlines"}),
    ],
)
def test_the_format_at_its_edges(text: str, expected: dict[str, str]) -> None:
    assert resolve(text)[0] == expected
