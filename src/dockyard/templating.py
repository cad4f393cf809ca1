"""Render ERB in config files as Kamal does: natively where we can, else with Ruby's own ERB.

The environment is the process's, with KAMAL_DESTINATION set to the destination (and removed
without one), as Kamal sets it before loading config. A template runs in the app's directory
(`root`, where Kamal runs): backticks and %x(...) run through `/bin/sh -c` there with that
environment, like Ruby's backticks, and File.read and require_relative start there.

Ruby's ERB (ruby/render_erb.rb) renders the file as Kamal does: with no file name (`__FILE__`
is "(erb)", `__dir__` "."), with dockyard's copy of the dotenv gem's API on the load path
(ruby/lib/dotenv.rb: Kamal ships the gem, so configs `require "dotenv"`), and reporting the
class, message and line of any exception. What the template sets in ENV (Dotenv.load) is set
in this process too when a config file asks for it (`export_env`), as it is in Kamal's: the
secrets and the destination's file see it.

What a command prints, a file read and Ruby's output are each bounded by the size a config file
may have (config/yamllimits.py), so no template can fill the memory.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from dockyard.config.erb import ErbHost, ErbUnsupported, parse
from dockyard.config.erb_values import EffectError
from dockyard.config.yamllimits import MAX_FILE_BYTES
from dockyard.errors import ErbError

RUBY_DIR = Path(__file__).parent / "ruby"
# What Ruby's report (the variables a template changed, or its exception) may hold.
MAX_REPORT_BYTES = 4 * 1024 * 1024


def erb_environment(destination: str | None) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("KAMAL_DESTINATION", None)
    if destination is not None:
        env["KAMAL_DESTINATION"] = destination
    return env


def render_erb(
    text: str,
    *,
    filename: str,
    destination: str | None,
    root: Path | None = None,
    env_overlay: Mapping[str, str] | None = None,
    export_env: bool = False,
) -> str:
    """The rendered text of one ERB file; raises ErbError naming the file and line.
    root: the app's directory (default: the current one). env_overlay (an accessory's env, for
    its files) is seen over the process environment. export_env: what Ruby's ERB sets in ENV is
    set in this process's environment too (a config file's Dotenv.load, as in Kamal)."""
    if "<%" not in text:
        return text
    env = {**erb_environment(destination), **(env_overlay or {})}
    try:
        template = parse(text, filename=filename)
    except ErbUnsupported:
        ruby = shutil.which("ruby", path=env.get("PATH"))
        if ruby is None:
            raise
        rendered = render_with_ruby(ruby, text, filename=filename, env=env, root=root)
        if export_env:
            _export(rendered.env)
        return rendered.text
    return template.render(host_for(env, root))


def _export(changes: Mapping[str, str | None]) -> None:
    """Set (or, for None, remove) these variables in this process's environment."""
    for name, value in changes.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


def host_for(env: Mapping[str, str], root: Path | None = None) -> ErbHost:
    """The real effects a template may have: env lookups, the shell and reading files, in the
    app's directory."""
    return ErbHost(
        env=env.get,
        shell=lambda command: _shell(command, env, root),
        read_file=lambda path: _read(Path(root or ".") / path),
    )


@dataclass(frozen=True)
class RubyRendered:
    text: str
    env: dict[str, str | None] = field(default_factory=dict)  # set, changed or (None) removed


