"""What `details` reads from a host (pure): every container there with the fields it shows,
and which of the proxy's routes serve from slot b, in one round trip.

    containers_and_live_slots(DOCKER)
      -> ids=$(docker ps --all --quiet) && { [ -z "$ids" ] || docker inspect --format ... $ids; }
         && printf '\\0' && ( cd "$HOME/.dockyard/proxy/live" 2>/dev/null && for f in *.b ...)

Nothing is written: a host without the proxy's folder lists no live route (read_state, the
proxy controller's read, makes its folders first).
"""

from __future__ import annotations

import shlex

from dockyard.commands.app import NETWORK
from dockyard.commands.base import HomePath, Raw
from dockyard.commands.proxy import LIVE_DIR
from dockyard.engine import Engine

# One line per container, tab-separated; a field the container lacks is empty (no health
# check, not on the network). Docker names start with "/", Podman's do not.
FIELDS = (
    "{{.Name}}",
    "{{.Config.Image}}",
    "{{.State.Status}}",
    "{{.State.ExitCode}}",
    "{{if .State.Health}}{{.State.Health.Status}}{{end}}",
    '{{index .Config.Labels "service"}}',
    '{{index .Config.Labels "role"}}',
    '{{index .Config.Labels "destination"}}',
)


def inspect_format(network: str = NETWORK) -> str:
    on_network = (
        f'{{{{with index .NetworkSettings.Networks "{network}"}}}}'
        "{{.IPAddress}}\t{{range .Aliases}}{{.}} {{end}}{{else}}\t{{end}}"
    )
    return "\t".join((*FIELDS, on_network))


def containers_and_live_slots(engine: Engine, network: str = NETWORK) -> Raw:
    """Every container on the host (inspect_format's line each), a NUL, then the routes whose
    slot b serves, a name per line. A container removed between the listing and the inspect
    (a job's run, a one-off `--rm` container) is left out; any other error fails."""
    template = shlex.quote(inspect_format(network))
    inspect = f"{engine.name} inspect --format {template} $ids"
    vanished = (
        f"if ! err=$({{ {inspect} 1>&3; }} 2>&1); then "
        "if printf '%s\\n' \"$err\" | grep -qiv 'no such object'; then "
        "printf '%s\\n' \"$err\" >&2; false; fi; fi"
    )
    return Raw(
        f"ids=$({engine.name} ps --all --quiet) && "
        f'{{ [ -z "$ids" ] || {{ {vanished}; }} 3>&1; }} && '
        f'printf "\\0" && ( cd "$HOME/{HomePath(LIVE_DIR)}" 2>/dev/null && '
        'for f in *.b; do [ ! -e "$f" ] || echo "${f%.b}"; done; true )'
    )
