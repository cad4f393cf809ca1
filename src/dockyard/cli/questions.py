"""What destructive commands ask before they start (answered with -y on the command line)."""

from __future__ import annotations

from dockyard.plan.targets import app_hosts
from dockyard.workflows.session import Session

REMOVE_REFUSAL = "remove asks for confirmation; add -y to remove without asking"


def removal_question(session: Session, *, accessories: bool = False) -> str:
    """`app remove` (and `remove`, which takes the accessories too)."""
    config = session.config
    extra = ""
    if accessories and config.accessories:
        names = ", ".join(a.name for a in config.accessories)
        extra = f", and its accessories ({names}) with their data directories (backups are kept)"
    hosts = ", ".join(app_hosts(config, session.selection))
    return (
        f"This removes every container, image and env file of {config.service} from "
        f"{hosts}{extra}. Are you sure?"
    )
