"""The image references dockyard accepts at load time (config/image_names.py) against a real
engine: `podman image exists REF` exits 125 for a reference podman cannot parse, 0 or 1 (found
or not, in its local storage only: nothing is pulled) for one it can. Kamal checks no image
name (tests/oracle/configs/differ/image_*.yml).

Where dockyard and this podman differ, on purpose or because docker's rule is the stricter one,
the reference is in DIFFERENT with the reason; those must still differ, so the list stays true.
"""

from __future__ import annotations

import shutil
import subprocess

import pytest

from dockyard.config.image_names import reference_problem

pytestmark = [
    pytest.mark.oracle,
    pytest.mark.skipif(shutil.which("podman") is None, reason="the oracle is podman"),
]
HEX = "0123456789abcdef" * 8

REFERENCES = [
    # names, registries and separators
    "postgres", "postgres:15", "me/app", "ghcr.io/me/app:v1", "GHCR.io/me/app", "localhost/app",
    "localhost:5000/app", "10.0.0.1:5000/team/app:1.0", "a.b_c__d---e/f", "a_b", "a-b", "a--b",
    "a.b", "a__b/c---d", "x/" + "a" * 253, "a" * 247, "0/a", "registry.example.com:5000/a/b/c",
    # tags and digests
    "me/app:_ok", "me/app:" + "a" * 128, f"me/app@sha256:{HEX[:64]}",
    f"me/app:1@sha256:{HEX[:64]}", f"me/app@sha512:{HEX}", f"me/app@sha384:{HEX[:96]}",
    # refused
    "me/App", "APP:v1", "a___b", "a..b", "-a", "a-", "_a", ".a", "/a", "a/", "a//b", "a/b/",
    "me app", "me/app;touch /tmp/x", "$(id)/x", "`id`", "a\tb", "me/app\n", "é/app",
    "me/app:", "me/app:.bad", "me/app:-bad", "me/app:" + "a" * 129, ":tag", "a@",
    f"@sha256:{HEX[:64]}", f"me/app@sha256:{HEX[:64].upper()}", f"me/app@sha256:{HEX[:63]}",
    f"me/app@md5:{HEX[:32]}", "a@sha256:", "https://ghcr.io/me/app", "a:b:c", "a:1.0/b",
    "registry.example.com:http/app", "-reg.io/a", "reg-.io/a", "reg.io:/a", "x/" + "a" * 254,
]  # fmt: skip
DIFFERENT = {
    "Me/app": "podman takes the capitalised first part for a registry host; a Docker Hub "
    "account was meant, so dockyard refuses it",
    "ME/app": "the same",
    "[::1]:5000/app": "an IPv6 registry is the grammar's and docker's; podman 4 refuses it",
    "a" * 250: "docker names it library/a…a, 258 characters, and refuses it; podman does not count "
    "the library/",
}


def podman_accepts(reference: str) -> bool:
    done = subprocess.run(
        ["podman", "image", "exists", reference], capture_output=True, text=True, timeout=60
    )
    assert done.returncode in (0, 1, 125), done.stderr
    return done.returncode != 125


@pytest.mark.parametrize("reference", REFERENCES, ids=ascii)
def test_dockyard_accepts_what_podman_accepts(reference: str) -> None:
    assert (reference_problem(reference) is None) == podman_accepts(reference)


@pytest.mark.parametrize("reference", DIFFERENT, ids=ascii)
def test_the_known_differences_still_differ(reference: str) -> None:
    assert (reference_problem(reference) is None) != podman_accepts(reference)
