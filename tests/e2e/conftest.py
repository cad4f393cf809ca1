"""The lab for end-to-end tests: `lab_factory(name, subnet, servers, engine[, images])` brings
one up (images: build and push the test images, the default).

Session-scoped: a lab asked for twice (same name and shape) is made once; every lab it made is
taken down at the end of the session, and a leftover from a crashed run is taken down first.
Tests skip, with the reason, where a lab cannot run (not Linux, not root, no netns, a package
missing).

Every lab's name and subnet come from the table in `tests/e2e/labs.py` (`name_and_subnet(key)`),
shifted per pytest-xdist worker and by `DOCKYARD_TEST_LABS=N` (0-7) for a second checkout on the
same machine; add a new lab there, with its group. Every test under tests/e2e is marked `e2e`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import cast

import pytest

from dockyard import lab as labs
from dockyard.lab.down import recorded_hosts_alive
from dockyard.lab.spec import Engine

from .labs import lab_unavailable, longest_group_first

__all__ = ["LabFactory", "lab_unavailable"]

LabFactory = Callable[..., labs.LabInfo]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test under tests/e2e `e2e` (so `make unit` never brings up a lab)."""
    here = Path(__file__).parent
    for item in items:
        if item.path.is_relative_to(here):
            item.add_marker(pytest.mark.e2e)


class _LongestGroupFirst:
    """After pytest's own ordering, its `-m` selection and the markers above: the e2e groups
    longest first, then the other tests (labs.GROUP_SECONDS). A plugin of its own, as one hook
    must run first (the markers, before `-m` selects) and this one last. Not a conftest above
    tests/unit: none may be there (tests/unit/commands/test_builder_coverage.py)."""

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        longest_group_first(items)


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(_LongestGroupFirst(), "dockyard-longest-group-first")


def pytest_collection_finish(session: pytest.Session) -> None:
    """Under `--dist loadgroup`, pytest-xdist puts a test in its group by appending `@group` to
    its node id. Where that did not take (a pytest it does not support), the tests that share a
    lab would be spread over the workers: stop instead."""
    if not getattr(session.config.option, "loadgroup", False):
        return
    for item in session.items:
        if item.get_closest_marker("xdist_group") and "@" not in item.nodeid:
            raise pytest.UsageError(
                f"pytest-xdist did not group {item.nodeid}: this pytest and pytest-xdist do not "
                "work together for --dist loadgroup (see pyproject.toml)"
            )


@pytest.fixture(scope="session")
def lab_factory() -> Iterator[LabFactory]:
    made: dict[str, tuple[labs.LabSpec, labs.LabInfo]] = {}

    def make(
        name: str, subnet: str, servers: int = 3, engine: str = "docker", images: bool = True
    ) -> labs.LabInfo:
        reason = lab_unavailable(engine)
        if reason:
            pytest.skip(reason)
        spec = labs.LabSpec(name=name, subnet=subnet, servers=servers, engine=cast(Engine, engine))
        known = made.get(name)
        reusable = known and known[0] == spec and (known[1].images or not images)
        if known and reusable and recorded_hosts_alive(spec.lab_dir):
            return known[1]
        labs.down(name)  # a leftover of a crashed run, or a lab of another shape
        made.pop(name, None)
        info = labs.up(spec, build_images=images)
        made[name] = (spec, info)
        return info

    try:
        yield make
    finally:
        for name in made:
            labs.down(name)


@pytest.fixture
def docker_only(lab: labs.LabInfo) -> None:
    """Tests that add little on a second engine for their time: slow ones (the backup
    schedule's minutes, the full disk) and those with no engine-specific step (hooks, locks,
    a config refused before any server is asked; the package's lab fixture gives `lab`)."""
    if lab.engine != "docker":
        pytest.skip("runs on Docker only (slow, or no engine-specific step)")
