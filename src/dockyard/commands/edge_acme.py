"""The ACME part of a load balancer edge's Caddy config (pure): proxy/ssl: true at the edges.

The first edge (OWNER) orders each name once, with HTTP-01 only (TLS-ALPN is disabled: no
other edge could pass that challenge on). With two edges, each passes
`/.well-known/acme-challenge/*` its own Caddy cannot answer (Caddy answers its own challenges
before any route, and lets a token it does not know for a name it manages fall through to the
routes) to the other edge's HTTP port, once: the passed request carries PASSED_HEADER, and an
edge answers such a request itself or with a 404, never passing it back. So a validation
succeeds whichever edge the CA reaches, for an order of either edge.

The second edge boots as a FORWARDER (no ACME policy, or it would order its own) until the
owner holds the certificates; dockyard then copies the owner's certificate files into its
storage and loads its COPY config: the same issuer (so the same storage path), whose certmagic
loads the stored certificate instead of ordering. From then on it renews on its own: its
renewal window is narrower than the owner's, so the owner renews first; when the second
edge's window opens, it finds the owner's renewal in its storage if a deploy or `lb boot`
copied it in between, and orders its own otherwise (validated through either edge, as above).

Both edges keep their certificates under ACME_STORAGE, in the edge's state dir on its host
(`~/.dockyard/edge/acme`), where dockyard reads and writes them over SSH. The TLS app is in
every ACME edge's config from its start: the certificate cache's maintenance interval
(`renew_interval`) is fixed by the first TLS config Caddy runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dockyard.commands.caddy_config import ADMIN_DIR
from dockyard.commands.edge_mover import CERTIFICATES_PATH

OWNER = "owner"
FORWARDER = "forwarder"
COPY = "copy"
CHALLENGES = "/.well-known/acme-challenge/*"
ACME_STORAGE = f"{ADMIN_DIR}/acme"
ACME_ROOT_FILE = f"{ADMIN_DIR}/certs/acme-ca-root.pem"
# Set on a challenge an edge passes to the other edge: that one answers it or says 404
PASSED_HEADER = "X-Dockyard-Edge-Passed"
PASS_DIAL_TIMEOUT = "2s"
# Renew when this share of the certificate's lifetime is left: the owner first (Caddy's
# default, a third), the copy later, by when the owner's renewal is in its storage
OWNER_WINDOW = 0.34
COPY_WINDOW = 0.25


@dataclass(frozen=True)
class EdgeAcme:
    """How an edge gets the certificates of its ACME sites."""

    role: str = OWNER  # OWNER, FORWARDER or COPY (see the top)
    # the other edge's HTTP address (host:port), where challenges this edge cannot answer are
    # passed; "": a single edge
    peer: str = ""
    ca: str = ""  # the ACME directory; "": Caddy's default
    ca_root: bool = False  # trust the PEM root at ACME_ROOT_FILE for the CA's own address
    email: str = ""
    renew_interval: int = 600  # seconds


def serves_acme(acme: EdgeAcme | None) -> bool:
    """Whether an edge serves its ACME sites over HTTPS yet (a forwarder does not)."""
    return acme is not None and acme.role != FORWARDER


def challenge_routes(acme: EdgeAcme, names: list[str]) -> list[dict[str, Any]]:
    """The plain server's first routes on an edge with a peer: the challenges for `names` its
    own Caddy has no answer for (Caddy answers its own before any route) go to the peer, once;
    one the peer passed here, unanswered, is a 404 (not the app's, nor a redirect).

    The host matcher keeps them before Caddy's automatic redirects to HTTPS, which it inserts
    after the plain server's last route with one (at the top when none has): without it, an
    edge serving the names over HTTPS answered the other edge's challenges with a redirect."""
    if not acme.peer or not names:
        return []
    passed = {"host": names, "path": [CHALLENGES], "header": {PASSED_HEADER: ["1"]}}
    pass_on = {
        "handler": "reverse_proxy",
        "upstreams": [{"dial": acme.peer}],
        "transport": {"protocol": "http", "dial_timeout": PASS_DIAL_TIMEOUT},
        "headers": {"request": {"set": {PASSED_HEADER: ["1"]}}},
    }
    unknown = {
        "handler": "static_response",
        "status_code": 404,
        "body": "No ACME challenge with this token on either edge\n",
    }
    return [
        {"@id": "dockyard-edge-acme-passed", "match": [passed], "handle": [unknown],
         "terminal": True},
        {"@id": "dockyard-edge-acme-challenges",
         "match": [{"host": names, "path": [CHALLENGES]}], "handle": [pass_on],
         "terminal": True},
    ]  # fmt: skip


def certificates_route() -> dict[str, Any]:
    """The plain server's first route on an edge with a peer: its stored certificates (`.crt`
    and `.json`, public; never a `.key`) for the other edge's mover (commands/edge_mover.py),
    at CERTIFICATES_PATH/<issuer>/<name>/<name>.crt|json."""
    prefix = CERTIFICATES_PATH.rstrip("/")
    pattern = "^" + prefix.replace(".", "\\.") + "/[^/]+/[^/]+/[^/]+\\.(crt|json)$"
    return {
        "@id": "dockyard-edge-certificates",
        "match": [{"path_regexp": {"pattern": pattern}}],
        "handle": [
            {"handler": "rewrite", "strip_path_prefix": prefix},
            {"handler": "file_server", "root": f"{ACME_STORAGE}/certificates",
             "hide": ["*.key"]},
        ],
        "terminal": True,
    }  # fmt: skip


def storage() -> dict[str, Any]:
    return {"module": "file_system", "root": ACME_STORAGE}


def automation(acme: EdgeAcme, names: list[str]) -> dict[str, Any]:
    """The TLS app's automation: the renewal check interval always, the policy for the
    names unless the edge is a forwarder."""
    found: dict[str, Any] = {"renew_interval": f"{acme.renew_interval}s"}
    if serves_acme(acme) and names:
        window = OWNER_WINDOW if acme.role == OWNER else COPY_WINDOW
        found["policies"] = [
            {"subjects": names, "issuers": [_issuer(acme)], "renewal_window_ratio": window,
             "reuse_private_keys": True}
        ]  # fmt: skip
    return found


def _issuer(acme: EdgeAcme) -> dict[str, Any]:
    issuer: dict[str, Any] = {"module": "acme"}
    if acme.ca:
        issuer["ca"] = acme.ca
    if acme.email:
        issuer["email"] = acme.email
    if acme.ca_root:
        issuer["trusted_roots_pem_files"] = [ACME_ROOT_FILE]
    issuer["challenges"] = {"tls-alpn": {"disabled": True}}
    return issuer
