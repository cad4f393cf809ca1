"""Rebuilding a layer tar from a tar-split record: byte for byte, or refused."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import tarfile

import pytest

from dockyard.errors import DockyardError
from dockyard.facts.image import Storage, parse_source_image
from dockyard.facts.tar_split import assemble, chain_ids, files_needed

FILES = {"app/version": b"v2\n", "app/page.txt": b"x" * 700}


def layer_and_record() -> tuple[bytes, str]:
    """A real tar (as Python writes it) and the tar-split record Docker would keep for it."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
        directory = tarfile.TarInfo("app/")
        directory.type = tarfile.DIRTYPE
        archive.addfile(directory)
        for name, data in FILES.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    layer = buffer.getvalue()
    lines, position = [], 0
    with tarfile.open(fileobj=io.BytesIO(layer)) as archive:
        members = archive.getmembers()
    for member in members:
        header_end = member.offset_data
        lines.append({"type": 2, "payload": _b64(layer[position:header_end])})
        lines.append({"type": 1, "name": member.name, "size": member.size})
        position = header_end + member.size
    lines.append({"type": 2, "payload": _b64(layer[position:])})
    return layer, "\n".join(json.dumps(line) for line in lines)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _diff_id(data: bytes) -> str:
    return f"sha256:{hashlib.sha256(data).hexdigest()}"


def test_the_layer_is_rebuilt_byte_for_byte() -> None:
    layer, record = layer_and_record()
    assert files_needed(record) == ("app/version", "app/page.txt")
    assert assemble(record, FILES, _diff_id(layer)) == layer


def test_a_changed_file_or_a_wrong_digest_is_refused() -> None:
    layer, record = layer_and_record()
    with pytest.raises(DockyardError, match="missing or changed"):
        assemble(record, {**FILES, "app/version": b"v3!\n"}, _diff_id(layer))
    with pytest.raises(DockyardError, match="does not match its diff ID"):
        assemble(record, {**FILES, "app/version": b"v3\n"}, _diff_id(layer))


def test_chain_ids_follow_the_image_spec() -> None:
    a, b = f"sha256:{'a' * 64}", f"sha256:{'b' * 64}"
    expected = hashlib.sha256(f"{a} {b}".encode()).hexdigest()
    assert chain_ids((a, b)) == (a, f"sha256:{expected}")


def test_the_source_says_layers_label_and_storage_in_three_lines() -> None:
    a = f"sha256:{'a' * 64}"
    top = f"/var/lib/docker/overlay2/{'c' * 64}/diff"
    found = parse_source_image(f"{a} {a},\nshop\noverlay2 {top}\n")
    assert found is not None
    assert (found.image.layers, found.label) == ((a,), "shop")
    assert found.storage == Storage("overlay2", "/var/lib/docker")
    bare = parse_source_image(f"{a} {a},\n<no value>\n- -\n")
    assert bare is not None and (bare.label, bare.storage) == ("", None)
    assert parse_source_image("") is None
    odd = parse_source_image(f"{a} {a},\nshop\noverlay2 /somewhere/else\n")
    assert odd is not None and odd.storage is None  # not docker's layout: export by save
