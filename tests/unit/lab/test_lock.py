"""One up/down per lab at a time."""

from pathlib import Path

import pytest

from dockyard.errors import LabError
from dockyard.lab.lock import lab_lock


def test_a_second_holder_is_refused_until_the_first_lets_go(tmp_path: Path) -> None:
    lab_dir = str(tmp_path / "lab")
    refused = pytest.raises(LabError, match="another dockyard is bringing lab tlock up or down")
    with lab_lock(lab_dir, "tlock"), refused, lab_lock(lab_dir, "tlock"):
        pass
    with lab_lock(lab_dir, "tlock"):
        pass
