"""Kamal and dockyard agree on hundreds of mutated corpus configs (a fixed seed, so reproducible).

Each mutation changes one place (every other config: two places) of an accepted config: a value
becomes a list, a map, a number, a string, true, null or empty, a key is deleted, or an unknown
key is added. Both tools must then
accept or reject alike, reject at the same key path where Kamal names one, and where both accept,
print the same `kamal config` structure and derive the same values (env, proxy, labels...). The only
mutations left out are the deliberate differences (x-dockyard, accessory-only configs; see
configs/differ).
"""

from __future__ import annotations

import copy
import os
import random
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from dockyard.config.kamal_format import kamal_config
from dockyard.errors import DockyardError
from dockyard.loading import load_config
from tests.oracle.details import normalise_kamal, our_details
from tests.oracle.kamal_oracle import (
    CONFIGS,
    SECRETS,
    Case,
    KamalRun,
    kamal_error,
    load_kamal_output,
    run_kamal_batch,
    tool_env,
)

pytestmark = pytest.mark.oracle

# A fixed seed keeps runs reproducible; set DOCKYARD_MUTATION_SEED to explore others.
SEED = int(os.environ.get("DOCKYARD_MUTATION_SEED", "20261122"))
COUNT = 400
BASES = ["everything", "roles", "tagged", "sslcerts", "jumpuser", "localreg", "quirks", "sshcmd"]
REPLACEMENTS: list[Any] = [["x"], {"k": 1}, 7, "str", True, None, [], {}, 2.5, [{"a": 1}], "25%"]
Path_ = tuple[Any, ...]
# Mutations where dockyard rejects on purpose what Kamal 2.11 accepts at load and fails on later.
KNOWN_DIFFERENCES = [
    # A proxy host that is not a string: Kamal splits it only where it needs it (SSL checks, the
    # deploy) and crashes there; dockyard says so when loading.
    re.compile(r"^\w+: \(.*'proxy', 'host'\) = (7|2\.5|True)$"),
    # A boot limit or ssh port that is no number: Kamal fails only when booting or connecting.
    re.compile(r"^\w+: \('(boot', 'limit|ssh', 'port)'\) = "),
    # With an accessory placed by tag (quirks, everything), Kamal crashes on a host whose tags
    # are not strings; dockyard reads them as text, as Kamal does when no accessory uses tags.
    re.compile(r"^(quirks|everything): \('servers'[^)]*\) = "),
    # A log option whose value is empty, a list or a map: Kamal hands docker `--log-opt key` or
    # Ruby's inspect text, which docker refuses.
    re.compile(r"^\w+: \(.*'logging', 'options', '[\w-]+'\) = (\[|\{|None)"),
    # A proxy host written as a map, or a log driver that is not a string: Kamal passes them on
    # as they are and the proxy or docker refuses them at deploy time.
    re.compile(r"^\w+: \(.*'proxy', 'hosts', \d+\) = (\{|\[)"),
    re.compile(r"^\w+: \(.*'proxy', 'hosts'\) = \[(\{|\[)"),
    # An ssh jump host that is not a string: Kamal crashes when it connects.
    re.compile(r"^\w+: \('ssh', 'proxy'\) = (7|2\.5|True)$"),
    re.compile(r"^\w+: \(.*'logging', 'driver'\) = (7|2\.5|True)$"),
    # hooks_output that is a number or true: Kamal lets it through; it means nothing.
    re.compile(r"^\w+: \('hooks_output'[^)]*\) = (7|2\.5|True)$"),
    # An accessory host written as `host: tags`: Kamal uses the whole map as the host name.
    re.compile(r"^\w+: \('accessories', '\w+', 'hosts'(, \d+)?\) = (\{|\[\{)"),
    # A server or proxy host that is no host name or IP address (`25%`): Kamal fails only when
    # it connects, or the proxy when it routes (issue #18; configs/differ/host_*.yml).
    re.compile(r"^\w+: \('servers'(, '[\w-]+')?(, 'hosts')?, \d+\) = '25%'"),
    re.compile(r"^\w+: \(.*'(host|hosts)'(, \d+)?\) = '25%'"),
    # An image or registry server that is no image reference (`25%`): Kamal fails only at the
    # build or the pull (issue #18; configs/differ/image_*.yml).
    re.compile(r"^\w+: \((.*, )?'(image|server)',?\) = '25%'"),
]


