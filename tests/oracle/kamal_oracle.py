"""Run the real Kamal and dockyard on the same app directory and load what they print."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from dockyard.loading.init_files import DEPLOY_YML

CONFIGS = Path(__file__).parent / "configs"
INIT = "<the config `dockyard init` writes>"
KAMAL = Path(sys.executable).parent / "kamal"
BATCH_SCRIPT = Path(__file__).parent / "kamal_batch.rb"
SECRETS = """\
KAMAL_REGISTRY_PASSWORD=registry-secret-value
SSH_PRIVATE_KEY=ssh-key-secret-value
GHCR_TOKEN=ghcr-secret-value
"""
ERB_ENV = {"DOCKYARD_ORACLE_SERVICE": "erbapp"}
ANSI = re.compile(r"\x1b\[[0-9;]*m")
CONTEXT = re.compile(r"^([A-Za-z0-9_\-/.]+): ")


@dataclass(frozen=True)
class Case:
    """One run: a config (+ destination files) with the flags both tools get."""

    name: str
    config: str
    args: tuple[str, ...] = ("--version", "v1")
    dirty: bool = False

    @property
    def id(self) -> str:
        return self.name


def make_app(case: Case, root: Path) -> Path:
    """An app directory with config/deploy*.yml and secrets; a committed git checkout when the
    version comes from git."""
    app = root / case.name
    (app / "config").mkdir(parents=True)
    source = CONFIGS / case.config
    if case.config == INIT:
        (app / "config" / "deploy.yml").write_text(DEPLOY_YML)
    else:
        shutil.copy(source, app / "config" / "deploy.yml")
    for extra in source.parent.glob(f"{source.stem}.*.yml"):
        destination = extra.name.split(".")[1]
        shutil.copy(extra, app / "config" / f"deploy.{destination}.yml")
    if "-d" in case.args:  # a destination without a file of its own in the corpus: an empty one
        destination_file = app / "config" / f"deploy.{case.args[case.args.index('-d') + 1]}.yml"
        if not destination_file.exists():
            destination_file.write_text("x-destination: {}\n")
    (app / ".kamal").mkdir()
    for name in ("secrets", "secrets-common", "app-secrets", "secrets.staging"):
        (app / ".kamal" / name).write_text(SECRETS)
    files = source.parent / f"{source.stem}.files"
    if files.is_dir():  # what the config's ERB reads (.env files, Ruby it requires...)
        shutil.copytree(files, app, dirs_exist_ok=True)
    if "--version" in case.args and not case.dirty:
        return app  # the version is given: no git needed (and no git process to wait for)
    git = ["git", "-c", "user.email=o@example.com", "-c", "user.name=oracle"]
    subprocess.run([*git, "init", "-q"], cwd=app, check=True)
    subprocess.run([*git, "add", "-A"], cwd=app, check=True)
    subprocess.run([*git, "commit", "-qm", "oracle"], cwd=app, check=True)
    if case.dirty:
        (app / "uncommitted.txt").write_text("dirty")
    return app


def tool_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VERSION", "KAMAL_"))}
    env.pop("RUBYOPT", None)
    return {**env, **ERB_ENV}


def run(argv: list[str], app: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv, cwd=app, capture_output=True, text=True, env=tool_env(), timeout=120, check=False
    )


def run_kamal(case: Case, app: Path) -> subprocess.CompletedProcess[str]:
    """One real `kamal config` process."""
    return run([str(KAMAL), "config", *case.args], app)


def run_kamal_batch(jobs: list[tuple[Case, Path, bool]], work: Path) -> list[KamalRun]:
    """`kamal config` for every (case, app, details?) in one kamal process (kamal_batch.rb)."""
    jobs_file, out_file = work / "jobs.json", work / "results.json"
    jobs_file.write_text(
        json.dumps(
            [{"dir": str(app), "args": case.args, "details": good} for case, app, good in jobs]
        )
    )
    env = {
        **tool_env(),
        "RUBYOPT": f"-r{BATCH_SCRIPT}",
        "DOCKYARD_KAMAL_BATCH": str(jobs_file),
        "DOCKYARD_KAMAL_BATCH_OUT": str(out_file),
    }
    done = subprocess.run(
        [str(KAMAL), "version"], cwd=work, env=env, capture_output=True, text=True, timeout=600,
        check=False,
    )  # fmt: skip
    assert out_file.exists(), f"the kamal batch did not run: {done.stderr}"
    return [KamalRun(**result) for result in json.loads(out_file.read_text())]


@dataclass(frozen=True)
class KamalRun:
    stdout: str
    stderr: str
    status: int
    details: dict[str, Any] | None = None


def run_dockyard(case: Case, app: Path) -> subprocess.CompletedProcess[str]:
    return run([sys.executable, "-m", "dockyard", "config", "--format", "kamal", *case.args], app)


class RubyObjectLoader(yaml.SafeLoader):
    """Loads Kamal's output: `!ruby/object:X` maps become plain maps."""


def _ruby_object(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    assert isinstance(node, yaml.MappingNode)
    return loader.construct_mapping(node, deep=True)


RubyObjectLoader.add_multi_constructor("!ruby/object:", _ruby_object)


def load_kamal_output(text: str) -> dict[str, Any]:
    data = yaml.load(text, Loader=RubyObjectLoader)  # a SafeLoader subclass
    assert isinstance(data, dict), text
    ssh = data.get(":ssh_options", {})
    if ":key_data" in ssh:
        # Kamal prints key_data secrets in clear; dockyard redacts them.
        ssh[":key_data"] = ["[REDACTED]" for _ in ssh[":key_data"]]
    return data


def kamal_error(stderr: str) -> tuple[str, str]:
    """(context key path or "", message) of Kamal's `ERROR (...): ...` line."""
    for line in ANSI.sub("", stderr).splitlines():
        if "ERROR (" in line:
            message = line.split("): ", 1)[1].strip()
            match = CONTEXT.match(message)
            return (match.group(1), message) if match else ("", message)
    return ("", stderr.strip())


def differ_header(path: Path) -> dict[str, str]:
    """The `# name: value` lines a deliberate-difference config starts with (kamal, dockyard,
    why and, optionally, args)."""
    header: dict[str, str] = {}
    for line in path.read_text().splitlines():
        if not line.startswith("# ") or ": " not in line:
            break
        name, value = line.removeprefix("# ").split(": ", 1)
        header[name] = value
    return header


def differ_args(path: Path) -> tuple[str, ...]:
    args = differ_header(path).get("args")
    return tuple(shlex.split(args)) if args else ("--version", "v1")


def expected_key(path: Path) -> str:
    first = path.read_text().splitlines()[0]
    assert first.startswith("# key:"), f"{path.name} must start with `# key: <path>`"
    return first.removeprefix("# key:").strip()
