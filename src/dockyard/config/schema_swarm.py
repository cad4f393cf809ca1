"""Schema of `x-dockyard: swarm:` (see schema.py for the kinds).

config/swarm.py checks the per-role settings with its own rules (known role names, bounds), but
takes every key name and default from here, and `dockyard docs x-dockyard` shows exactly these.
"""

from __future__ import annotations

Spec = tuple[str, ...]

X_SWARM: dict[str, Spec] = {
    "network": ("string", "The attachable overlay network the app's services and the proxy "
                "join.", "<service>-swarm"),
    "monitor": ("integer", "Seconds Swarm watches each updated task before it counts the "
                "update as done (a task failing in that time rolls the update back).", "5"),
    "roles": ("swarm_roles", "Settings per role, by role name (see x-dockyard/swarm/roles/"
              "<role> below).", "", "x_swarm_role"),
}  # fmt: skip
X_SWARM_ROLE: dict[str, Spec] = {
    "replicas": ("integer", "How many tasks of the role run (0 or more).",
                 "the number of the role's hosts"),
    "placement": ("list", "Swarm placement constraints, e.g. node.labels.zone==a.", ""),
    "parallelism": ("integer", "Tasks updated at once in a rolling update (1 or more).", "1"),
}  # fmt: skip

SWARM_SECTIONS: dict[str, dict[str, Spec]] = {"x_swarm": X_SWARM, "x_swarm_role": X_SWARM_ROLE}
