from dockyard.commands.base import Cmd, Raw, all_of, any_of, cmd, pipe, repeat
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
