"""How a deploy (or rollback, or app boot) must end when one of its steps fails.

    check = DeployRules(fleet, steps).check              # a faults.Check
    assert await each_step_failing(fleet.make, run, check, steps) == []

The rules, read from what ran on the scripted servers:
- the lock: released on the primary host after it was taken, and never released by a run
  that did not take it (that would free another deploy's lock);
- the serving version keeps serving: a route's live slot is switched on a host only after the
  new container there answered its health check, and an old container is stopped only on a
  host where its role's new container took over (switched, or for a role without the proxy,
  found running twice, readiness_delay apart);
- the error: one line, naming the host of the failed step, its role (for a step of one role's
  boot), and the cause: the injected stderr line, "connection lost", the deadline passed, or
  (a host gone silent) "stopped answering", said once;
- where it left each role (DeployFailed.left, once booting began): "switched" only where the
  role's live slot was switched on that host (roles with the proxy), "unknown" only on a host
  that went silent or whose switch failed or was followed by a failure, never "kept" on a host
  that went silent.
A step the fault failed did not happen (a silent host fails every later step too): the lock
is then left on a primary host that went silent, and the error must say how to release it.
A run may succeed only where a step is polled, so that one failure is followed by an answer
(`may_succeed` says why, per step).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from dockyard.commands import app as app_commands
from dockyard.errors import DeployFailed, DockyardError
from dockyard.ssh.fake import Call, FakeTransport
from tests.unit.workflows.faults import Failure, one_line
from tests.unit.workflows.fleet import Fleet, ScriptedServers, container_id, container_ip

# What a step that never answers says when it ends, per kind of step: a command at its
# deadline; a health probe or an admin API request at theirs.
HANG_CAUSES = ("did not finish within", "no answer within", "did not answer")


@dataclass(frozen=True)
class DeployRules:
    fleet: Fleet
    steps: Sequence[Call]  # the happy path
    old_version: str | None = None  # the version serving before (default: fleet.serving)

    @property
    def lock(self) -> str:
        return f'"$HOME/.dockyard/lock-{self.fleet.plan.service}"'

    def check(self, failure: Failure, fake: FakeTransport, error: BaseException | None) -> str:
        assert isinstance(fake, ScriptedServers)
        for rule in (self._lock_released, self._serving_kept, self._old_stopped_after_takeover):
            wrong = rule(failure, fake, error)
            if wrong:
                return wrong
        return self._ended_right(failure, error) or self._left_right(failure, fake, error)

    # the lock

    def _lock_released(
        self, failure: Failure, fake: ScriptedServers, error: BaseException | None
    ) -> str:
        primary = self.fleet.plan.primary_host
        ran = [
            (i, c)
            for i, c in enumerate(fake.calls)
            if c.host == primary and c.kind == "run" and not failure.fails(i, c)
        ]
        taken = [i for i, c in ran if f"mkdir {self.lock}" in c.text]
        released = [i for i, c in ran if f"rm -r {self.lock}" in c.text]
        if not taken:
            return "it released a lock it had not taken" if released else ""
        if not any(i > taken[-1] for i in released):
            if failure.fault == "silent" and failure.call.host == primary:
                line = one_line(error)
                said = "could not be released" in line and "dockyard lock release" in line
                return "" if said else "the lock left on the silent primary host is not said"
            return "the deploy lock was not released"
        return ""

    # the serving version

    def _role_of_route(self, route: str) -> str:
        boots = [b for h in self.fleet.host_boots for b in h.roles]
        return next(b.role for b in boots if b.route is not None and b.route.name == route)

    def _switches(self, fake: FakeTransport, failure: Failure) -> list[tuple[int, str, str]]:
        """(step, host, role) of every live-slot switch that ran (the fault did not fail it)."""
        found = []
        for index, call in enumerate(fake.calls):
            if failure.fails(index, call):
                continue
            for route in self.fleet.route_names:
                flag = f'"$HOME/.dockyard/proxy/live/{route}.b"'
                if f"touch {flag}" in call.text or f"rm -f {flag}" in call.text:
                    found.append((index, call.host, self._role_of_route(route)))
        return found

    def _serving_kept(
        self, failure: Failure, fake: ScriptedServers, error: BaseException | None
    ) -> str:
        version = self.fleet.plan.version
        for index, host, role in self._switches(fake, failure):
            address = container_ip(role, version, host)
            passed = [p for p in fake.apps.healthy if (p.host, p.address) == (host, address)]
            if not any(p.step <= index for p in passed):
                return f"{host}: {role} was switched before its new container passed its check"
        return ""

    def _old_stopped_after_takeover(
        self, failure: Failure, fake: ScriptedServers, error: BaseException | None
    ) -> str:
        old = self.old_version or self.fleet.serving
        if old is None:
            return ""
        switches = self._switches(fake, failure)
        for index, call in enumerate(fake.calls):
            if call.kind != "run" or " stop " not in f" {call.text}" or failure.fails(index, call):
                continue
            for role in self.fleet.roles_on(call.host):
                if container_id(role, old, call.host) not in call.text.split():
                    continue
                if not self._took_over(fake, switches, call.host, role, index):
                    return f"{call.host}: the old {role} was stopped before the new took over"
        return ""

    def _took_over(
        self,
        fake: ScriptedServers,
        switches: list[tuple[int, str, str]],
        host: str,
        role: str,
        before: int,
    ) -> bool:
        if role in {self._role_of_route(r) for r in self.fleet.route_names}:
            return any(i < before and (h, r) == (host, role) for i, h, r in switches)
        name = f"{self.fleet.plan.service}-{role}-{self.fleet.plan.version}"
        reads = [r for r in fake.running_reads if (r.host, r.name) == (host, name)]
        return len([r for r in reads if r.step < before]) >= 2

    # the error

    def role_of(self, call: Call) -> str | None:
        """The role a step belongs to, or None for a step of the whole host."""
        service, version = self.fleet.plan.service, self.fleet.plan.version
        for role in self.fleet.roles:
            address = f"{container_ip(role, version, call.host)}:"
            named = re.search(rf"{service}-{role}(?=[-.])", call.text)
            if f"label=role={role}" in call.text or named or call.text.startswith(address):
                return role
        if call.kind == "connect" and call.text.endswith("admin.sock"):
            return self._role_switched_before(call)
        if call.kind == "connect" and call.text.endswith("probe.sock"):
            return self._role_started_before(call)
        return None

    def _role_started_before(self, call: Call) -> str | None:
        """A probe through the proxy checks the container last started in a slot on its host."""
        index = self.steps.index(call)
        for earlier in reversed(self.steps[:index]):
            if earlier.host == call.host and "-alias " in earlier.text:
                return self.role_of(earlier)
        return None

    def _role_switched_before(self, call: Call) -> str | None:
        """An admin API request after a switch watches that role's old version drain."""
        index = self.steps.index(call)
        for earlier in reversed(self.steps[:index]):
            if earlier.host == call.host and "/proxy/live/" in earlier.text:
                return self.role_of(earlier)
        return None

    def may_succeed(self, failure: Failure) -> str:
        """Why the run may rightly succeed although this step failed once ("" if it may not)."""
        if failure.fault == "silent":  # the host is gone for the rest of the run
            return ""
        kind, role = step_kind(failure.call), self.role_of(failure.call)
        if kind == "probe":
            return "a health probe is polled: the next one answers"
        if kind == "admin" and role is None:
            return "after a proxy start, its admin API is polled until it answers"
        if kind == "lock" and failure.fault == "exit":
            return "a refused mkdir with no lock in place is tried once more, and then taken"
        proxied = {self._role_of_route(r) for r in self.fleet.route_names}
        if kind == "inspect" and failure.fault == "exit" and role not in proxied:
            return "a role without the proxy has its state read until it runs (Kamal's rule)"
        return ""

    def _ended_right(self, failure: Failure, error: BaseException | None) -> str:
        if error is None:
            reason = self.may_succeed(failure)
            return "" if reason else "it succeeded although a step failed"
        line = one_line(error)
        if "\n" in line:
            return f"the error is not one line: {line!r}"
        if failure.call.host not in line:
            return f"the error does not name the host: {line}"
        role = self.role_of(failure.call)
        if role is not None and role not in line:
            return f"the error does not name the role {role}: {line}"
        causes = {
            "exit": (failure.injected,),
            "dropped": ("connection lost",),
            "hang": HANG_CAUSES,
            "silent": ("stopped answering",),
        }[failure.fault]
        if not any(cause in line for cause in causes):
            return f"the error does not name the cause: {line}"
        if failure.fault == "silent" and line.count("no reply to SSH keepalives") != 1:
            return f"the silent host is not reported once: {line}"
        return shows_a_script(line)

    # where each role was left

    def _left_right(
        self, failure: Failure, fake: ScriptedServers, error: BaseException | None
    ) -> str:
        if not isinstance(error, DeployFailed):
            return ""
        silent = failure.call.host if failure.fault == "silent" else None
        switched = {(host, role) for _, host, role in self._switches(fake, failure)}
        proxied = {self._role_of_route(r) for r in self.fleet.route_names}
        for row in error.left:
            if (
                row.state == "switched"
                and row.role in proxied
                and (row.host, row.role) not in switched
            ):
                return f"{row.host}: {row.role} is said switched, but it was not: {row.summary}"
            if row.state == "kept" and row.host == silent:
                return f"{row.host}: {row.role} is said kept on a host that went silent"
            # a switch that failed, or a failure after the live slot changed (the config's
            # load on a first deploy, the drain), may leave either version serving
            tried = step_kind(failure.call) == "switch" or (row.host, row.role) in switched
            failed_switch = tried and row.host == failure.call.host
            if row.state == "unknown" and row.host != silent and not failed_switch:
                return f"{row.host}: {row.role} is said unknown: {row.summary}"
        return ""


