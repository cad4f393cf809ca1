"""Parsers for what backup commands print (pure)."""

from __future__ import annotations

import json
from dataclasses import dataclass


@dataclass(frozen=True)
class BackupEntry:
    file: str
    kind: str
    size: int
    sha256: str
    created: int  # unix seconds
    entries: int = 0  # volume backups: files and directories in the archive
    encrypted: bool = False


@dataclass(frozen=True)
class BackupListing:
    backups: tuple[BackupEntry, ...]  # newest first
    last_success: int | None = None  # unix seconds
    last_failure: int | None = None
    failure_message: str = ""
    verified_at: int | None = None  # the last `accessory verify`, unix seconds
    verified: bool = False  # whether it passed
    verify_note: str = ""  # the file it verified[: why it failed]

    @property
    def latest(self) -> BackupEntry | None:
        return self.backups[0] if self.backups else None

    def find(self, name: str) -> BackupEntry | None:
        return next((b for b in self.backups if b.file == name), None)


def parse_listing(text: str) -> BackupListing:
    """Manifest lines (JSON) and `#last-success TS FILE` / `#last-failure TS MESSAGE` lines.
    A manifest that is not whole JSON is skipped (it cannot describe a usable backup)."""
    backups: list[BackupEntry] = []
    success = failure = None
    message = ""
    verify: tuple[int | None, bool, str] = (None, False, "")
    for line in text.splitlines():
        if line.startswith("#last-success "):
            success = _stamp(line.split()[1:2])
        elif line.startswith("#last-failure "):
            parts = line.split(" ", 2)
            failure = _stamp(parts[1:2])
            message = parts[2] if len(parts) > 2 else ""
        elif line.startswith("#last-verify "):
            parts = line.split(" ", 3)
            verify = (_stamp(parts[1:2]), parts[2:3] == ["ok"], " ".join(parts[3:4]))
        elif line.startswith("{"):
            entry = _entry(line)
            if entry:
                backups.append(entry)
    backups.sort(key=lambda b: b.file, reverse=True)
    return BackupListing(tuple(backups), success, failure, message, *verify)


def _stamp(parts: list[str]) -> int | None:
    return int(parts[0]) if parts and parts[0].isdigit() else None


def _entry(line: str) -> BackupEntry | None:
    try:
        data = json.loads(line)
        return BackupEntry(str(data["file"]), str(data["kind"]), int(data["size"]),
                           str(data["sha256"]), int(data["created"]),
                           int(data.get("entries", 0)), data.get("encrypted") is True)  # fmt: skip
    except (ValueError, KeyError, TypeError):
        return None


def parse_sha256sum(text: str) -> str:
    return text.split()[0] if text.split() else ""


def parse_table_counts(text: str) -> dict[str, int]:
    """`schema.table rows` lines -> {table: rows}."""
    counts: dict[str, int] = {}
    for line in text.splitlines():
        name, _, rows = line.strip().rpartition(" ")
        if name and rows.isdigit():
            counts[name] = int(rows)
    return counts


def count_differences(recorded: dict[str, int], restored: dict[str, int]) -> list[str]:
    """What differs between the dump's tables and rows and the restored database's."""
    problems = []
    for table, rows in sorted(recorded.items()):
        if table not in restored:
            problems.append(f"table {table} is missing after the restore")
        elif restored[table] != rows:
            problems.append(f"{table}: {restored[table]} rows restored, the dump has {rows}")
    return problems


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"


def human_age(seconds: float) -> str:
    seconds = max(int(seconds), 0)
    if seconds < 120:
        return f"{seconds}s"
    if seconds < 7200:
        return f"{seconds // 60}m"
    if seconds < 172800:
        return f"{seconds // 3600}h"
    return f"{seconds // 86400}d"
