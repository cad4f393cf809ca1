"""Console entry point.

`dockyard --version` is answered before the CLI framework is imported, so the most common
liveness check costs an interpreter start and nothing more.
"""

import sys


def main() -> None:
    if sys.argv[1:] in (["--version"], ["version"]):
        from dockyard import __version__

        print(__version__)
        return
    from dockyard.cli.main import run

    run()
