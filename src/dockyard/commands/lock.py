"""The deploy lock: a directory on the primary host, created atomically by `mkdir` (Kamal's).

Details are stored as a JSON object, base64-encoded so any name or message survives the shell:
fields are data, so a message with newlines cannot forge another field (the `Key: value` lines
earlier versions wrote are still read). dockyard adds the deploying machine and process, so a
lock left by a killed run on this machine can be recognised.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import asdict, dataclass
from typing import Any

from dockyard.commands.base import HomePath, Raw, Seq, all_of, cmd
from dockyard.errors import UsageError

AUTOMATIC_MESSAGE = "Automatic deploy lock"
# A lock message is a line for people, and goes to the server inside one shell command (at most
# 128 KiB on Linux, base64 adds a third): 4 KiB is plenty for the one and safe for the other.
MAX_MESSAGE_BYTES = 4096
_SHOWN_MESSAGE = 200


def check_message(message: str) -> None:
    """Refuse a lock message too long to send, before anything is sent."""
    size = len(message.encode())
    if size > MAX_MESSAGE_BYTES:
        raise UsageError(
            f"the lock message is {size} bytes; at most {MAX_MESSAGE_BYTES} are kept: shorten it"
        )


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
        return base64.b64encode(json.dumps(asdict(self)).encode()).decode()

    @classmethod
    def decode(cls, text: str) -> LockDetails:
        """What a lock's details file holds; anything unreadable reads as an unknown holder."""
        try:
            raw = base64.b64decode(text.strip() or "", validate=False).decode(errors="replace")
        except (binascii.Error, ValueError):
            raw = ""
        if raw.startswith("{"):
            return cls.from_json(raw)
        return cls.from_lines(raw)

    @classmethod
    def from_json(cls, raw: str) -> LockDetails:
        try:
            data: Any = json.loads(raw)
        except ValueError:
            data = {}
        data = data if isinstance(data, dict) else {}
        pid = data.get("pid")
        return cls(
            locked_by=str(data.get("locked_by") or "unknown"),
            at=str(data.get("at", "")),
            version=str(data.get("version", "")),
            message=str(data.get("message", "")),
            machine=str(data.get("machine", "")),
            pid=pid if isinstance(pid, int) and not isinstance(pid, bool) else 0,
        )

    @classmethod
    def from_lines(cls, raw: str) -> LockDetails:
        """The `Key: value` lines of locks written by earlier versions."""
        seen: dict[str, list[str]] = {}
        for line in raw.splitlines():
            key, _, value = line.partition(": ")
            seen.setdefault(key, []).append(value)
        # A message with newlines could add lines: trust the first of the fields written before
        # the message and the last of those written after it.
        fields = {
            key: values[-1 if key in ("Machine", "Pid") else 0] for key, values in seen.items()
        }
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
        """One line; every field shown as data (a newline is `\\n`, the message quoted)."""
        if not (self.at or self.version or self.message):
            return "holder unknown (its details file is missing or unreadable)"
        return (
            f"locked by {_data(self.locked_by)} at {_data(self.at)} for version "
            f"{_data(self.version)}: {_quoted(self.message)}"
        )


def _data(text: str) -> str:
    return text if text.isprintable() else ascii(text)[1:-1]


def _quoted(text: str) -> str:
    cut = text[:_SHOWN_MESSAGE] + ("…" if len(text) > _SHOWN_MESSAGE else "")
    return json.dumps(cut, ensure_ascii=not cut.isprintable())


def acquire(service: str, destination: str | None, details: LockDetails) -> Seq:
    """mkdir takes the lock; when its details cannot be written (a full disk), the directory
    goes again, so that a failed acquire never leaves a lock nobody holds."""
    path = lock_dir(service, destination)
    directory = HomePath(path)
    write = f'echo {details.encode()} > "$HOME/{HomePath(f"{path}/details")}"'
    undo = cmd("rm", "-rf", directory).render()
    return all_of(
        cmd("mkdir", "-p", "-m", "0700", HomePath(".dockyard")),
        cmd("mkdir", directory),
        Raw(f"{{ {write} || {{ {undo}; false; }}; }}"),
    )


def status(service: str, destination: str | None) -> Seq:
    """Prints the base64 details; exits non-zero only when there is no lock. A lock whose
    details cannot be read prints nothing: it is still held (by an unknown holder)."""
    path = lock_dir(service, destination)
    details = cmd("cat", HomePath(f"{path}/details")).render()
    return all_of(Raw(f'test -d "$HOME/{HomePath(path)}"'), Raw(f"{{ {details} || true; }}"))


def release(service: str, destination: str | None) -> Seq:
    path = lock_dir(service, destination)
    return all_of(cmd("rm", "-f", HomePath(f"{path}/details")), cmd("rm", "-r", HomePath(path)))
