"""Which hosts a command runs on, from the config and Kamal's -h/-r/-p filters (pure).

check_selection(config, selection)    -r and -h each match something of the config (Kamal's)
app_hosts(config, selection)          the app's hosts (-p: the primary one)
selected_app_hosts(config, selection) the same, refusing a selection that leaves none
server_hosts(config, selection)       every host, accessories' too (`server …`)
proxy_hosts(config, selection)        the hosts whose roles use the proxy
app_roles_on_hosts(config, selection) (host, role) pairs, as Kamal's on_roles runs them
follow_target(config, selection)      the (host, role) `logs -f` follows
accessory_hosts(accessory, selection) an accessory's hosts (-h narrows them)
"""

from __future__ import annotations

from collections.abc import Sequence

from dockyard.config.objects import Config
from dockyard.config.settings import Accessory
from dockyard.errors import DockyardError, UsageError
from dockyard.plan.from_config import Selection

SHOWN = 8  # names listed in an error about a selection, at most


def check_selection(config: Config, selection: Selection) -> None:
    """Kamal's rule: --roles and --hosts must each match something the config has, so that a
    typo is an error and not "nothing found"."""
    roles = [r.name for r in config.roles]
    if selection.roles and not any(selection.role_ok(role) for role in roles):
        raise UsageError(
            f"no role matches --roles {','.join(selection.roles)}; the roles are {_few(roles)}"
        )
    hosts = config.all_hosts
    if selection.hosts and not any(selection.host_ok(host) for host in hosts):
        raise UsageError(
            f"no host matches --hosts {','.join(selection.hosts)}; the hosts are {_few(hosts)}"
        )


def _few(names: Sequence[str]) -> str:
    more = f" and {len(names) - SHOWN} more" if len(names) > SHOWN else ""
    return ", ".join(names[:SHOWN]) + more


def selected_app_hosts(config: Config, selection: Selection) -> list[str]:
    """app_hosts, refusing a selection that leaves none: a read of no host is no answer."""
    hosts = app_hosts(config, selection)
    if not hosts:
        raise UsageError(
            f"no host of the app matches {selection.describe()}; the app's hosts are "
            f"{_few(config.app_hosts)}"
        )
    return hosts


def app_hosts(config: Config, selection: Selection) -> list[str]:
    """The app hosts that -h/-r select; with -p only the primary host (Kamal's)."""
    if selection.primary and config.primary_host:
        return [config.primary_host]
    roles = [r for r in config.roles if selection.role_ok(r.name)]
    hosts = [h for r in roles for h in r.host_names]
    return [h for h in dict.fromkeys(hosts) if selection.host_ok(h)]


def server_hosts(config: Config, selection: Selection) -> list[str]:
    """Every host of the config (accessories too); -r narrows to roles, -h to hosts."""
    roles = [r.name for r in config.roles if selection.role_ok(r.name)]
    hosts = config.hosts_for_roles(roles) if selection.roles else config.all_hosts
    chosen = [h for h in hosts if selection.host_ok(h)]
    if not chosen:
        raise UsageError("no host matches the given --hosts/--roles; nothing to do")
    return chosen


def proxy_hosts(config: Config, selection: Selection) -> list[str]:
    if not config.proxy_hosts:
        raise DockyardError("the config has no proxy host: no role of it uses the proxy")
    hosts = [h for h in config.proxy_hosts if selection.host_ok(h)]
    if not hosts:
        raise UsageError(
            f"no proxy host matches {selection.describe()}; the proxy runs on "
            f"{_few(config.proxy_hosts)}"
        )
    return hosts


def accessory_hosts(accessory: Accessory, selection: Selection) -> list[str]:
    """The accessory's hosts that -h selects (all of them without -h)."""
    return [h for h in accessory.hosts if selection.host_ok(h)]


def first_accessory_host(accessory: Accessory, selection: Selection) -> str:
    """The host an interactive command (`exec -i`, `logs -f`) runs on: the accessory's first
    selected host. UsageError when -h selects none of its hosts."""
    hosts = accessory_hosts(accessory, selection)
    if not hosts:
        raise UsageError(
            f"accessory {accessory.name} runs on {', '.join(accessory.hosts)}, none of the "
            "selected hosts (--hosts): select one of its hosts, or leave out --hosts"
        )
    return hosts[0]


def app_roles_on_hosts(config: Config, selection: Selection) -> list[tuple[str, str]]:
    """(host, role) for each selected role on each of its selected hosts, host by host, roles
    in the config's order (Kamal's on_roles): a host with none of the selected roles has none.
    Raises UsageError when nothing matches."""
    pairs = [
        (host, role.name)
        for host in selected_app_hosts(config, selection)
        for role in config.roles
        if selection.role_ok(role.name) and host in role.host_names
    ]
    if not pairs:
        raise UsageError("no selected role runs on the selected hosts (--hosts/--roles)")
    return pairs


def follow_target(config: Config, selection: Selection) -> tuple[str, str]:
    """The (host, role) that `logs -f` follows: the first selected pair, of the primary role
    unless -r names roles (Kamal's: the primary host, or the first -h host)."""
    pairs = app_roles_on_hosts(config, selection)
    if not selection.roles:
        pairs = [p for p in pairs if p[1] == config.primary_role_name] or pairs
    return pairs[0]
