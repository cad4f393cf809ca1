"""Issue #18: every image a server or the builder pulls, pushes or runs is checked when the
config is loaded against the image reference grammar docker and podman read (image_names.py),
with the key path, the value and what to write in one line: the app's image and registry
server, each accessory's image and registry server, the build cache and the proxy's image."""

from __future__ import annotations

import pytest

from dockyard.config.image_names import (
    reference_problem,
    registry_server_problem,
    repository_problem,
    split_reference,
)
from tests.unit.config.conftest import BASE, parse
from tests.unit.hostile.test_names import SERVERS, message

HEX = "0123456789abcdef" * 8

GOOD_REFERENCES = [
    "postgres", "postgres:15", "me/app", "ghcr.io/me/app:v1", "GHCR.io/me/app",
    "localhost/app", "localhost:5000/app", "10.0.0.1:5000/team/app:1.0", "[::1]:5000/app",
    "a.b_c__d---e/f",  # "a.b_c__d---e" is no host name: the whole is a path, as docker reads it
    "me/app:_ok", "me/app:" + "a" * 128, f"me/app@sha256:{HEX[:64]}",
    f"me/app:15@sha256:{HEX[:64]}", f"me/app@sha384:{HEX[:96]}", f"me/app@sha512:{HEX}",
    "x/" + "a" * 253, "a" * 247,  # 255 characters of path (library/a…a for a bare name)
]  # fmt: skip
BAD_REFERENCES = {
    "Me/app": "'Me' has capital letters, so docker takes it for a registry host: write the "
    "name in lowercase",
    "me/App": "'App' has capital letters: write the name in lowercase",
    "me app": "it holds ' ': write letters, digits, ., _, - and / only",
    "me/app;touch /tmp/x": "it holds ';': write letters, digits, ., _, - and / only",
    "$(id)/app": "it holds '$': write letters, digits, ., _, - and / only",
    "`id`": "it holds '`': write letters, digits, ., _, - and / only",
    "me/app\n": "it holds '\\n': write letters, digits, ., _, - and / only",
    "é/app": "it holds 'é': write letters, digits, ., _, - and / only",
    "a___b": "'a___b' should be letters and digits joined by ., _, __ or dashes, starting and "
    "ending with a letter or digit",
    "me/-app": "'-app' should be letters and digits joined by ., _, __ or dashes, starting and "
    "ending with a letter or digit",
    "me/app.": "'app.' should be letters and digits joined by ., _, __ or dashes, starting and "
    "ending with a letter or digit",
    "me//app": "it has an empty part (// or a / at an end): remove the extra /",
    "/app": "it has an empty part (// or a / at an end): remove the extra /",
    "": "it has no name",
    ":15": "it has no name",
    "me/app:": "its tag '' should be letters, digits, _, . and -, not starting with . or -, "
    "at most 128 characters",
    "me/app:-x": "its tag '-x' should be letters, digits, _, . and -, not starting with . or -, "
    "at most 128 characters",
    "me/app:" + "a" * 129: "its tag 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa…' (129 characters) "
    "should be letters, digits, _, . and -, not starting with . or -, at most 128 characters",
    f"me/app@sha256:{HEX[:63]}": "its digest 'sha256:0123456789abcdef0123456789abcdef0…' (70 "
    "characters) should be sha256: and 64 lowercase hexadecimal digits",
    "me/app@md5:" + HEX[:32]: "its digest 'md5:0123456789abcdef0123456789abcdef' should be "
    "sha256: and 64 lowercase hexadecimal digits",
    "registry.example.com:http/app": "its registry 'registry.example.com:http' is not "
    "host[:port] (a DNS name, an IPv4 address or [an IPv6 one], then a port number)",
    "https://ghcr.io/me/app": "it is a URL: write [registry/]name[:tag], without a scheme",
    HEX[:64]: "64 hexadecimal digits are an image ID to docker, not a name",
    "a" * 250: "its path is 258 characters as docker names it; at most 255",
}


@pytest.mark.parametrize("reference", GOOD_REFERENCES)
def test_references_docker_and_podman_accept(reference: str) -> None:
    assert reference_problem(reference) is None


@pytest.mark.parametrize("reference", BAD_REFERENCES)
def test_references_they_refuse_say_why_and_what_to_write(reference: str) -> None:
    problem = reference_problem(reference)
    assert problem is not None and "\n" not in problem
    assert problem.endswith(f" is not an image reference docker and podman accept: "
                            f"{BAD_REFERENCES[reference]}")  # fmt: skip


def test_a_reference_splits_at_its_last_tag_and_its_digest() -> None:
    split = split_reference(f"localhost:5000/a/b:1.0@sha256:{HEX[:64]}")
    assert (split.name, split.tag, split.digest) == (
        "localhost:5000/a/b",
        "1.0",
        f"sha256:{HEX[:64]}",
    )
    assert split_reference("localhost:5000/a").tag is None


