"""Commands on the servers themselves, outside any container (pure)."""

from __future__ import annotations

from collections.abc import Sequence

from dockyard.commands import crontab
from dockyard.commands.base import Raw
from dockyard.engine import Engine


def shell(words: Sequence[str]) -> Raw:
    """`server exec`: the user's words as shell text, as Kamal runs them (the remote shell
    splits them, so `df -h /` and "df -h /" mean the same)."""
    return Raw(" ".join(words))


NOT_ROOT, NO_APT = 90, 91  # install_engine's own exit statuses, apart from apt-get's


def engine_present(engine: Engine) -> Raw:
    """Exits 0 where the engine's command is on the PATH."""
    return Raw(f"command -v {engine.name} >/dev/null")


def install_engine(engine: Engine) -> Raw:
    """Install the engine with apt (Debian/Ubuntu), as root. Exits NOT_ROOT or NO_APT before
    trying when it cannot; otherwise apt-get's own status, with its words on stderr."""
    apt = "DEBIAN_FRONTEND=noninteractive apt-get"
    return Raw(
        f'[ "$(id -u)" = 0 ] || exit {NOT_ROOT}; command -v apt-get >/dev/null || exit {NO_APT}; '
        f"{apt} update -qq && {apt} install -y -qq {engine.debian_package}"
    )


START_AT_BOOT_MARK = "# dockyard-start-at-boot"


def start_at_boot(engine: Engine) -> Raw:
    """The SSH user's crontab line that starts, at each boot, the containers that ran when the
    server went down (Podman: after a reboot, those it finds `created` again; those stopped
    before, such as a deploy's old version, stay `exited`) and have a restart policy
    (dockyard's are `unless-stopped`). Set only when it changes; NO_RESTART_MARK and why when
    it could not be (commands/crontab.py)."""
    e = engine.name
    ids = (
        f"{e} ps --all --quiet --filter status=created --filter restart-policy=unless-stopped "
        "--filter restart-policy=always"
    )
    line = (
        f"@reboot PATH={crontab.CRON_PATH}; ids=$({ids}); "
        f'[ -z "$ids" ] || {e} start $ids > /dev/null {START_AT_BOOT_MARK}'
    )
    edit = crontab.set_lines(START_AT_BOOT_MARK, [line])
    return Raw(f"mkdir -p .dockyard && cd .dockyard && {{ {edit}; }}")
