"""Names that reach a server: the rules of the engine, DNS and the filesystem they must meet.

Each `*_problem` function returns None for a good name, else the one-line reason (naming the
value and the rule), for the caller to raise at the key path. Where a rule is stricter than Kamal
it is because the name could not work on a server: Kamal accepts it and `docker run` (or DNS, or
a path) refuses it later, after the pull (tests/oracle/configs/differ/ has one file for each).
"""

from __future__ import annotations

import ipaddress
import re

from dockyard.config.display import shown

# Docker's and Podman's rule for container names and network aliases; a name's first part (the
# service, an accessory's container) must also start with a letter or digit.
ENGINE_NAME = re.compile(r"\A[a-zA-Z0-9_.-]+\Z")
ENGINE_RULE = "may hold only letters, digits, _, . and -"
FIRST_RULE = ", starting with a letter or digit"
# An image tag (the version): the registry's and the engine's rule.
IMAGE_TAG = re.compile(r"\A[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}\Z")
DNS_LABEL_MAX = 63
DNS_NAME_MAX = 253
_DNS_LABEL = re.compile(r"\A[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?\Z")
# Label and env variable names are free text to the engine except for these.
_SPACE_EQUALS_OR_CONTROL = re.compile(r"[\s=\x00-\x1f\x7f]")
HOOK_NAMES = (
    "pre-connect", "pre-build", "pre-deploy", "pre-app-boot", "post-app-boot", "post-deploy",
    "pre-proxy-reboot", "post-proxy-reboot", "docker-setup",
)  # fmt: skip


def engine_name_problem(what: str, name: str, *, first: bool = False) -> str | None:
    """A part of container names and network aliases (role, destination, accessory name), or
    with `first` the part they start with (service, accessory container); `what` names it in the
    message ("" when the key path already does)."""
    if ENGINE_NAME.match(name) and not (first and not name[0].isalnum()):
        return None
    subject = f"{what} {shown(name)}" if what else shown(name)
    rule = ENGINE_RULE + (FIRST_RULE if first else "")
    return f"{subject} {rule} (the container engine's rule for names)"


def version_problem(version: str) -> str | None:
    if IMAGE_TAG.match(version):
        return None
    return (
        f"{shown(version)} is not an image tag: letters, digits, _, . and -, not starting "
        "with . or -, at most 128 characters (the registry's rule)"
    )


def label_key_problem(name: str) -> str | None:
    if name and not _SPACE_EQUALS_OR_CONTROL.search(name):
        return None
    return (
        f"label name {shown(name)} may not be empty or hold spaces, = or control characters "
        "(the container engine's rule)"
    )


def env_name_problem(name: str) -> str | None:
    if name and not name.startswith("#") and not _SPACE_EQUALS_OR_CONTROL.search(name):
        return None
    return (
        f"variable name {shown(name)} may not be empty, start with # or hold spaces, = or "
        "control characters (the rule of the engine's env files)"
    )


def dns_problem(name: str) -> str | None:
    """None for a DNS name (or an IP address); else what is wrong with it."""
    try:
        ipaddress.ip_address(name.removeprefix("[").removesuffix("]"))
        return None
    except ValueError:
        pass
    if len(name) > DNS_NAME_MAX:
        return f"is {len(name)} characters; a DNS name holds at most {DNS_NAME_MAX}"
    for label in name.split("."):
        if len(label) > DNS_LABEL_MAX:
            return (
                f"has a label of {len(label)} characters; a DNS label holds at most {DNS_LABEL_MAX}"
            )
        if not _DNS_LABEL.match(label):
            return "is not a DNS name: dot-separated labels of letters, digits, - and _"
    return None


def host_problem(host: str) -> str | None:
    """A server to connect to: a host name or an IP address, nothing else."""
    problem = dns_problem(host)
    if problem is None:
        return None
    return (
        f"host {shown(host)} {problem} (or an IP address); give the user in ssh/user and the "
        "port in ssh/port"
    )


def proxy_host_problem(host: str) -> str | None:
    """A host name the proxy routes (`*.` first matches any subdomain)."""
    problem = dns_problem(host.removeprefix("*."))
    return None if problem is None else f"proxy host {shown(host)} {problem}"


def alias_problem(service: str, role: str, alias: str) -> str | None:
    """The network alias of a proxied role's slot (`<service>-<role>[-<dest>]--a`): the proxy
    finds the container by it through the engine's DNS."""
    problem = dns_problem(alias)
    if problem is None:
        return None
    longest = max(len(label) for label in alias.split("."))
    if longest > DNS_LABEL_MAX:
        problem = f"{longest} characters long; a DNS label holds at most {DNS_LABEL_MAX}"
        fix = "shorten"
    else:
        problem, fix = f"{shown(alias)}, which {problem}", "rename"
    return (
        f"{shown(service)} makes the proxy's network alias of role {role} {problem}: {fix} "
        "the service, role or destination"
    )


def reached_name_problem(what: str, name: str) -> str | None:
    """A container name other containers (or the proxy) reach through the engine's DNS."""
    problem = engine_name_problem(what, name, first=True)
    if problem is None and (dns := dns_problem(name)) is not None:
        problem = f"{what} {shown(name)} {dns} (other containers reach it by this name)"
    return problem


def hook_name_problem(name: str) -> str | None:
    if name in HOOK_NAMES:
        return None
    return f"{shown(name)} is no hook (hooks: {', '.join(HOOK_NAMES)})"


_SHELL_SPECIAL = re.compile(r'["$`\\\x00-\x1f\x7f]')


def asset_path_problem(raw: str) -> str | None:
    """`asset_path` (`/path/in/image[:options]`): the engine copies it out of the image and
    mounts a volume there, so the path must be absolute and not the root; and it reaches the
    server's shell inside double quotes."""
    path = raw.partition(":")[0]
    if _SHELL_SPECIAL.search(raw):
        return (
            f"{shown(raw)} may not hold quotes, $, `, \\ or control characters (it is passed "
            "to the server's shell)"
        )
    if not path.startswith("/"):
        return (
            f"the path in the image, {shown(path)}, should be absolute (the engine copies "
            "from and mounts at absolute paths only)"
        )
    if path.rstrip("/") == "":
        return f"{shown(path)} is the image's root; give the directory that holds the assets"
    return None
