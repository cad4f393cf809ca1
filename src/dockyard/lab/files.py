"""The text of every file a lab writes: per-host configs, the client's ssh_config and known_hosts.

Pure: each function maps a spec (or host) to file content; the I/O layer writes them.
"""

from __future__ import annotations

import json

from dockyard.lab.spec import (
    REGISTRY_HOST,
    REGISTRY_PORT,
    SPARE_REGISTRY_PORT,
    Host,
    LabSpec,
    cgroup_parent,
    gateway_ip,
    hosts,
    registry_address,
)


def host_dir(spec: LabSpec, host: Host) -> str:
    return f"{spec.lab_dir}/{host.name}"


def sshd_config(spec: LabSpec, host: Host) -> str:
    """Key login only, root by key, stream-local forwarding and SFTP on (the deploy needs both)."""
    hdir = host_dir(spec, host)
    lines = [
        "Port 22",
        f"ListenAddress {host.ip}",
        f"HostKey {hdir}/ssh_host_ed25519_key",
        "PidFile /run/sshd.pid",
        "AuthorizedKeysFile .ssh/authorized_keys",
        "PermitRootLogin prohibit-password",
        "PubkeyAuthentication yes",
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "UsePAM no",
        "StrictModes no",
        "UseDNS no",
        "PrintMotd no",
        "AllowTcpForwarding yes",
        "AllowStreamLocalForwarding yes",
        "StreamLocalBindUnlink yes",
        "MaxSessions 64",
        "MaxStartups 64:30:128",
        "Subsystem sftp internal-sftp",
    ]
    if host.engine == "podman":
        # a plain `docker` CLI in an ssh session drives the host's `podman system service`
        lines.append("SetEnv DOCKER_HOST=unix:///run/podman/podman.sock")
    return "\n".join(lines) + "\n"


def etc_hosts(spec: LabSpec, host: Host) -> str:
    """Every lab host by name, and the registry as registry.lab."""
    lines = ["127.0.0.1 localhost", f"{gateway_ip(spec.subnet)} {REGISTRY_HOST}"]
    lines += [f"{h.ip} {h.name}" for h in hosts(spec)]
    return "\n".join(lines) + "\n"


def resolv_conf() -> str:
    # Nothing listens there and there is no route out: lookups of outside names fail at once.
    return "nameserver 127.0.0.1\n"


def etc_crontab() -> str:
    """The host's /etc/crontab: Debian's header without its jobs (they would run the machine's
    cron.hourly and cron.daily scripts on every host); users' lines go to their crontabs."""
    return (
        "# /etc/crontab of a dockyard lab host: no system job (users have their crontab)\n"
        "SHELL=/bin/sh\n"
        "PATH=/usr/local/sbin:/usr/local/bin:/sbin:/bin:/usr/sbin:/usr/bin\n"
    )


def insecure_registries(spec: LabSpec) -> list[str]:
    spare = f"{gateway_ip(spec.subnet)}:{SPARE_REGISTRY_PORT}"
    return [
        f"{REGISTRY_HOST}:{REGISTRY_PORT}",
        registry_address(spec.subnet),
        f"{REGISTRY_HOST}:{SPARE_REGISTRY_PORT}",
        spare,
    ]


def daemon_json(spec: LabSpec, host: Host) -> str:
    config = {
        "hosts": ["unix:///run/docker.sock", f"unix://{host_dir(spec, host)}/docker.sock"],
        "insecure-registries": insecure_registries(spec),
        "cgroup-parent": f"/{cgroup_parent(spec.name, host.name)}",
        "log-driver": "json-file",
        "log-opts": {"max-size": "10m"},
        "pidfile": "/run/docker.pid",
    }
    return json.dumps(config, indent=2) + "\n"


def containers_conf(spec: LabSpec, host: Host) -> str:
    return (
        "[containers]\n"
        "# CAP_SYS_RESOURCE is missing on this machine kind: podman's default rlimits\n"
        "# (nofile=1048576) cannot be applied by runc, so every `podman run` would fail.\n"
        'default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]\n'
        f'cgroup_parent = "/{cgroup_parent(spec.name, host.name)}"\n'
        "[engine]\n"
        'events_logger = "file"\n'
        'cgroup_manager = "cgroupfs"\n'
    )


def registries_conf(spec: LabSpec) -> str:
    parts = ["unqualified-search-registries = []\n"]
    for location in insecure_registries(spec):
        parts.append(f'\n[[registry]]\nlocation = "{location}"\ninsecure = true\n')
    return "".join(parts)


def registry_config(spec: LabSpec) -> str:
    """docker-registry's config: storage in the lab dir, listening on the lab gateway only."""
    return (
        "version: 0.1\n"
        "log: {level: warn, accesslog: {disabled: true}}\n"
        f"storage: {{filesystem: {{rootdirectory: {spec.lab_dir}/registry/data}}, "
        "delete: {enabled: true}}\n"
        f'http: {{addr: "{registry_address(spec.subnet)}"}}\n'
    )


def ssh_config(spec: LabSpec) -> str:
    """One Host entry per lab host, by name and by address, with host-key checking on."""
    blocks = []
    for host in hosts(spec):
        blocks.append(
            f"Host {host.name} {host.ip}\n"
            f"  HostName {host.ip}\n"
            "  User root\n"
            f"  IdentityFile {spec.lab_dir}/id_ed25519\n"
            "  IdentitiesOnly yes\n"
            f"  UserKnownHostsFile {spec.lab_dir}/known_hosts\n"
            "  GlobalKnownHostsFile /dev/null\n"
            "  StrictHostKeyChecking yes\n"
            "  ConnectTimeout 5\n"
            "  LogLevel ERROR\n"
        )
    return "\n".join(blocks)


def known_hosts_line(host: Host, public_key: str) -> str:
    """`ip,name keytype key` from a host's public key file (its comment dropped)."""
    fields = public_key.split()
    if len(fields) < 2:
        raise ValueError(f"not a public key: {public_key!r}")
    return f"{host.ip},{host.name} {fields[0]} {fields[1]}\n"


def nft_guard(gateway: str, table: str) -> str:
    """The root namespace never forwards anything to or from the lab's gateway veth."""
    return (
        f"table inet {table} {{\n"
        "  chain labfwd {\n"
        "    type filter hook forward priority -10; policy accept;\n"
        f'    iifname "{gateway}" drop\n'
        f'    oifname "{gateway}" drop\n'
        "  }\n"
        "}\n"
    )


def cgroup_mounts(mountinfo: str) -> str:
    """The root namespace's cgroup mounts, as `fstype options mountpoint` lines for host-init.

    `ip netns exec` gives each host a fresh /sys with an empty /sys/fs/cgroup; engines need the
    hierarchies back, as the machine has them: v1 controllers (co-mounted ones together), the
    hybrid unified dir, or one cgroup2 tree.
    """
    lines = []
    for line in mountinfo.splitlines():
        fields = line.split()
        if " - " not in line or len(fields) < 5:
            continue
        point = fields[4]
        fstype, _source, options = line.split(" - ", 1)[1].split()[:3]
        if point != "/sys/fs/cgroup" and not point.startswith("/sys/fs/cgroup/"):
            continue
        if fstype in ("cgroup", "cgroup2", "tmpfs"):
            lines.append(f"{fstype} {options} {point}\n")
    return "".join(lines)
