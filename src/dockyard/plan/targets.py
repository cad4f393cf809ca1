"""Which hosts a command runs on, from the config and Kamal's -h/-r/-p filters (pure).

app_hosts(config, selection)          the app's hosts (-p: the primary one)
server_hosts(config, selection)       every host, accessories' too (`server …`)
proxy_hosts(config, selection)        the hosts whose roles use the proxy
accessory_hosts(accessory, selection) an accessory's hosts (-h narrows them)
"""

from __future__ import annotations

from dockyard.config.objects import Config
from dockyard.config.settings import Accessory
from dockyard.errors import DockyardError, UsageError
from dockyard.plan.from_config import Selection


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
    hosts = [h for h in config.proxy_hosts if selection.host_ok(h)]
    if not hosts:
        raise DockyardError("no proxy host is selected (no role of the config uses the proxy)")
    return hosts


def accessory_hosts(accessory: Accessory, selection: Selection) -> list[str]:
    """The accessory's hosts that -h selects (all of them without -h)."""
    return [h for h in accessory.hosts if selection.host_ok(h)]
