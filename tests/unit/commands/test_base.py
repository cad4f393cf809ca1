import pytest

from dockyard.commands.base import Cmd, HomePath, Raw, all_of, any_of, cmd, pipe, repeat
from dockyard.redaction import Secret


def test_cmd_quotes_each_argument_once() -> None:
    assert cmd("echo", "a b", "it's", "$HOME").render() == "echo 'a b' 'it'\"'\"'s' '$HOME'"


def test_none_arguments_are_dropped() -> None:
    assert cmd("docker", "run", None, "img").argv == ("docker", "run", "img")


def test_secret_is_sent_but_redacted_in_logs() -> None:
    login = cmd("docker", "login", "-p", Secret("s3cr;t"))
    assert login.render() == "docker login -p 's3cr;t'"
    assert login.render(redact=True) == "docker login -p [REDACTED]"
    assert "s3cr" not in repr(Secret("s3cr;t"))


def test_sequences_nest_in_parentheses() -> None:
    inner = any_of(cmd("test", "-d", "x"), cmd("mkdir", "x"))
    assert all_of(inner, cmd("ls")).render() == "(test -d x || mkdir x) && ls"
    assert pipe(cmd("ps"), Raw("grep -c x")).render() == "ps | grep -c x"


def test_repeat_flag() -> None:
    assert repeat("--label", ["a=1", "b=2"]) == ["--label", "a=1", "--label", "b=2"]
    assert Cmd(("a",)).render() == "a"


def test_write_stdin_is_private_and_atomic() -> None:
    from dockyard.commands.base import write_stdin

    assert write_stdin(".dockyard/a.env").render() == (
        '(umask 077 && cat > "$HOME/.dockyard/a.env.tmp") && '
        'mv -f "$HOME/.dockyard/a.env.tmp" "$HOME/.dockyard/a.env"'
    )


def test_any_of_and_quoting_of_hostile_values() -> None:
    assert any_of(cmd("test", "-d", "a b"), cmd("mkdir", "a b")).render() == (
        "test -d 'a b' || mkdir 'a b'"
    )
    assert cmd("echo", "$(x)", "`y`", "it's", "two\nlines", "").render() == (
        "echo '$(x)' '`y`' 'it'\"'\"'s' 'two\nlines' ''"
    )


def test_a_secret_inside_a_sequence_is_redacted_too() -> None:
    login = all_of(cmd("cd", "/srv"), cmd("docker", "login", "-p", Secret("it's")))
    assert login.render() == "cd /srv && docker login -p 'it'\"'\"'s'"
    assert login.render(redact=True) == "cd /srv && docker login -p [REDACTED]"


def test_a_home_path_is_expanded_by_the_shell_and_refuses_what_its_quotes_cannot_hold() -> None:
    assert cmd("mkdir", HomePath(".dockyard/a b")).render() == 'mkdir "$HOME/.dockyard/a b"'
    for unsafe in ('a"b', "$(x)", "a`b`", "a\\b", "a\nb"):
        with pytest.raises(ValueError, match="unsafe characters in a home path"):
            HomePath(unsafe)