def all_paths(value: Any, path: Path_ = ()) -> Iterator[Path_]:
    yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from all_paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from all_paths(item, (*path, index))


def mutate(doc: dict[str, Any], rnd: random.Random) -> tuple[dict[str, Any], str]:
    doc = copy.deepcopy(doc)
    candidates = [p for p in all_paths(doc) if p and p[0] != "x-dockyard"]
    path = rnd.choice(candidates)
    parent = doc
    for key in path[:-1]:
        parent = parent[key]
    roll = rnd.random()
    if roll < 0.15 and isinstance(parent, dict) and path != ("servers",):
        del parent[path[-1]]
        return doc, f"delete {path}"
    if roll < 0.25 and isinstance(parent, dict):
        parent["bogus_key"] = 1
        return doc, f"unknown key beside {path}"
    replacement = rnd.choice(REPLACEMENTS)
    parent[path[-1]] = copy.deepcopy(replacement)
    return doc, f"{path} = {replacement!r}"


@pytest.fixture(scope="module")
def mutations(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, Path, KamalRun]]:
    root = tmp_path_factory.mktemp("mutations")
    rnd = random.Random(SEED)
    bases = {n: yaml.safe_load((CONFIGS / "good" / f"{n}.yml").read_text()) for n in BASES}
    made = []
    for index in range(COUNT):
        name = rnd.choice(BASES)
        doc, change = mutate(bases[name], rnd)
        if index % 2:  # every other config gets two changes: both must report the same first
            doc, second = mutate(doc, rnd)
            change = f"{change} and {second}"
        app = root / f"m{index}"
        (app / "config").mkdir(parents=True)
        (app / ".kamal").mkdir()
        (app / "config" / "deploy.yml").write_text(yaml.safe_dump(doc, sort_keys=False))
        (app / ".kamal" / "secrets").write_text(SECRETS)
        made.append((f"{name}: {change}", app))
    work = root / "batch"
    work.mkdir()
    jobs = [(Case(f"m{i}", "mutation"), app, True) for i, (_, app) in enumerate(made)]
    runs = run_kamal_batch(jobs, work)
    return [(change, app, run) for (change, app), run in zip(made, runs, strict=True)]


def is_known_difference(change: str) -> bool:
    base, _, changes = change.partition(": ")
    return any(
        known.match(f"{base}: {part}")
        for part in changes.split(" and ")
        for known in KNOWN_DIFFERENCES
    )


def output_differences(app: Path, kamal: KamalRun) -> list[str]:
    """For a config both accept: what `kamal config` prints and what Kamal derives, compared."""
    config = load_config(root=app, version="v1", env=tool_env())
    found = []
    if as_text(kamal_config(config)) != as_text(load_kamal_output(kamal.stdout)):
        found.append("`kamal config` output differs")
    details = kamal.details or {}
    if "error" not in details and as_text(our_details(config)) != as_text(normalise_kamal(details)):
        found.append("derived values differ")
    return found


def as_text(value: Any) -> Any:
    """Every scalar as the text it becomes on a command line (Kamal keeps a mutated 2.5 a number
    where we keep "2.5"; both pass 2.5 to docker)."""
    if isinstance(value, dict):
        return {str(key): as_text(item) for key, item in value.items()}
    if isinstance(value, list):
        return [as_text(item) for item in value]
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if value is None else str(value)


def test_mutated_configs_accepted_and_rejected_alike(
    mutations: list[tuple[str, Path, KamalRun]],
) -> None:
    disagreements = []
    rejected = 0
    for change, app, kamal in mutations:
        if is_known_difference(change):
            continue
        try:
            load_config(root=app, version="v1", env=tool_env())
            error: DockyardError | None = None
        except DockyardError as caught:
            error = caught
        context, message = kamal_error(kamal.stderr)
        rejected += kamal.status != 0
        if (kamal.status == 0) != (error is None):
            disagreements.append(f"{change}: kamal {message or 'accepts'} / dockyard {error}")
        elif error is not None and context and getattr(error, "key", None) != context:
            disagreements.append(f"{change}: kamal {message} / dockyard {error}")
        elif error is None:
            disagreements += [f"{change}: {d}" for d in output_differences(app, kamal)]
    assert not disagreements, "\n".join(disagreements)
    assert 0.2 * COUNT < rejected < 0.95 * COUNT  # the mutations test both verdicts
