"""A value as an error message shows it: quoted, on one line, and cut short."""

from __future__ import annotations

SHOWN_CHARACTERS = 40


def shown(value: object, limit: int = SHOWN_CHARACTERS) -> str:
    """`'web app'`; control characters escaped (`'a\\nb'`) so a message stays one line, and a long
    value cut, with its length said: `'aaaa…' (100000 characters)`."""
    text = str(value)
    cut = text[:limit]
    quoted = repr(cut) if cut.isprintable() else ascii(cut)
    if len(text) <= limit:
        return quoted
    return f"{quoted[:-1]}…{quoted[-1]} ({len(text)} characters)"
