"""Rebuild a layer's exact tar from Docker's tar-split record and the layer's files.

Docker keeps, for each layer, the tar's headers and padding (`tar-split.json.gz`: one JSON entry
a line, type 2 = raw bytes in base64, type 1 = a file's content by name and size) beside the
unpacked files. Headers + contents in order give back the very tar the layer was made from, with
the same digest (its diff ID): what `docker save` itself does, without exporting the whole image.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from dockyard.errors import DockyardError

SEGMENT, FILE = 2, 1


@dataclass(frozen=True)
class Part:
    raw: bytes = b""  # a header or padding, as is
    name: str = ""  # or a file whose content comes next
    size: int = 0


def parse_tar_split(text: str) -> Iterator[Part]:
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
            kind = entry["type"]
        except (ValueError, KeyError, TypeError) as error:
            raise DockyardError(f"a tar-split record is not readable ({error})") from None
        if kind == SEGMENT:
            yield Part(raw=base64.b64decode(entry.get("payload") or ""))
        elif kind == FILE:
            yield Part(name=str(entry["name"]), size=int(entry.get("size") or 0))


def files_needed(text: str) -> tuple[str, ...]:
    """Names of the files with content (directories, links and whiteouts have none)."""
    return tuple(part.name for part in parse_tar_split(text) if part.name and part.size)


def assemble(text: str, files: Mapping[str, bytes], diff_id: str) -> bytes:
    """The layer tar; DockyardError unless its digest is `diff_id` (the caller falls back)."""
    chunks = []
    for part in parse_tar_split(text):
        if not part.name:
            chunks.append(part.raw)
        elif part.size:
            content = files.get(part.name.lstrip("/").removeprefix("./"))
            if content is None or len(content) != part.size:
                raise DockyardError(f"layer file {part.name} is missing or changed")
            chunks.append(content)
    layer = b"".join(chunks)
    if f"sha256:{hashlib.sha256(layer).hexdigest()}" != diff_id:
        raise DockyardError("the rebuilt layer does not match its diff ID")
    return layer


def chain_ids(diff_ids: tuple[str, ...]) -> tuple[str, ...]:
    """Each layer's chain ID: how the engine stores a layer with everything below it."""
    chains: list[str] = []
    for diff_id in diff_ids:
        if not chains:
            chains.append(diff_id)
        else:
            joined = f"{chains[-1]} {diff_id}".encode()
            chains.append(f"sha256:{hashlib.sha256(joined).hexdigest()}")
    return tuple(chains)
