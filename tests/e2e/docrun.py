"""Run a markdown document's shell blocks as a test: the document is the test.

Every ```sh block before `stop` (a heading) is a step, run in order in one bash (so `cd` and
variables carry over), with `set -euo pipefail`. A ```text block that comes next after a step
is that step's expected output: its lines must match the step's non-empty output lines one for
one, where `…` in a line stands for any text on that line and a line of just `…` for any number
of lines.
"""

from __future__ import annotations

import re
import shlex
import subprocess
from dataclasses import dataclass

FENCE = "```"
MARK = "@@docrun step {}@@"
ANY_LINES = "…"


@dataclass(frozen=True)
class Step:
    line: int  # where its block starts in the document (1-based)
    script: str
    expected: str | None


@dataclass(frozen=True)
class Block:
    line: int
    lang: str
    text: str


def blocks(markdown: str, stop: str) -> list[Block]:
    """The fenced blocks (fences at the start of a line) before the heading `stop`."""
    found: list[Block] = []
    lines = markdown.splitlines()
    i = 0
    while i < len(lines) and lines[i].rstrip() != stop:
        if lines[i].startswith(FENCE):
            lang, start = lines[i][len(FENCE) :].strip(), i
            i += 1
            body = []
            while i < len(lines) and not lines[i].startswith(FENCE):
                body.append(lines[i])
                i += 1
            if i == len(lines):
                raise ValueError(f"line {start + 1}: a code block that never ends")
            found.append(Block(start + 1, lang, "\n".join(body) + "\n"))
        i += 1
    return found


def steps(markdown: str, stop: str) -> list[Step]:
    found = blocks(markdown, stop)
    result = []
    for index, block in enumerate(found):
        if block.lang != "sh":
            continue
        after = found[index + 1] if index + 1 < len(found) else None
        expected = after.text if after and after.lang == "text" else None
        result.append(Step(block.line, block.text, expected))
    return result


def output_pattern(expected: str) -> re.Pattern[str]:
    parts = []
    for line in expected.splitlines():
        line = line.rstrip()
        if not line:
            continue
        if line.strip() == ANY_LINES:
            parts.append(r"(?:[^\n]*\n)*?")
        else:
            parts.append(".*".join(re.escape(piece) for piece in line.split(ANY_LINES)) + "\n")
    return re.compile("".join(parts))


def matches(expected: str, output: str) -> bool:
    lines = [line.rstrip() for line in output.splitlines() if line.strip()]
    text = "".join(f"{line}\n" for line in lines)
    return output_pattern(expected).fullmatch(text) is not None


def script(all_steps: list[Step]) -> str:
    """One bash script: each step after a marker line (on stdout and stderr)."""
    parts = ["set -euo pipefail"]
    for index, step in enumerate(all_steps):
        mark = shlex.quote(f"\n{MARK.format(index)}\n")
        parts.append(f"printf %s {mark}; printf %s {mark} >&2")
        parts.append(step.script)
    return "\n".join(parts) + "\n"


def split(output: str, count: int) -> list[str | None]:
    """Each step's part of the output; None for a step that never started."""
    parts: list[str | None] = [None] * count
    pieces = re.split(r"\n@@docrun step (\d+)@@\n", output)
    for number, text in zip(pieces[1::2], pieces[2::2], strict=True):
        parts[int(number)] = text
    return parts


@dataclass(frozen=True)
class Run:
    returncode: int
    stdout: list[str | None]
    stderr: list[str | None]

    def failed_step(self) -> int:
        """The last step that started (the one that failed, when returncode is not 0)."""
        return max(i for i, part in enumerate(self.stdout) if part is not None)


def run(all_steps: list[Step], *, cwd: str, env: dict[str, str], timeout: float) -> Run:
    done = subprocess.run(
        ["bash", "-c", script(all_steps)], cwd=cwd, env=env, capture_output=True, text=True,
        timeout=timeout, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    count = len(all_steps)
    return Run(done.returncode, split(done.stdout, count), split(done.stderr, count))
