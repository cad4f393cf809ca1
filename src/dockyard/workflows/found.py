"""A read command's answer per host, and the error when what it was asked about is on none.

    found = session.on_hosts(hosts, step)            # {host: lines, or None for "not here"}
    return require_found(found, "demo has no container", "deploy it with `dockyard deploy`")
      -> NotFoundError: demo has no container on 10.0.0.1, 10.0.0.2; deploy it with ...

A host where it is missing while another has it stays in the answer (empty): the command
succeeds and shows where it is.
"""

from __future__ import annotations

from typing import TypeVar

from dockyard.errors import NotFoundError

T = TypeVar("T")


def require_found(found: dict[str, T], missing: str, hint: str) -> dict[str, T]:
    """`found` as it is, unless every host's answer is empty (or None): then NotFoundError
    `<missing> on <hosts>; <hint>`."""
    if any(found.values()):
        return found
    raise NotFoundError(f"{missing} on {', '.join(found) or 'no host'}; {hint}")


def require_present(
    found: dict[str, list[str] | None], missing: str, hint: str
) -> dict[str, list[str]]:
    """For a read whose empty answer is an answer (logs with no line yet): None marks a host
    without the thing read; NotFoundError when every host's is None."""
    require_found({host: lines is not None for host, lines in found.items()}, missing, hint)
    return {host: lines or [] for host, lines in found.items()}
