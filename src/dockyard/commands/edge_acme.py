"""The ACME part of a load balancer edge's Caddy config (pure): proxy/ssl: true at the edges.

One ACME client, the first edge (OWNER): it orders each name once, with HTTP-01 only (TLS-ALPN
is disabled: no other edge could pass that challenge on). The second edge passes
`/.well-known/acme-challenge/*` it cannot answer itself to the owner's HTTP port, so the
challenge succeeds whichever edge the CA reaches. It boots as a FORWARDER (no ACME policy, or
it would order its own) until the owner holds the certificates; dockyard then copies the
owner's certificate files into its storage and loads its COPY config: the same issuer (so the
same storage path), whose certmagic loads the stored certificate instead of ordering. Its
renewal window is narrower than the owner's, so when it opens, the owner's renewed
certificate is usually in its storage already (copied by the next `lb boot` or deploy), and
certmagic swaps it in without ordering; if not, it orders its own and keeps serving.

Both edges keep their certificates under ACME_STORAGE, in the edge's state dir on its host
(`~/.dockyard/edge/acme`), where dockyard reads and writes them over SSH. The TLS app is in
every ACME edge's config from its start: the certificate cache's maintenance interval
(`renew_interval`) is fixed by the first TLS config Caddy runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dockyard.commands.caddy_config import ADMIN_DIR

OWNER = "owner"
FORWARDER = "forwarder"
COPY = "copy"
CHALLENGES = "/.well-known/acme-challenge/*"
ACME_STORAGE = f"{ADMIN_DIR}/acme"
ACME_ROOT_FILE = f"{ADMIN_DIR}/certs/acme-ca-root.pem"
# Renew when this share of the certificate's lifetime is left: the owner first (Caddy's
# default, a third), the copy later, by when the owner's renewal is in its storage
OWNER_WINDOW = 0.34
COPY_WINDOW = 0.25


@dataclass(frozen=True)
class EdgeAcme:
    """How an edge gets the certificates of its ACME sites."""

    role: str = OWNER  # OWNER, FORWARDER or COPY (see the top)
    owner: str = ""  # the owner edge's HTTP address (host:port), where challenges are passed
    ca: str = ""  # the ACME directory; "": Caddy's default
    ca_root: bool = False  # trust the PEM root at ACME_ROOT_FILE for the CA's own address
    email: str = ""
    renew_interval: int = 600  # seconds


def serves_acme(acme: EdgeAcme | None) -> bool:
    """Whether an edge serves its ACME sites over HTTPS yet (a forwarder does not)."""
    return acme is not None and acme.role != FORWARDER


def challenge_route(acme: EdgeAcme) -> dict[str, Any]:
    """The plain server's first route on an edge that is not the owner: the challenges its
    own Caddy has no answer for (Caddy answers its own before any route) go to the owner."""
    return {
        "@id": "dockyard-edge-acme-challenges",
        "match": [{"path": [CHALLENGES]}],
        "handle": [{"handler": "reverse_proxy", "upstreams": [{"dial": acme.owner}]}],
        "terminal": True,
    }


def storage() -> dict[str, Any]:
    return {"module": "file_system", "root": ACME_STORAGE}


def automation(acme: EdgeAcme, names: list[str]) -> dict[str, Any]:
    """The TLS app's automation: the renewal check interval always, the policy for the
    names unless the edge is a forwarder."""
    found: dict[str, Any] = {"renew_interval": f"{acme.renew_interval}s"}
    if serves_acme(acme) and names:
        window = OWNER_WINDOW if acme.role == OWNER else COPY_WINDOW
        found["policies"] = [
            {"subjects": names, "issuers": [_issuer(acme)], "renewal_window_ratio": window}
        ]
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
