"""Every command builder has an exact-render test (the rules: exact_renders.py).

The check reads the tests rather than running them, so it holds whichever tests are selected;
the tests below show what it counts and what it does not.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from dockyard.commands import accessory, app, backup, base, caddy_config, envfile, registry
from tests.unit.commands.exact_renders import (
    TESTS,
    builder_name,
    builders,
    conftest_files,
    coverage_problems,
    engine_dependent,
    enumeration_problems,
    exact_renders_in,
)


def test_every_builder_has_an_exact_render_test() -> None:
    problems = coverage_problems()
    if problems:
        pytest.fail(
            f"{len(problems)} command builder(s) without an exact-render test:\n"
            + "\n".join(problems),
            pytrace=False,
        )


def test_every_function_that_returns_a_command_is_a_builder_the_check_sees() -> None:
    assert enumeration_problems() == []


def test_no_conftest_can_patch_what_the_builders_tests_render() -> None:
    assert conftest_files() == []


def test_builders_are_told_from_helpers_by_their_return_annotation() -> None:
    found = builders()
    assert len(found) > 100
    for builder in (app.run, app.audit, backup.list_backups, base.write_stdin):
        assert builder in found  # Cmd, Seq, Raw
    assert accessory.directory_mode_owner in found  # Seq | None
    helpers = (app.label_filters, accessory.volume_args, base.repeat, envfile.env_file,
               envfile.optionize, app.audit_log, caddy_config.caddy_config,
               registry.local_registry_config, backup.script_env, backup.host_path)  # fmt: skip
    for helper in helpers:
        assert helper not in found  # argv fragments, paths, file contents, env, Caddy JSON


def test_the_engine_rule_follows_calls() -> None:
    dependent = {builder_name(b) for b in builders() if engine_dependent(b)}
    assert dependent == {
        "commands.prune.containers",  # reads engine.stopped_states and the times template
        "commands.build.probe",
        "commands.build.push",
        "commands.image_transfer.inspect_source",
        "commands.logs.current_logs",  # reads engine.active_states
        "commands.registry.pull_local_checked",
        "commands.server.install_engine",  # reads engine.debian_package
    }


# --- what counts as an exact-render test, and what does not ------------------------------------
HEADER = """\
import pytest
from dockyard.commands import app
from dockyard.commands.app import start
from dockyard.engine import DOCKER, PODMAN
"""


def counted(tmp_path: Path, body: str) -> list[str]:
    """The builders an exact-render check finds in a test file made of HEADER and `body`."""
    path = tmp_path / "test_sample.py"
    path.write_text(HEADER + textwrap.dedent(body))
    return [f"{builder_name(r.builder)}:{r.where}" for r in exact_renders_in(path, builders())]


@pytest.mark.parametrize(
    "body",
    [
        'def test_a():\n    assert app.start(DOCKER, "x").render() == "docker start x"\n',
        'def test_a():\n    assert "docker start x" == start(DOCKER, "x").render()\n',
        'def test_a():\n    c = app.start(DOCKER, "x")\n'
        '    assert c.render() == "docker start x"\n',
        'def test_a():\n    r = start(DOCKER, "x").render(redact=True)\n    assert r == "d"\n',
    ],
    ids=["direct", "reversed", "through-a-command", "through-a-rendering"],
)
def test_an_exact_render_counts(tmp_path: Path, body: str) -> None:
    assert [c.split(":")[0] for c in counted(tmp_path, body)] == ["commands.app.start"]


@pytest.mark.parametrize(
    "body",
    [
        # a mention, or a check that is not the whole string
        'def test_a():\n    app.start(DOCKER, "x").render()\n',
        'def test_a():\n    assert "start" in app.start(DOCKER, "x").render()\n',
        'def test_a():\n    assert app.start(DOCKER, "x").render().startswith("docker")\n',
        'def test_a():\n    assert app.start(DOCKER, "x").render() != "nothing"\n',
        'def test_a():\n    assert app.start(DOCKER, "x").argv[0] == "docker"\n',
        # an expected value that is not a literal: it could come from the builder itself
        'def test_a():\n    c = start(DOCKER, "x")\n    assert c.render() == c.render()\n',
        'def test_a():\n    c = start(DOCKER, "x")\n    assert c.render() == f"{c.render()}"\n',
        'def test_a():\n    e = start(DOCKER, "x").render()\n'
        '    assert start(DOCKER, "x").render() == e\n',
        # an assert that may not run
        'def test_a():\n    for _ in []:\n        assert start(DOCKER, "x").render() == "x"\n',
        'def test_a():\n    if False:\n        assert start(DOCKER, "x").render() == "x"\n',
        'def test_a():\n    return\n    assert start(DOCKER, "x").render() == "x"\n',
        'def test_a():\n    pytest.skip("later")\n    assert start(DOCKER, "x").render() == "x"\n',
        '@pytest.mark.skip\ndef test_a():\n    assert start(DOCKER, "x").render() == "x"\n',
        'def test_a(fixture):\n    assert start(DOCKER, "x").render() == "x"\n',
        'def check():\n    assert start(DOCKER, "x").render() == "x"\n',
        'def test_a():\n    assert start(DOCKER, "x").render() == "x"\ndef test_a():\n    pass\n',
        'pytestmark = pytest.mark.skip\n'
        'def test_a():\n    assert start(DOCKER, "x").render() == "x"\n',
        # a name bound again where the check cannot follow it
        'def test_a():\n    r = start(DOCKER, "x").render()\n    if True:\n        r = "x"\n'
        '    assert r == "x"\n',
        # a builder or the rendering replaced
        'app.start = lambda *a: None\n'
        'def test_a():\n    assert app.start(DOCKER, "x").render() == "x"\n',
        'def test_a():\n    pytest.MonkeyPatch().setattr(app, "start", len)\n'
        '    assert app.start(DOCKER, "x").render() == "x"\n',
    ],
    ids=[
        "mention", "in", "startswith", "not-equal", "argv", "itself", "f-string-of-itself",
        "a-variable", "in-a-loop", "in-a-branch", "after-return", "after-skip", "decorated",
        "with-a-fixture", "not-a-test", "shadowed", "pytestmark", "rebound", "patched-builder",
        "monkeypatch",
    ],
)  # fmt: skip
def test_what_does_not_count(tmp_path: Path, body: str) -> None:
    assert counted(tmp_path, body) == []


def test_an_engine_is_seen_by_name(tmp_path: Path) -> None:
    path = tmp_path / "test_sample.py"
    path.write_text(HEADER + 'def test_a():\n    assert start(PODMAN, "x").render() == "p"\n')
    [render] = exact_renders_in(path, builders())
    assert (render.engines, render.expected, render.where) == (
        frozenset({"podman"}),
        "p",
        "test_sample.py:6",
    )


def test_a_builder_without_a_test_is_named(tmp_path: Path) -> None:
    path = tmp_path / "test_sample.py"
    path.write_text(HEADER + 'def test_a():\n    assert start(DOCKER, "x").render() == "d"\n')
    problems = coverage_problems([path])
    assert not [p for p in problems if p.startswith("commands.app.start:")]
    assert (
        "commands.app.stop: no exact-render test (assert stop(...).render() == '...' in a test "
        "under tests/unit/commands/)"
    ) in problems
    assert (
        "commands.app.tag: no exact-render test (assert tag(...).render() == '...' in a test "
        "under tests/unit/commands/)"
    ) in problems


def test_an_engine_dependent_builder_needs_both_engines(tmp_path: Path) -> None:
    path = tmp_path / "test_sample.py"
    sample = "from dockyard.commands import prune\ndef test_a():\n    assert prune.containers("
    path.write_text(HEADER + sample + 'DOCKER, "s", None, 1).render() == "d"\n')
    assert (
        "commands.prune.containers: its output depends on the engine, and no exact render "
        "with PODMAN"
    ) in coverage_problems([path])


def test_the_check_reads_this_directory() -> None:
    assert Path(__file__).resolve().parent == TESTS
