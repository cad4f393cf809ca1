"""The exact text of every file a lab writes (pure)."""

import json

import pytest

from dockyard.lab import files
from dockyard.lab.spec import Host, LabSpec

LAB = LabSpec(name="tdock", subnet="10.201.0.0/24", servers=2, dir="/l")
S1 = Host("s1", "10.201.0.11", "server", "docker")
P1 = Host("s1", "10.201.0.11", "server", "podman")


def test_sshd_config_is_key_only_with_forwarding_and_sftp() -> None:
    assert files.sshd_config(LAB, S1) == (
        "Port 22\n"
        "ListenAddress 10.201.0.11\n"
        "HostKey /l/s1/ssh_host_ed25519_key\n"
        "PidFile /run/sshd.pid\n"
        "AuthorizedKeysFile .ssh/authorized_keys\n"
        "PermitRootLogin prohibit-password\n"
        "PubkeyAuthentication yes\n"
        "PasswordAuthentication no\n"
        "KbdInteractiveAuthentication no\n"
        "UsePAM no\n"
        "StrictModes no\n"
        "UseDNS no\n"
        "PrintMotd no\n"
        "AllowTcpForwarding yes\n"
        "AllowStreamLocalForwarding yes\n"
        "StreamLocalBindUnlink yes\n"
        "MaxSessions 64\n"
        "MaxStartups 64:30:128\n"
        "Subsystem sftp internal-sftp\n"
    )


def test_podman_hosts_point_the_docker_cli_at_the_podman_service() -> None:
    text = files.sshd_config(LAB, P1)
    assert text.endswith("SetEnv DOCKER_HOST=unix:///run/podman/podman.sock\n")
    assert "DOCKER_HOST" not in files.sshd_config(LAB, S1)


def test_etc_hosts_names_the_registry_and_every_lab_host() -> None:
    assert files.etc_hosts(LAB, S1) == (
        "127.0.0.1 localhost\n"
        "10.201.0.1 registry.lab\n"
        "10.201.0.10 builder\n"
        "10.201.0.11 s1\n"
        "10.201.0.12 s2\n"
    )


def test_daemon_json_trusts_the_lab_registries_and_listens_on_the_lab_side() -> None:
    assert json.loads(files.daemon_json(LAB, S1)) == {
        "hosts": ["unix:///run/docker.sock", "unix:///l/s1/docker.sock"],
        "insecure-registries": [
            "registry.lab:5000",
            "10.201.0.1:5000",
            "registry.lab:5001",
            "10.201.0.1:5001",
        ],
        "cgroup-parent": "/dy-tdock-s1",
        "log-driver": "json-file",
        "log-opts": {"max-size": "10m"},
        "pidfile": "/run/docker.pid",
    }


def test_containers_conf_sets_the_ulimits_podman_needs_here() -> None:
    text = files.containers_conf(LAB, P1)
    assert 'default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]\n' in text
    assert 'cgroup_parent = "/dy-tdock-s1"\n' in text
    assert text.endswith('[engine]\nevents_logger = "file"\ncgroup_manager = "cgroupfs"\n')


def test_registries_conf_marks_the_lab_registry_and_the_spare_port_insecure() -> None:
    assert files.registries_conf(LAB) == (
        "unqualified-search-registries = []\n"
        '\n[[registry]]\nlocation = "registry.lab:5000"\ninsecure = true\n'
        '\n[[registry]]\nlocation = "10.201.0.1:5000"\ninsecure = true\n'
        '\n[[registry]]\nlocation = "registry.lab:5001"\ninsecure = true\n'
        '\n[[registry]]\nlocation = "10.201.0.1:5001"\ninsecure = true\n'
    )


def test_registry_listens_on_the_gateway_and_stores_in_the_lab_dir() -> None:
    text = files.registry_config(LAB)
    assert 'http: {addr: "10.201.0.1:5000"}\n' in text
    assert "rootdirectory: /l/registry/data" in text


def test_ssh_config_has_an_entry_per_host_by_name_and_address_with_checking_on() -> None:
    text = files.ssh_config(LAB)
    assert text.split("\n\n")[1] == (
        "Host s1 10.201.0.11\n"
        "  HostName 10.201.0.11\n"
        "  User root\n"
        "  IdentityFile /l/id_ed25519\n"
        "  IdentitiesOnly yes\n"
        "  UserKnownHostsFile /l/known_hosts\n"
        "  GlobalKnownHostsFile /dev/null\n"
        "  StrictHostKeyChecking yes\n"
        "  ConnectTimeout 5\n"
        "  LogLevel ERROR"
    )
    assert [b.split("\n")[0] for b in text.split("\n\n")] == [
        "Host builder 10.201.0.10",
        "Host s1 10.201.0.11",
        "Host s2 10.201.0.12",
    ]


def test_known_hosts_line_names_address_and_host_and_drops_the_comment() -> None:
    line = files.known_hosts_line(S1, "ssh-ed25519 AAAAkey s1\n")
    assert line == "10.201.0.11,s1 ssh-ed25519 AAAAkey\n"
    with pytest.raises(ValueError, match="not a public key"):
        files.known_hosts_line(S1, "")


def test_nft_guard_drops_forwarding_through_the_gateway() -> None:
    assert files.nft_guard("dytdockgw", "dy_tdock_guard") == (
        "table inet dy_tdock_guard {\n"
        "  chain labfwd {\n"
        "    type filter hook forward priority -10; policy accept;\n"
        '    iifname "dytdockgw" drop\n'
        '    oifname "dytdockgw" drop\n'
        "  }\n"
        "}\n"
    )


HYBRID = """\
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
22 1 0:21 / /sys rw,nosuid - sysfs sysfs rw
"""
CO_MOUNTED_AND_V2 = """\
29 22 0:26 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid shared:10 - cgroup cgroup rw,cpu,cpuacct
30 22 0:27 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - cgroup2 cgroup2 rw,nsdelegate
"""


def test_cgroup_mounts_copy_the_machines_hierarchies_in_order() -> None:
    assert files.cgroup_mounts(HYBRID) == (
        "tmpfs rw,mode=755 /sys/fs/cgroup\n"
        "cgroup rw,cpu /sys/fs/cgroup/cpu\n"
        "cgroup rw,memory /sys/fs/cgroup/memory\n"
        "cgroup rw,name=systemd /sys/fs/cgroup/systemd\n"
        "cgroup2 rw /sys/fs/cgroup/unified\n"
    )
    assert files.cgroup_mounts(CO_MOUNTED_AND_V2) == (
        "cgroup rw,cpu,cpuacct /sys/fs/cgroup/cpu,cpuacct\ncgroup2 rw,nsdelegate /sys/fs/cgroup\n"
    )


def test_a_hosts_etc_crontab_has_no_system_job() -> None:
    """The machine's /etc/crontab would run its cron.hourly and cron.daily scripts on every
    lab host; a host's own has the header only (users' lines are in their crontabs)."""
    text = files.etc_crontab()
    assert text.splitlines()[1:] == [
        "SHELL=/bin/sh",
        "PATH=/usr/local/sbin:/usr/local/bin:/sbin:/bin:/usr/sbin:/usr/bin",
    ]
    assert "run-parts" not in text and text.startswith("#")
