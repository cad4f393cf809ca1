"""Render ERB in config files as Kamal does: natively where we can, else with Ruby's own ERB.

The environment is the process's, with KAMAL_DESTINATION set to the destination (and removed
without one), as Kamal sets it before loading config. Backticks and %x(...) run through
`/bin/sh -c` with that environment, like Ruby's backticks; File.read is relative to the cwd.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Mapping

from dockyard.config.erb import ErbHost, ErbUnsupported, parse
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
    done = subprocess.run(
        [ruby, "-E", "UTF-8:UTF-8", "-e", _RUBY_ERB, filename],
        input=text.encode(),
        capture_output=True,
        env=dict(env),
        check=False,
    )
    if done.returncode != 0:
        raise _ruby_error(done.stderr.decode(errors="replace"), filename)
    return done.stdout.decode()


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
    done = subprocess.run(
        ["/bin/sh", "-c", command], stdout=subprocess.PIPE, env=dict(env), check=False
    )
    return done.stdout.decode(errors="replace")


def _read(path: str) -> str:
    with open(path, encoding="utf-8") as file:
        return file.read()
