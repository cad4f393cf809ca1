"""Bounds on what one config file may cost to read, so no input exhausts memory, time or the stack.

A deploy.yml is a few kilobytes; these limits are far above any real one and far below what would
hurt. Like well-kept YAML loaders (SnakeYAML, go-yaml), aliases are bounded by how much they
expand, not only by how many are written: nine lines of nested aliases (a "billion laughs") stand
for 10^9 values.

    MAX_FILE_BYTES         one config file, and its text after ERB
    MAX_DEPTH              maps and lists inside each other
    MAX_ALIAS_EXPANSIONS   aliases expanded, counting an alias inside an alias each time
    MAX_VALUES             values in the document once aliases are expanded
    MAX_TEXT               characters of text in the document once aliases are expanded
"""

from __future__ import annotations

from typing import Protocol, cast

import yaml

from dockyard.errors import ConfigError

MAX_FILE_BYTES = 256 * 1024
MAX_DEPTH = 64
MAX_ALIAS_EXPANSIONS = 10_000
MAX_VALUES = 100_000
MAX_TEXT = 1024 * 1024

CORE = "tag:yaml.org,2002:"
# The tags Psych gives plain values; anything else (!!python/..., !ruby/object:..., !!set, a
# local !tag) would make objects, not settings.
KNOWN_TAGS = frozenset(
    CORE + name
    for name in ("str", "int", "float", "bool", "null", "map", "seq", "merge", "timestamp",
                 "binary", "value")
)  # fmt: skip


def check_size(text: str, *, filename: str, what: str = "is") -> None:
    """Refuse a config text over MAX_FILE_BYTES; `what` says which text (`renders with ERB to`)."""
    check_byte_size(len(text.encode("utf-8", errors="surrogatepass")), filename=filename, what=what)


def check_byte_size(size: int, *, filename: str, what: str = "is") -> None:
    if size > MAX_FILE_BYTES:
        raise ConfigError(
            f"{what} {size} bytes; a config file may hold at most {MAX_FILE_BYTES} "
            f"({MAX_FILE_BYTES // 1024} KiB)",
            file=filename,
        )


def shown_tag(tag: str) -> str:
    return "!!" + tag.removeprefix(CORE) if tag.startswith(CORE) else tag


class BoundedLoader(yaml.SafeLoader):
    """PyYAML's safe loader whose composer refuses nesting deeper than MAX_DEPTH (its recursion
    would otherwise end in a RecursionError some hundred levels down)."""

    def __init__(self, stream: str, *, filename: str) -> None:
        super().__init__(stream)
        self.filename = filename
        self.depth = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        if self.depth >= MAX_DEPTH:
            self.check_event()  # reads the next event into current_event, for its line
            raise too_deep(self.filename, self.current_event.start_mark.line + 1)
        self.depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


class _Composing(Protocol):
    """A loader's parser and composer as PyYAML calls them (its type stubs leave the event
    methods untyped and type the root's index as an int, where PyYAML passes None)."""

    def get_event(self) -> yaml.Event: ...

    def peek_event(self) -> yaml.Event: ...

    def check_event(self, *choices: type[yaml.Event]) -> bool: ...

    def compose_node(self, parent: yaml.Node | None, index: int | None) -> yaml.Node | None: ...


def compose(text: str, *, filename: str) -> yaml.Node | None:
    """The node of the config's document, read as Psych reads it (`YAML.unsafe_load`): the
    first document only. After a `...` (the document-end marker) the rest of the text is not
    read at all, so notes may follow it. A second document started by `---` is refused: Kamal
    would ignore it silently, though it looks like config (a deliberate difference)."""
    loader = BoundedLoader(text, filename=filename)
    composing = cast(_Composing, loader)
    try:
        composing.get_event()  # the stream's start
        if composing.check_event(yaml.StreamEndEvent):
            return None
        composing.get_event()  # the document's start
        node = composing.compose_node(None, None)
        end = composing.get_event()
        explicit = isinstance(end, yaml.DocumentEndEvent) and bool(end.explicit)
        if not explicit and not composing.check_event(yaml.StreamEndEvent):
            mark = composing.peek_event().start_mark
            raise ConfigError(
                "a second YAML document starts here (`---`); Kamal reads only the first and "
                "would ignore this one: remove it, or end the config with `...` above notes",
                file=filename,
                line=mark.line + 1 if mark else None,
            )
        return node
    finally:
        loader.dispose()


def too_deep(filename: str, line: int) -> ConfigError:
    return ConfigError(
        f"maps and lists nest deeper than {MAX_DEPTH} levels; flatten the config",
        file=filename,
        line=line,
    )


class Budget:
    """What building the values of one document has used so far (see the module's limits)."""

    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.expansions = 0
        self.values = 0
        self.text = 0

    def spend(self, node: yaml.Node, *, expansion: bool) -> None:
        line = node.start_mark.line + 1
        self.values += 1
        if isinstance(node, yaml.ScalarNode):
            self.text += len(node.value)
        if expansion:
            self.expansions += 1
        if self.expansions > MAX_ALIAS_EXPANSIONS:
            self.fail(line, f"aliases expand more than {MAX_ALIAS_EXPANSIONS} times (an alias "
                      "bomb?); use fewer aliases")  # fmt: skip
        if self.values > MAX_VALUES:
            self.fail(line, f"holds more than {MAX_VALUES} values once aliases are expanded; "
                      "a config this big is refused")  # fmt: skip
        if self.text > MAX_TEXT:
            self.fail(line, f"holds more than {MAX_TEXT} characters of text once aliases are "
                      "expanded; a config this big is refused")  # fmt: skip

    def fail(self, line: int, message: str) -> None:
        raise ConfigError(message, file=self.filename, line=line)
