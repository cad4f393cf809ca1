"""What every kind of restore shares: the stamp of the data kept aside, a command's last lines."""

from __future__ import annotations

import time


def stamp() -> str:
    return time.strftime("%Y%m%d%H%M%S", time.gmtime())


def tail(stderr: str) -> str:
    return " / ".join(stderr.strip().splitlines()[-2:]) or "no message"