def one_line_naming_host_and_cause(failure: Failure, error: BaseException | None) -> str:
    """What is wrong with how a run with `failure` ended ("" when nothing): it must raise one
    line of dockyard's error tree naming the failing step's host and the cause."""
    if error is None:
        return "it succeeded although a step failed"
    if not isinstance(error, DockyardError):
        return f"{type(error).__name__} is outside dockyard's error tree: {error}"
    line = one_line(error)
    if "\n" in line or failure.call.host not in line:
        return f"the error is not one line naming the host: {line!r}"
    causes = {
        "exit": (failure.injected,),
        "dropped": ("connection lost",),
        "hang": HANG_CAUSES,
        "silent": ("stopped answering",),
    }
    if not any(cause in line for cause in causes[failure.fault]):
        return f"the error does not name the cause: {line}"
    return ""


# What only dockyard's own scripts hold, never one engine command: operators, $HOME paths.
SCRIPT_MARKS = ("&&", "||", ";", "|", "\n", "$HOME")


def shows_a_script(line: str) -> str:
    """What is wrong ("" when nothing) with a command quoted in an error line: an internal
    script goes below the line (whole with -v), the line names the step instead."""
    for quoted in re.findall(r"`([^`]*)`", line):
        if any(mark in quoted for mark in SCRIPT_MARKS):
            return f"the error shows an internal script instead of its step's name: {line}"
    return ""


def polled_after_start(call: Call, fake: FakeTransport) -> bool:
    """After the proxy starts, its admin API is polled until it answers: one failed poll of
    `call` is not the end."""
    started = "start dockyard-proxy" in " ".join(fake.commands_on(call.host))
    return step_kind(call) == "admin" and started


def step_kind(call: Call) -> str:
    """A short name for a deploy step, to decide per step (see the scenario modules)."""
    text = call.text
    if call.kind == "connect":
        return "admin" if text.endswith("admin.sock") else "probe"
    if 'mkdir "$HOME/.dockyard/lock-' in text:
        return "lock"
    if app_commands.RUN_MARKER in text:
        return "run"
    if "{{.State.Status}}" in text:
        return "inspect"
    if "/proxy/live/" in text and ("touch" in text or "rm -f" in text):
        return "switch"
    if "printf" in text and "caddy.json" in text:
        return "state"
    if "start dockyard-proxy" in text:
        return "proxy start"
    if " tag " in text:
        return "finish"
    return "other"
