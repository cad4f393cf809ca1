"""Image references as docker and podman read them: the OCI distribution grammar (the
`distribution/reference` package both engines use) with docker's normalization. Each
`*_problem` function returns None for a good reference, else the one-line reason, naming the
value and what to write instead, for the caller to raise at the key path.

    reference      := name [":" tag] ["@" digest]
    name           := [domain "/"] path-component ["/" path-component]*
    domain         := host [":" port]        (a DNS name or IPv4 address, or [an IPv6 one])
    path-component := [a-z0-9]+ (separator [a-z0-9]+)*       separator: ".", "_", "__" or "-"+
    tag            := [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}
    digest         := sha256:<64 hex> | sha384:<96 hex> | sha512:<128 hex>   (lowercase hex)

The first part of a name is its domain (registry) when it holds "." or ":", is "localhost" or
has capital letters (refused here: a Docker Hub account was meant); the path is at most 255
characters as docker names it (`library/<name>` for a bare name). An IPv6 registry
(`[::1]:5000/app`) is the grammar's and docker's, though Podman before 5 refuses it.
Kamal checks none of this: the engine refuses such a name at the build or the pull
(tests/oracle/configs/differ/image_*.yml; tests/oracle/test_image_names_oracle.py compares
these rules with Podman's).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dockyard.config.display import shown
from dockyard.config.names import IMAGE_TAG

_PATH_COMPONENT = re.compile(r"\A[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*\Z")
_DOMAIN_COMPONENT = r"(?:[A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9])"
_DOMAIN = re.compile(
    rf"\A(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[[A-Fa-f0-9:]+\])(?::[0-9]+)?\Z"
)
_NAME_CHARACTER = re.compile(r"[A-Za-z0-9._/-]")
_DIGEST = re.compile(r"\A(sha256|sha384|sha512):([a-f0-9]+)\Z")
DIGEST_HEX = {"sha256": 64, "sha384": 96, "sha512": 128}
_IMAGE_ID = re.compile(r"\A[a-f0-9]{64}\Z")
NAME_MAX = 255
ACCEPTED = "docker and podman accept"


@dataclass(frozen=True)
class Reference:
    name: str  # [domain/]path
    tag: str | None = None
    digest: str | None = None


def split_reference(text: str) -> Reference:
    """name, tag and digest as the grammar splits them (the tag: after the last ":" that
    follows the last "/")."""
    name, at, digest = text.partition("@")
    slash = name.rfind("/")
    colon = name.rfind(":")
    if colon > slash:
        return Reference(name[:colon], name[colon + 1 :], digest if at else None)
    return Reference(name, None, digest if at else None)


def split_domain(name: str) -> tuple[str | None, str]:
    """(the domain, or None for Docker Hub; the path), by docker's rule."""
    first, slash, rest = name.partition("/")
    if slash and (any(c in first for c in ".:") or first == "localhost" or first != first.lower()):
        return first, rest
    return None, name


def docker_path(domain: str | None, path: str) -> str:
    """The path as docker reads it: `library/redis` for `redis` (a Docker Hub official image)."""
    return f"library/{path}" if domain is None and "/" not in path else path


def path_reason(path: str) -> str | None:
    """What is wrong with a repository path (the name without its registry), if anything."""
    if path == "":
        return "it has no name"
    bad = next((c for c in path if not _NAME_CHARACTER.match(c)), None)
    if bad is not None:
        return f"it holds {shown(bad)}: write letters, digits, ., _, - and / only"
    for part in path.split("/"):
        if part == "":
            return "it has an empty part (// or a / at an end): remove the extra /"
        if part != part.lower():
            return f"{shown(part)} has capital letters: write the name in lowercase"
        if not _PATH_COMPONENT.match(part):
            return (
                f"{shown(part)} should be letters and digits joined by ., _, __ or dashes, "
                "starting and ending with a letter or digit"
            )
    return None


