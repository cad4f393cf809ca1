"""Issue #18: accessory files and directories cannot land outside the accessory's directory."""

from __future__ import annotations

import pytest

from tests.unit.config.conftest import BASE, error_of, parse


def accessory(**settings: str) -> str:
    keys = ", ".join(f"{key}: {value}" for key, value in settings.items())
    return (
        BASE + f"servers: [1.1.1.1]\naccessories:\n  db: {{image: mysql, host: 1.1.1.1, {keys}}}\n"
    )


def message(text: str) -> str:
    error = error_of(text)
    return f"{error.key}: {error.message}"


@pytest.mark.parametrize(
    "files", ['["my.cnf:/../../tmp/x"]', '["my.cnf:/etc/../../x"]', "[{local: a, remote: /..}]"]
)
def test_a_file_outside_is_refused(files: str) -> None:
    found = message(accessory(files=files))
    assert found.startswith("accessories/db/files/0: '/")
    assert found.endswith("leaves the accessory's directory ~/app-db on the server; write a "
                          "path inside it")  # fmt: skip


@pytest.mark.parametrize("directory", ["../outside", "a/../../b", ".."])
def test_a_relative_directory_outside_is_refused(directory: str) -> None:
    assert message(accessory(directories=f'["{directory}:/data"]')) == (
        f"accessories/db/directories/0: {directory!r} leaves the accessory's directory ~/app-db "
        "on the server; write a path inside it, or an absolute path (used as given)"
    )


def test_an_accessory_service_name_is_the_directory() -> None:
    found = message(accessory(service="db-main", directories='["../x:/data"]'))
    assert "leaves the accessory's directory ~/db-main" in found


def test_the_path_in_the_container_is_absolute() -> None:
    assert message(accessory(directories='["data:var/lib/mysql"]')) == (
        "accessories/db/directories/0: the path in the container, 'var/lib/mysql', should be "
        "absolute (the engine's rule for mounts)"
    )


def test_a_file_needs_a_name() -> None:
    assert message(accessory(files='["my.cnf:/"]')) == (
        "accessories/db/files/0: '/' names no file inside ~/app-db; write the file's path"
    )


def test_paths_inside_and_absolute_directories_pass() -> None:
    text = accessory(
        files='["my.cnf:/etc/mysql/my.cnf", "b:/etc/../b.conf"]',
        directories='["/mnt/data:/var/lib/mysql", "data:/data", "a/../b:/b"]',
    )
    found = parse(text).accessory("db")
    assert [d.local for d in found.directories] == ["/mnt/data", "data", "a/../b"]
