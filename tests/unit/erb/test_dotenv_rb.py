"""dockyard's Ruby dotenv (ruby/lib/dotenv.rb) on the edges of the file format, without Kamal.

Each expected value is what the real gem (dotenv 3.2 inside Kamal 2.11) gives for the same file;
tests/oracle/test_erb_oracle.py compares the two directly, on these files and generated ones."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from dockyard.templating import RUBY_DIR

RUBY = shutil.which("ruby")
pytestmark = pytest.mark.skipif(RUBY is None, reason="ruby is not installed")
PARSE = """
require "dotenv"
ARGV.each do |file|
  puts begin; Dotenv.parse(file).to_a.inspect; rescue Dotenv::FormatError => e; "#{e.class}: #{e.message}"; end
end
"""  # noqa: E501


CASES = {
    "multi-line double quotes": (
        'A=a\nK="line1\nline2 $A\n  line3"\nB=1\n',
        '[["A", "a"], ["K", "line1\\nline2 a\\n  line3"], ["B", "1"]]',
    ),
    "multi-line single quotes": ("K='one\ntwo $A'\nB=2\n", '[["K", "one\\ntwo $A"], ["B", "2"]]'),
    "escaped dollars": (
        "A=a\nB=\\$A \\\\$A\nC=\"\\$A ${A} \\${A}\"\nD='\\$A'\n",
        '[["A", "a"], ["B", "$A $A"], ["C", "$A a ${A}"], ["D", "\\\\$A"]]',
    ),
    "colon separator": (
        "K: v\nL:v\nM:  spaced  \nN:\tt\n",
        '[["K", "v"], ["M", "spaced"], ["N", "t"]]',
    ),
    "a colon at the end of a line takes the next line": ("A:\nB=1\n", '[["A", "B=1"]]'),
    "comments after values": (
        'K="v" # c\nL=\'v\' # c\nM="v#x" #c\nN=v#x\nO=v #x\n',
        '[["K", "v"], ["L", "v"], ["M", "v#x"], ["N", "v"], ["O", "v"]]',
    ),
    "CRLF and CR": (
        'A=1\r\nB="x\r\ny"\r\nC=3\rD=4\r',
        '[["A", "1"], ["B", "x\\ny"], ["C", "3"], ["D", "4"]]',
    ),
    "quotes around the whole of an unquoted value": (
        'K="a" "b"\nL=\'a\' \'b\'\nM="a"b"\n',
        '[["K", "a\\" \\"b"], ["L", "a\' \'b"], ["M", "a\\"b"]]',
    ),
    "an unclosed quote is text": (
        'A="unterminated\nB=2\n',
        '[["A", "\\"unterminated"], ["B", "2"]]',
    ),
    "a closing quote must end its line": (
        'A="multi\n\nB=2 " # tail\nC=3\n',
        '[["A", "multi\\n\\nB=2 "], ["C", "3"]]',
    ),
    "escaped quotes": (
        'A=\'it\\\'s\'\nB="say \\"hi\\""\n',
        '[["A", "it\\\\\'s"], ["B", "say \\"hi\\""]]',
    ),
    "linebreak escapes": ('A="a\\nb\\\\nc"\n', '[["A", "a\\\\nb\\\\nc"]]'),
    "legacy linebreaks": (
        "DOTENV_LINEBREAK_MODE=legacy\nA=\"a\\nb\\\\nc\\rd\"\nB='a\\nb'\nC=a\\nb\n",
        '[["DOTENV_LINEBREAK_MODE", "legacy"], '
        '["A", "a\\nb\\nc\\rd"], ["B", "a\\\\nb"], ["C", "anb"]]',
    ),
    "export as a key": ("export=1\nexport\nexport =2\n", '[["export", "2"]]'),
    "export of an unset key": (
        "export A=1\nexport B\nexport A\n",
        'Dotenv::FormatError: Line "export B" has an unset variable',
    ),
    "export KEY= is export KEY": (
        "export A=\n",
        'Dotenv::FormatError: Line "export A=\\n" has an unset variable',
    ),
    "variables in braces or not": (
        "A=$DOCKYARD_T_SET-${DOCKYARD_T_SET}-$DOCKYARD_T_SET}-${DOCKYARD_T_SET\n",
        '[["A", "from-env-from-env-from-env-from-env"]]',
    ),
    "commands": (
        "A=x\nC2=$()\nC3=$(())\nC4=$((echo x))\nC5=pre$(echo a)post\nC6=$(echo $A)\n",
        '[["A", "x"], ["C2", "$()"], ["C3", "$(())"], '
        '["C4", "x"], ["C5", "preapost"], ["C6", "x"]]',
    ),
    "a command's output is expanded again": (
        "A=$(echo '$DOCKYARD_T_SET')\nB=\\$(echo no)\n",
        '[["A", "from-env"], ["B", "$(echo no)"]]',
    ),
    "a key the environment has keeps its value": (
        "DOCKYARD_T_SET=file\nR=$DOCKYARD_T_SET\n",
        '[["DOCKYARD_T_SET", "from-env"], ["R", "from-env"]]',
    ),
    "an entry over several lines": ("A\n=1\nexport\nB=2\n", '[["A", "1"], ["B", "2"]]'),
    "export alone before a line that is no entry": ("export\nA B\n", '[["export", ""]]'),
    "multibyte text before a quoted value": ("A=é\nB='x\\'\n", '[["A", "é"], ["B", "x\\\\"]]'),
}


@pytest.fixture(scope="module")
def parsed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """What dotenv.rb makes of each case's file, all in one Ruby process."""
    root = tmp_path_factory.mktemp("dotenv")
    files = []
    for number, (text, _) in enumerate(CASES.values()):
        (root / str(number)).write_bytes(text.encode())
        files.append(str(number))
    done = subprocess.run(
        [str(RUBY), "-E", "UTF-8:UTF-8", "-I", str(RUBY_DIR / "lib"), "-e", PARSE, *files],
        cwd=root, capture_output=True, text=True, timeout=60, check=True,
        env={"PATH": "/usr/bin:/bin", "DOCKYARD_T_SET": "from-env"},
    )  # fmt: skip
    return dict(zip(CASES, done.stdout.splitlines(), strict=True))


@pytest.mark.parametrize("name", CASES)
def test_the_format_parses_as_the_gem(name: str, parsed: dict[str, str]) -> None:
    assert parsed[name] == CASES[name][1]