def domain_reason(domain: str) -> str | None:
    if _DOMAIN.match(domain):
        return None
    return (
        f"its registry {shown(domain)} is not host[:port] (a DNS name, an IPv4 address or "
        "[an IPv6 one], then a port number)"
    )


def name_reason(name: str) -> str | None:
    """A name ([domain/]path), written alone or with a tag or digest after it. A first part
    with capital letters and no "." or ":" is a registry host to docker, but a Docker Hub
    account is what was meant: it is refused."""
    domain, path = split_domain(name)
    if domain is not None and not any(c in domain for c in ".:") and domain != "localhost":
        return (
            f"{shown(domain)} has capital letters, so docker takes it for a registry host: "
            "write the name in lowercase"
        )
    reason = (domain_reason(domain) if domain is not None else None) or path_reason(path)
    if reason is not None and domain is not None and path_reason(name) is None:
        domain, path, reason = None, name, None  # not a registry: a path (the grammar's reading)
    if reason is None and len(named := docker_path(domain, path)) > NAME_MAX:
        reason = f"its path is {len(named)} characters as docker names it; at most {NAME_MAX}"
    return reason


def tag_reason(tag: str) -> str | None:
    if IMAGE_TAG.match(tag):
        return None
    return (
        f"its tag {shown(tag)} should be letters, digits, _, . and -, not starting with . or -, "
        "at most 128 characters"
    )


def digest_reason(digest: str) -> str | None:
    match = _DIGEST.match(digest)
    if match and len(match[2]) == DIGEST_HEX[match[1]]:
        return None
    return f"its digest {shown(digest)} should be sha256: and 64 lowercase hexadecimal digits"


def reference_problem(text: str) -> str | None:
    """An image run or pulled as written (an accessory's, the proxy's, a cache's)."""
    if "://" in text:
        reason: str | None = "it is a URL: write [registry/]name[:tag], without a scheme"
    elif _IMAGE_ID.match(text):
        reason = "64 hexadecimal digits are an image ID to docker, not a name"
    else:
        ref = split_reference(text)
        reason = (
            name_reason(ref.name)
            or (tag_reason(ref.tag) if ref.tag is not None else None)
            or (digest_reason(ref.digest) if ref.digest is not None else None)
        )
    return (
        None if reason is None else f"{shown(text)} is not an image reference {ACCEPTED}: {reason}"
    )


def repository_problem(image: str, server: str | None) -> str | None:
    """The app's `image`, which dockyard names `<registry server>/<image>:<version>`: a name
    with no tag or digest (the registry server is checked on its own)."""
    ref = split_reference(image)
    if ref.digest is not None or ref.tag is not None:
        written = f"@{ref.digest}" if ref.digest is not None else f":{ref.tag}"
        return (
            f"{shown(image)} ends in {shown(written)}: give the image without a tag or digest "
            "(dockyard tags it with the version)"
        )
    if server:
        _, _, server_path = server.partition("/")
        path = f"{server_path}/{image}" if server_path else image
        reason = path_reason(image)
        if reason is None and len(path) > NAME_MAX:
            reason = f"its path is {len(path)} characters; at most {NAME_MAX}"
    else:
        reason = name_reason(image)
    return None if reason is None else f"{shown(image)} is not an image name {ACCEPTED}: {reason}"


def registry_server_problem(server: str) -> str | None:
    """A registry server, the first part of the names of images pulled from it: host[:port],
    optionally with a path (`ghcr.io/team`), with no scheme."""
    if "://" in server:
        return (
            f"{shown(server)} is a URL: give the registry's host[:port] alone (like ghcr.io or "
            "registry.example.com:5000), as the first part of image names"
        )
    domain, _, path = server.partition("/")
    reason = domain_reason(domain) or (path_reason(path) if path else None)
    if reason is None:
        return None
    return f"{shown(server)} is not a registry {ACCEPTED} at the start of image names: {reason}"