def test_the_apps_image_is_a_name_without_tag_or_digest() -> None:
    assert repository_problem("me/app", None) is None
    assert repository_problem("me/app", "ghcr.io/team") is None
    assert repository_problem("ghcr.io/me/app", None) is None
    assert repository_problem("me/app:1.0", None) == (
        "'me/app:1.0' ends in ':1.0': give the image without a tag or digest (dockyard tags it "
        "with the version)"
    )
    # after a registry server the whole image is the path: a registry in it is not one
    assert repository_problem("localhost:5000/app", "ghcr.io") == (
        "'localhost:5000/app' is not an image name docker and podman accept: it holds ':': "
        "write letters, digits, ., _, - and / only"
    )
    assert repository_problem("ghcr.io/me/app", "ghcr.io") is None
    assert repository_problem("a" * 250, "r.io/team") is None  # team/a…a: 255 characters
    assert repository_problem("a" * 251, "r.io/team") == (
        f"'{'a' * 40}…' (251 characters) is not an image name docker and podman accept: its "
        "path is 256 characters; at most 255"
    )


@pytest.mark.parametrize(
    ("server", "reason"),
    [
        ("https://ghcr.io", "'https://ghcr.io' is a URL: give the registry's host[:port] alone "
         "(like ghcr.io or registry.example.com:5000), as the first part of image names"),
        ("ghcr.io:443x", "'ghcr.io:443x' is not a registry docker and podman accept at the start "
         "of image names: its registry 'ghcr.io:443x' is not host[:port] (a DNS name, an IPv4 "
         "address or [an IPv6 one], then a port number)"),
        ("reg;touch /tmp/x", "'reg;touch /tmp/x' is not a registry docker and podman accept at "
         "the start of image names: its registry 'reg;touch ' is not host[:port] (a DNS name, "
         "an IPv4 address or [an IPv6 one], then a port number)"),
        ("ghcr.io/Team", "'ghcr.io/Team' is not a registry docker and podman accept at the start "
         "of image names: 'Team' has capital letters: write the name in lowercase"),
    ],
)  # fmt: skip
def test_registry_servers(server: str, reason: str) -> None:
    assert registry_server_problem(server) == reason


@pytest.mark.parametrize(
    "server", ["ghcr.io", "GHCR.IO", "localhost:5000", "10.0.0.1:5000", "[::1]:5000", "r.io/team"]
)
def test_registry_servers_that_work(server: str) -> None:
    assert registry_server_problem(server) is None


# --- at load time, at the key that holds the value ----------------------------------------------

ACCESSORY = "accessories:\n  db:\n    image: {image}\n    host: 1.1.1.1\n"


def test_the_image_at_its_key() -> None:
    text = BASE.replace("image: me/app", 'image: "me/app;touch /tmp/x"') + SERVERS
    assert message(text) == (
        "image: 'me/app;touch /tmp/x' is not an image name docker and podman accept: it holds "
        "';': write letters, digits, ., _, - and / only"
    )


def test_the_registry_server_before_the_image() -> None:
    text = BASE.replace("registry:\n", "registry:\n  server: https://ghcr.io\n") + SERVERS
    assert message(text).startswith("registry/server: 'https://ghcr.io' is a URL:")
    text = BASE.replace("registry:\n", "registry:\n  server: ghcr.io\n") + SERVERS
    assert parse(text).absolute_image == "ghcr.io/me/app:v1"


def test_a_local_registrys_image_is_the_service() -> None:
    text = "service: App\nregistry: {server: 'localhost:5000'}\nbuilder: {arch: amd64}\n" + SERVERS
    assert message(text) == (
        "service: 'App' is not an image name docker and podman accept: 'App' has capital "
        "letters: write the name in lowercase"
    )


def test_an_accessorys_image_and_registry() -> None:
    text = BASE + SERVERS + ACCESSORY.format(image="Postgres:15")
    assert message(text) == (
        "accessories/db/image: 'Postgres:15' is not an image reference docker and podman "
        "accept: 'Postgres' has capital letters: write the name in lowercase"
    )
    text = (
        BASE
        + SERVERS
        + ACCESSORY.format(image="postgres:15")
        + ("    registry: {server: 'ghcr.io:x', username: u, password: [P]}\n")
    )
    assert message(text).startswith("accessories/db/registry/server: 'ghcr.io:x' is not a registry")
    text = BASE + SERVERS + ACCESSORY.format(image=f"'postgres:15@sha256:{HEX[:64]}'")
    assert parse(text).accessory("db").image == f"postgres:15@sha256:{HEX[:64]}"


def test_the_build_cache_image() -> None:
    text = BASE.replace("  arch: amd64\n", "  arch: amd64\n  cache: {type: registry, image: "
                        "'Cache:x'}\n") + SERVERS  # fmt: skip
    assert message(text).startswith("builder/cache/image: 'Cache:x' is not an image reference")
    # the default, <image>-build-cache, is as good as the image (and as long)
    long_image = "me/" + "a" * 244
    text = BASE.replace("image: me/app", f"image: {long_image}") + SERVERS
    assert parse(text).image == long_image
    cached = text.replace("  arch: amd64\n", "  arch: amd64\n  cache: {type: registry}\n")
    assert message(cached) == (
        f"image: the build cache 'me/{'a' * 37}…' (259 characters) is not an image reference "
        "docker and podman accept: its path is 259 characters as docker names it; at most 255 "
        "(shorten the image, or name the cache in builder/cache/image)"
    )


def test_the_proxy_image() -> None:
    text = BASE + SERVERS + "x-dockyard: {proxy: {image: 'caddy:2.11 --privileged'}}\n"
    assert message(text) == (
        "x-dockyard/proxy/image: 'caddy:2.11 --privileged' is not an image reference docker and "
        "podman accept: its tag '2.11 --privileged' should be letters, digits, _, . and -, not "
        "starting with . or -, at most 128 characters"
    )
