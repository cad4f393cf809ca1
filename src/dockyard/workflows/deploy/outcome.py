"""Where a deploy leaves each role on each host, recorded as it goes: what a failed deploy's
summary says (the new version switched in, the one before kept, or unknown).

    ledger = Ledger(plan)
    ledger.booted(booted)                       # a role that took over on its host
    ledger.failed(host, role, error)            # a role whose boot failed
    ledger.host_failed(host, error)             # the host's other roles, if it went silent
    raise DeployFailed(error, ledger.rows())    # every role of the plan, in plan order

A role never booted (a later boot group, a role after a failed one on the same host, a worker
whose primary role failed) kept the version that served before; a role on a host that stopped
answering is unknown unless it took over before.
"""

from __future__ import annotations

from dockyard.errors import HostUnreachable, RoleLeft
from dockyard.plan.deploy import DeployPlan
from dockyard.workflows.deploy.boot import Booted, RoleStepFailed

SWITCHED, KEPT, UNKNOWN = "switched", "kept", "unknown"


class Ledger:
    def __init__(self, plan: DeployPlan) -> None:
        self._names = {
            (h.host, boot.role): boot.container.name
            for group in plan.groups
            for h in group
            for boot in h.roles
        }
        self._left: dict[tuple[str, str], RoleLeft] = {}
        self.began = False  # booting began: from here, a failure says where each role is

    def booted(self, booted: Booted) -> None:
        self._set(booted.host, booted.role, SWITCHED)

    def failed(self, host: str, role: str, error: BaseException) -> None:
        if went_silent(error):
            self._set(host, role, UNKNOWN, "the host stopped answering")
        elif isinstance(error, RoleStepFailed):
            self._set(host, role, error.left)
        else:
            self._set(host, role, KEPT)

    def host_failed(self, host: str, error: BaseException) -> None:
        """The roles of a host that stopped answering, and had not taken over, are unknown."""
        if not went_silent(error):
            return
        for each_host, role in self._names:
            if each_host == host and (host, role) not in self._left:
                self._set(host, role, UNKNOWN, "the host stopped answering")

    def rows(self) -> tuple[RoleLeft, ...]:
        return tuple(
            self._left.get((host, role)) or _row(host, role, KEPT, name)
            for (host, role), name in self._names.items()
        )

    def _set(self, host: str, role: str, state: str, why: str = "") -> None:
        name = self._names.get((host, role), f"the new {role}")
        self._left[(host, role)] = _row(host, role, state, name, why)


def _row(host: str, role: str, state: str, name: str, why: str = "") -> RoleLeft:
    if state == SWITCHED:
        summary = f"switched to {name}"
    elif state == KEPT:
        summary = "kept the version that served before"
    else:
        summary = f"unknown ({why or f'the switch to {name} did not finish: either may serve'})"
    return RoleLeft(host, role, state, summary)


def went_silent(error: BaseException | None) -> bool:
    """The error, or one it stands for (its cause), is a host that stopped answering."""
    while error is not None:
        if isinstance(error, HostUnreachable):
            return True
        error = error.__cause__
    return False
