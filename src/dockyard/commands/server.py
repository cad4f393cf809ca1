"""Commands on the servers themselves, outside any container (pure)."""

from __future__ import annotations

from collections.abc import Sequence

from dockyard.commands.base import Raw


def shell(words: Sequence[str]) -> Raw:
    """`server exec`: the user's words as shell text, as Kamal runs them (the remote shell
    splits them, so `df -h /` and "df -h /" mean the same)."""
    return Raw(" ".join(words))
