from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.secrets.vendor import Vendor


@pytest.fixture
def vendor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Vendor:
    stand_in = Vendor(tmp_path / "vendor-bin")
    monkeypatch.setenv("PATH", stand_in.path())
    return stand_in
