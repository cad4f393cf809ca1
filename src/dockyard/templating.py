"""Render ERB in config files as Kamal does: natively where we can, else with Ruby's own ERB.

The environment is the process's, with KAMAL_DESTINATION set to the destination (and removed
without one), as Kamal sets it before loading config. Backticks and %x(...) run through
`/bin/sh -c` with that environment, like Ruby's backticks; File.read is relative to the cwd.
What a command prints, a file read and Ruby's output are each bounded by the size a config file
may have (config/yamllimits.py), so no template can fill the memory.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from typing import IO

from dockyard.config.erb import ErbHost, ErbUnsupported, parse
from dockyard.config.erb_values import EffectError
from dockyard.config.yamllimits import MAX_FILE_BYTES
from dockyard.errors import ErbError

# Kamal: ERB.new(template, trim_mode: "-").result, at the top level. The template comes on
# stdin and the file name as an argument, so neither is ever part of a command line.
_RUBY_ERB = """
require "erb"
begin
  require "active_support/core_ext/object/blank"  # Kamal's ERB has .present? and .blank?
rescue LoadError
end
template = ERB.new($stdin.read, trim_mode: "-")
template.filename = ARGV[0]
$stdout.write(template.result)
"""


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
    env_overlay: Mapping[str, str] | None = None,
) -> str:
    """The rendered text of one ERB file; raises ErbError naming the file and line.
    env_overlay (an accessory's env, for its files) is seen over the process environment."""
    if "<%" not in text:
        return text
    env = {**erb_environment(destination), **(env_overlay or {})}
    try:
        template = parse(text, filename=filename)
    except ErbUnsupported:
        ruby = shutil.which("ruby", path=env.get("PATH"))
        if ruby is None:
            raise
        return render_with_ruby(ruby, text, filename=filename, env=env)
    return template.render(host_for(env))


def host_for(env: Mapping[str, str]) -> ErbHost:
    """The real effects a template may have: env lookups, the shell and reading files."""
    return ErbHost(env=env.get, shell=lambda command: _shell(command, env), read_file=_read)


def render_with_ruby(ruby: str, text: str, *, filename: str, env: Mapping[str, str]) -> str:
    """The whole file rendered by Ruby's ERB; raises ErbError with Ruby's message and line."""
    argv = [ruby, "-E", "UTF-8:UTF-8", "-e", _RUBY_ERB, filename]
    with tempfile.TemporaryFile() as stderr:
        try:
            status, output = _run_bounded(argv, env, stdin=text.encode(), stderr=stderr)
        except EffectError as error:
            raise ErbError(f"Ruby's ERB output {error}", file=filename) from None
        stderr.seek(0)
        errors = stderr.read(64 * 1024).decode(errors="replace")
    if status != 0:
        raise _ruby_error(errors, filename)
    try:
        return output.decode()
    except UnicodeDecodeError:
        raise ErbError("Ruby's ERB output is not UTF-8 text", file=filename) from None


def _ruby_error(stderr: str, filename: str) -> ErbError:
    lines = [line for line in stderr.splitlines() if line.strip()]
    located = re.compile(re.escape(filename) + r":(\d+):(?:in [^:]*:)?\s*(.*)")
    for line in lines:
        if match := located.match(line):
            message = match.group(2)
            return ErbError(f"Ruby's ERB failed: {message}", file=filename, line=int(match[1]))
    last = lines[-1] if lines else "no message"
    return ErbError(f"Ruby's ERB failed: {last}", file=filename)


def _shell(command: str, env: Mapping[str, str]) -> str:
    # Ruby's backticks: stdout is the value, stderr passes through, the exit status is ignored.
    _, output = _run_bounded(["/bin/sh", "-c", command], env, stdin=None, stderr=None)
    return output.decode(errors="replace")


def _run_bounded(
    argv: list[str], env: Mapping[str, str], *, stdin: bytes | None, stderr: IO[bytes] | None
) -> tuple[int, bytes]:
    """Exit status and stdout of a program; stopped once it prints more than a config may
    hold. The input (a config file, small) is written whole before the output is read."""
    with subprocess.Popen(
        argv,
        stdin=subprocess.PIPE if stdin is not None else None,
        stdout=subprocess.PIPE,
        stderr=stderr,
        env=dict(env),
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


def _read(path: str) -> str:
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
