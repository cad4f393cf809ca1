"""The lab's names and addresses, derived from a LabSpec (pure)."""

import pytest

from dockyard.errors import LabError
from dockyard.lab import spec
from dockyard.lab.spec import Host, LabSpec


def test_hosts_are_builder_then_servers_with_addresses_in_the_subnet() -> None:
    found = spec.hosts(LabSpec(name="tdock", subnet="10.201.0.0/24", servers=3, engine="podman"))
    assert found == [
        Host("builder", "10.201.0.10", "builder", "docker"),
        Host("s1", "10.201.0.11", "server", "podman"),
        Host("s2", "10.201.0.12", "server", "podman"),
        Host("s3", "10.201.0.13", "server", "podman"),
    ]


def test_kernel_object_names_carry_the_lab_name() -> None:
    assert spec.netns("tdock", "s1") == "dy-tdock-s1"
    assert spec.switch_netns("tdock") == "dy-tdock-sw"
    assert spec.netns_prefix("tdock") == "dy-tdock-"
    assert spec.gateway_veth("tdock") == "dytdockgw"
    assert spec.nft_table("tdock") == "dy_tdock_guard"
    assert spec.cgroup_parent("tdock", "s2") == "dy-tdock-s2"
    assert spec.switch_port("builder") == "v-builder"


def test_a_long_name_is_shortened_with_a_hash_so_interface_names_fit() -> None:
    long_a, long_b = "averyveryverylongname", "averyveryverylongnamf"
    assert spec.tag("dockyard") == "dockyard"
    assert len(spec.tag(long_a)) == 8
    assert spec.tag(long_a) != spec.tag(long_b)
    assert spec.tag(long_a) == spec.tag(long_a)
    assert spec.tag(long_a).startswith("ave")
    assert len(spec.gateway_veth(long_a)) <= 15
    assert spec.tag("my-lab") != "my-lab"  # a dash would make netns prefixes ambiguous
    assert "-" not in spec.tag("my-lab")


def test_gateway_registry_and_sockets() -> None:
    assert spec.gateway_ip("10.202.0.0/24") == "10.202.0.1"
    assert spec.registry_address("10.202.0.0/24") == "10.202.0.1:5000"
    host = Host("s1", "10.202.0.11", "server", "podman")
    assert spec.engine_socket("/var/lib/dockyard-lab/tpod", host) == (
        "/var/lib/dockyard-lab/tpod/s1/podman.sock"
    )
    builder = Host("builder", "10.202.0.10", "builder", "docker")
    assert spec.engine_socket("/l", builder) == "/l/builder/docker.sock"


def test_default_dir_is_under_var_lib_dockyard_lab() -> None:
    assert LabSpec(name="hlab").lab_dir == "/var/lib/dockyard-lab/hlab"
    assert LabSpec(name="hlab", dir="/srv/lab").lab_dir == "/srv/lab"


@pytest.mark.parametrize(
    ("subnet", "message"),
    [
        ("10.203.0.0/33", "is not a network"),
        ("nonsense", "is not a network"),
        ("10.203.0.5/24", "is not a network"),
        ("fd00::/64", "needs an IPv4 network"),
        ("8.8.8.0/24", "is not a private range"),
        ("127.0.0.0/24", "is not a private range"),
        ("10.203.0.0/28", "is too small"),
    ],
)
def test_bad_subnets_are_refused_with_one_line(subnet: str, message: str) -> None:
    with pytest.raises(LabError, match=message) as caught:
        spec.validate(LabSpec(name="tbad", subnet=subnet))
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("name", ["", "Caps", "1lab", "a b", "x" * 33, "semi;colon"])
def test_bad_names_are_refused(name: str) -> None:
    with pytest.raises(LabError, match="lab name"):
        spec.validate(LabSpec(name=name))


@pytest.mark.parametrize(
    "lab_dir",
    ["/tmp/lab", "/root/lab", "/run/lab", "/home/x/lab", "/var/lib/docker/lab", "/var/lib/dockyard",
     "/var/lib/dockyard/x", "relative/lab", "/var/lib/dockyard-lab/../../../tmp/x"],
)  # fmt: skip
def test_lab_dirs_that_hosts_mount_over_are_refused(lab_dir: str) -> None:
    with pytest.raises(LabError, match="lab dir"):
        spec.validate(LabSpec(name="tbad", dir=lab_dir))


def test_a_dir_whose_name_only_starts_like_a_private_one_is_fine() -> None:
    spec.validate(LabSpec(name="tbad", dir="/var/lib/dockyard-lab/tbad"))
    spec.validate(LabSpec(name="tbad", dir="/srv/tmp/lab"))


@pytest.mark.parametrize(("servers", "ok"), [(0, False), (1, True), (50, True), (51, False)])
def test_server_count_is_bounded(servers: int, ok: bool) -> None:
    lab = LabSpec(name="tbad", servers=servers)
    if ok:
        spec.validate(lab)
    else:
        with pytest.raises(LabError, match="--servers"):
            spec.validate(lab)


def test_unknown_engine_is_refused() -> None:
    with pytest.raises(LabError, match="use --engine docker or podman"):
        spec.validate(LabSpec(name="tbad", engine="lxc"))  # type: ignore[arg-type]
