"""Why an engine install failed, from its exit status and stderr."""

from dockyard.commands.server import NO_APT, NOT_ROOT
from dockyard.facts.server import install_failure


def test_each_cause_says_what_to_do() -> None:
    assert install_failure(NOT_ROOT, "") == (
        "installing it needs root: connect as root (ssh/user) or install it by hand"
    )
    assert install_failure(NO_APT, "") == (
        "this server has no apt-get (dockyard installs on Debian/Ubuntu): install it by hand"
    )


def test_an_apt_failure_shows_apts_own_words() -> None:
    stderr = "W: Some index files failed to download.\nE: Unable to locate package docker.io\n"
    assert install_failure(100, stderr) == (
        "apt-get failed (exit 100): W: Some index files failed to download. / "
        "E: Unable to locate package docker.io; fix that, or install it by hand"
    )
