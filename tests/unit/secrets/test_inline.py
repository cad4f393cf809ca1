"""`$(kamal secrets fetch|extract …)` run in-process: the CLI's flags, parsed without the CLI."""

import pytest

from dockyard.errors import SecretsError, UsageError
from dockyard.secrets.inline import is_secrets_command, run_inline, run_secrets_line

FETCHED = '\\{\\"V/I/X\\":\\"X/I/V\\"\\}'


@pytest.mark.parametrize(
    "argv",
    [
        ["fetch", "--adapter", "test", "--account", "a", "--from", "V/I", "X"],
        ["fetch", "-a", "test", "--account=a", "--from=V/I", "X"],
        ["fetch", "-atest", "--account", "a", "X", "--from", "V/I"],
        ["fetch", "X", "--adapter=test", "--account", "a", "--from", "V/I", "--inline"],
    ],
)
def test_fetch_takes_the_flags_in_any_of_their_forms(argv: list[str]) -> None:
    assert run_inline(argv) == FETCHED


def test_extract_takes_a_name_and_the_json() -> None:
    assert run_inline(["extract", "X", '{"V/I/X": "secret"}', "--inline"]) == "secret"


def test_a_whole_command_line_is_split_with_shell_rules() -> None:
    line = 'kamal secrets extract X \'{"V/I/X": "a b"}\''
    assert is_secrets_command(line)
    assert run_secrets_line(line) == "a b"
    assert not is_secrets_command("echo kamal secrets fetch")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["fetch", "X"], r"^secrets fetch: Missing option '-a' / '--adapter'\.$"),
        (["fetch", "-a", "test", "--nope", "X"], r"^secrets fetch: option --nope not recognized$"),
        (["extract", "X"], r"^secrets extract: takes NAME and SECRETS"),
    ],
)
def test_usage_errors_are_one_line(argv: list[str], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        run_inline(argv)


@pytest.mark.parametrize("argv", [["print"], []])
def test_only_fetch_and_extract_give_a_value(argv: list[str]) -> None:
    with pytest.raises(SecretsError, match="gives no value to substitute; use fetch or extract"):
        run_inline(argv)
