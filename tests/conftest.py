"""Hooks for the whole test session."""

from __future__ import annotations

import pytest

from tests.e2e.labs import longest_group_first


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """After pytest's own ordering and tests/e2e's markers: the e2e groups longest first, then
    the other tests, so that pytest-xdist starts the longest groups first (labs.GROUP_SECONDS)."""
    longest_group_first(items)
