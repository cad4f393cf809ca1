"""The deploy lock: a directory on the primary host, created atomically by `mkdir` (Kamal's).

Details are stored base64-encoded so any name or message survives the shell. dockyard adds the
deploying machine and process, so a lock left by a killed run on this machine can be recognised.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

from dockyard.commands.base import HomePath, Raw, Seq, all_of, cmd

AUTOMATIC_MESSAGE = "Automatic deploy lock"


def lock_dir(service: str, destination: str | None) -> str:
    return f".dockyard/lock-{service}" + (f"-{destination}" if destination else "")


@dataclass(frozen=True)
class LockDetails:
    locked_by: str
    at: str  # UTC ISO 8601
    version: str
    message: str
    machine: str = ""
    pid: int = 0

    def encode(self) -> str:
        lines = [
            f"Locked by: {self.locked_by} at {self.at}",
            f"Version: {self.version}",
            f"Message: {self.message}",
            f"Machine: {self.machine}",
            f"Pid: {self.pid}",
        ]
        return base64.b64encode("\n".join(lines).encode()).decode()

    @classmethod
    def decode(cls, text: str) -> LockDetails:
        fields: dict[str, str] = {}
        for line in base64.b64decode(text.strip() or "").decode(errors="replace").splitlines():
            key, _, value = line.partition(": ")
            fields[key] = value
        by, _, at = fields.get("Locked by", "").rpartition(" at ")
        pid = fields.get("Pid", "0")
        return cls(
            locked_by=by or fields.get("Locked by", "unknown"),
            at=at,
            version=fields.get("Version", ""),
            message=fields.get("Message", ""),
            machine=fields.get("Machine", ""),
            pid=int(pid) if pid.isdigit() else 0,
        )

    def describe(self) -> str:
        return f"locked by {self.locked_by} at {self.at} for version {self.version}: {self.message}"


def acquire(service: str, destination: str | None, details: LockDetails) -> Seq:
    path = lock_dir(service, destination)
    return all_of(
        cmd("mkdir", "-p", "-m", "0700", HomePath(".dockyard")),
        cmd("mkdir", HomePath(path)),
        Raw(f'echo {details.encode()} > "$HOME/{HomePath(path)}/details"'),
    )


def status(service: str, destination: str | None) -> Seq:
    """Prints the base64 details; exits non-zero when there is no lock."""
    path = lock_dir(service, destination)
    return all_of(Raw(f'test -d "$HOME/{HomePath(path)}"'), cmd("cat", HomePath(f"{path}/details")))


def release(service: str, destination: str | None) -> Seq:
    path = lock_dir(service, destination)
    return all_of(cmd("rm", "-f", HomePath(f"{path}/details")), cmd("rm", "-r", HomePath(path)))