def render_with_ruby(
    ruby: str, text: str, *, filename: str, env: Mapping[str, str], root: Path | None = None
) -> RubyRendered:
    """The whole file rendered by Ruby's ERB (ruby/render_erb.rb) in `root`; raises ErbError
    with the exception's class and message and the template's line."""
    script, shims = RUBY_DIR / "render_erb.rb", RUBY_DIR / "lib"
    with tempfile.TemporaryDirectory(prefix="dockyard-erb-") as work:
        report_path = Path(work) / "report.json"
        argv = [ruby, "-E", "UTF-8:UTF-8", "-I", str(shims), str(script), str(report_path)]
        with tempfile.TemporaryFile() as stderr:
            try:
                status, output = _run_bounded(
                    argv, env, stdin=text.encode(), stderr=stderr, cwd=root
                )
            except EffectError as error:
                raise ErbError(f"Ruby's ERB output {error}", file=filename) from None
            stderr.seek(0)
            errors = stderr.read(64 * 1024).decode(errors="replace")
        report = _report(report_path, filename)
    if "error" in report:
        raise _ruby_error(report["error"], filename)
    if status != 0 or not isinstance(report.get("env"), dict):
        last = ([line for line in errors.splitlines() if line.strip()] or ["no message"])[-1]
        raise ErbError(f"Ruby's ERB failed: {last.strip()}", file=filename)
    try:
        return RubyRendered(output.decode(), report["env"])
    except UnicodeDecodeError:
        raise ErbError("Ruby's ERB output is not UTF-8 text", file=filename) from None


def _report(path: Path, filename: str) -> dict[str, Any]:
    """What render_erb.rb reported ({} when it wrote nothing: it did not get that far)."""
    try:
        with path.open("rb") as file:
            data = file.read(MAX_REPORT_BYTES + 1)
    except FileNotFoundError:
        return {}
    if len(data) > MAX_REPORT_BYTES:
        raise ErbError(f"Ruby's ERB set more than {MAX_REPORT_BYTES // 1024 // 1024} MiB of "
                       "environment variables", file=filename)  # fmt: skip
    try:
        report = json.loads(data)
    except ValueError:  # cut short: Ruby was stopped while writing it
        return {}
    return report if isinstance(report, dict) else {}


def _ruby_error(error: Mapping[str, Any], filename: str) -> ErbError:
    """`Ruby's ERB failed: <Class>: <message>` at the template's line (the message's first
    line: Ruby's syntax errors add the code below it)."""
    message = (str(error.get("message") or "").strip().splitlines() or ["no message"])[0]
    line = error.get("line")
    return ErbError(
        f"Ruby's ERB failed: {error.get('class')}: {message}",
        file=filename,
        line=line if isinstance(line, int) else None,
    )


def _shell(command: str, env: Mapping[str, str], root: Path | None) -> str:
    # Ruby's backticks: stdout is the value, stderr passes through, the exit status is ignored.
    _, output = _run_bounded(["/bin/sh", "-c", command], env, stdin=None, stderr=None, cwd=root)
    return output.decode(errors="replace")


def _run_bounded(
    argv: list[str],
    env: Mapping[str, str],
    *,
    stdin: bytes | None,
    stderr: IO[bytes] | None,
    cwd: Path | None = None,
) -> tuple[int, bytes]:
    """Exit status and stdout of a program; stopped once it prints more than a config may
    hold. The input (a config file, small) is written whole before the output is read."""
    with subprocess.Popen(
        argv,
        stdin=subprocess.PIPE if stdin is not None else None,
        stdout=subprocess.PIPE,
        stderr=stderr,
        env=dict(env),
        cwd=cwd,
    ) as process:
        assert process.stdout is not None
        if process.stdin is not None:
            process.stdin.write(stdin or b"")
            process.stdin.close()
        output = process.stdout.read(MAX_FILE_BYTES + 1)
        if len(output) > MAX_FILE_BYTES:
            process.kill()
            raise EffectError(_too_large("prints"))
        return process.wait(), output


def _read(path: Path) -> str:
    try:
        with open(path, encoding="utf-8") as file:
            text = file.read(MAX_FILE_BYTES + 1)
    except UnicodeDecodeError:
        raise EffectError("is not UTF-8 text") from None
    if len(text) > MAX_FILE_BYTES:
        raise EffectError(_too_large("holds"))
    return text


def _too_large(verb: str) -> str:
    limit = f"{MAX_FILE_BYTES} bytes ({MAX_FILE_BYTES // 1024} KiB)"
    return f"{verb} more than {limit}, the most a config file may hold"
