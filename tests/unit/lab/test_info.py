"""LabInfo round-trips through lab.json and answers questions about the lab."""

from pathlib import Path

import pytest

from dockyard.errors import LabError
from dockyard.lab.info import HostInfo, LabInfo


def sample(lab_dir: str) -> LabInfo:
    hosts = (
        HostInfo("builder", "10.201.0.10", "builder", "docker", f"{lab_dir}/builder/docker.sock",
                 "dy-tdock-builder", {"init": 11}),
        HostInfo("s1", "10.201.0.11", "server", "docker", f"{lab_dir}/s1/docker.sock",
                 "dy-tdock-s1", {"init": 12}),
    )  # fmt: skip
    return LabInfo("tdock", "10.201.0.0/24", "docker", lab_dir, "10.201.0.1:5000",
                   "registry.lab:5000", hosts, {"demo:v1": "registry.lab:5000/demo:v1"},
                   {"registry": 10})  # fmt: skip


def test_round_trip_through_lab_json(tmp_path: Path) -> None:
    info = sample(str(tmp_path))
    info.save()
    assert LabInfo.load(str(tmp_path)) == info
    assert info.ssh_config == f"{tmp_path}/ssh_config"
    assert info.known_hosts == f"{tmp_path}/known_hosts"
    assert info.key == f"{tmp_path}/id_ed25519"
    assert [h.name for h in info.servers] == ["s1"]
    assert info.builder.ip == "10.201.0.10"
    assert info.host("10.201.0.11").name == "s1"


def test_unknown_host_names_the_known_ones(tmp_path: Path) -> None:
    with pytest.raises(LabError, match="has no host 's9'; its hosts are builder, s1"):
        sample(str(tmp_path)).host("s9")


def test_missing_or_broken_lab_json_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(LabError, match="run: dockyard lab up"):
        LabInfo.load(str(tmp_path))
    (tmp_path / "lab.json").write_text("{}")
    with pytest.raises(LabError, match="not a lab description"):
        LabInfo.load(str(tmp_path))
