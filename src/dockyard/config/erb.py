"""ERB as Kamal renders it (`ERB.new(text, trim_mode: "-").result`), for a subset of Ruby: pure.

A template is scanned into tags exactly as Ruby's ERB scanner does in trim mode "-", parsed once
into a small tree, then evaluated against an `ErbHost` that supplies the environment, the shell
(backticks, %x) and File.read. Ruby outside the subset raises `ErbUnsupported` at parse time,
before anything has run, so the caller can hand the whole file to Ruby's own ERB instead.

Control flow in <% %> tags: `if`/`unless`/`elsif`/`else`/`end`, `….each do |name|`/`end`.
Expressions: erb_ruby; values and effects: erb_values.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from dockyard.config.erb_ruby import MAX_NESTING, Parser
from dockyard.config.erb_values import (
    ErbHost,
    ErbUnsupported,
    Expr,
    Where,
    ruby_class,
    to_s,
    truthy,
)
from dockyard.config.yamllimits import MAX_FILE_BYTES
from dockyard.errors import ErbError

__all__ = ["ErbHost", "ErbUnsupported", "Template", "parse", "render", "scan"]


# ---------------------------------------------------------------------------------------------
# Scanning: Ruby's ERB::Compiler::TrimScanner#explicit_trim_line, token for token.

_TOKEN = re.compile(r"(^[ \t]*<%-|<%-|-%>\r?\n|-%>|<%%|<%=|<%#|<%|%%>|%>)", re.MULTILINE)
_CLOSE = ("%>", "-%>", "-%>\n", "-%>\r\n")


@dataclass(frozen=True)
class _Tag:
    kind: str  # "text", "<%=", "<%" or "<%#"
    body: str
    where: Where


def _tokens(text: str) -> list[str]:
    pieces = _TOKEN.split(text)
    return [piece for piece in pieces if piece]


def scan(text: str, filename: str) -> list[_Tag]:
    """Split a template into text and tags, applying trim mode "-" as Ruby does."""
    tags: list[_Tag] = []
    open_tag: str | None = None
    content, line, start = "", 1, 1
    for token in _tokens(text):
        if open_tag is None:
            if token.endswith("<%-"):
                token = "<%"  # leading indentation on the tag's line goes too
            if token in ("<%", "<%=", "<%#"):
                if content:
                    tags.append(_Tag("text", content, Where(filename, start)))
                open_tag, content, start = token, "", line
            else:
                content += "<%" if token == "<%%" else token
        elif token in _CLOSE:
            tags.append(_Tag(open_tag, content, Where(filename, start)))
            open_tag, content, start = None, "", line + token.count("\n")
        else:
            content += "%>" if token == "%%>" else token
        line += token.count("\n")
    if open_tag is not None:
        raise Where(filename, start).fail(f"{open_tag} tag is never closed with %>")
    if content:
        tags.append(_Tag("text", content, Where(filename, start)))
    return tags


# ---------------------------------------------------------------------------------------------
# Templates: text, <%= output %>, if/unless/elsif/else/end and each blocks; parsed once.


@dataclass
class _If:
    branches: list[tuple[Expr, list[_Node]]]
    where: Where
    closed_by_else: bool = False

    def body(self) -> list[_Node]:
        return self.branches[-1][1]


@dataclass
class _Each:
    items: Expr
    variable: str
    where: Where
    nodes: list[_Node] = field(default_factory=list)

    def body(self) -> list[_Node]:
        return self.nodes


_Node = str | Expr | _If | _Each


def _statement(tag: _Tag, scope: frozenset[str]) -> tuple[str, Expr | None, str]:
    """One code tag: (keyword, condition or items, loop variable); keyword is if, elsif, else,
    end, each or "" (an empty tag)."""
    parser = Parser(tag.body, tag.where, scope)
    keyword = parser.word() if parser.rest() else ""
    if keyword in ("", "else", "end"):
        if parser.rest():
            raise parser.unsupported()
        return keyword or "", None, ""
    if keyword not in ("if", "elsif", "unless"):
        return _each(tag, scope)
    condition = parser.expression()
    parser.take("then")
    if parser.rest():
        raise parser.unsupported()
    if keyword == "unless":
        return "if", lambda host: not truthy(condition(host)), ""
    return keyword, condition, ""


def _each(tag: _Tag, scope: frozenset[str]) -> tuple[str, Expr | None, str]:
    parser = Parser(tag.body, tag.where, scope)
    parser.allow_each = True
    items = parser.postfix()
    if parser.loop_variable is None or parser.rest():
        raise tag.where.unsupported(f"`<% {tag.body.strip()[:50]} %>`")
    return "each", items, parser.loop_variable


def _output(tag: _Tag, scope: frozenset[str]) -> Expr:
    parser = Parser(tag.body, tag.where, scope)
    expression = parser.expression()
    if parser.rest():
        raise parser.unsupported()
    return expression


def _build(tags: list[_Tag]) -> list[_Node]:
    root: list[_Node] = []
    blocks: list[_If | _Each] = []
    for tag in tags:
        body = blocks[-1].body() if blocks else root
        scope = frozenset(block.variable for block in blocks if isinstance(block, _Each))
        if tag.kind == "text":
            body.append(tag.body)
        elif tag.kind == "<%=":
            body.append(_output(tag, scope))
        elif tag.kind == "<%":
            _code(tag, *_statement(tag, scope), body, blocks)
        if len(blocks) > MAX_NESTING:
            raise tag.where.fail(f"if/each blocks nest deeper than {MAX_NESTING} levels")
    if blocks:
        kind = "if" if isinstance(blocks[-1], _If) else "each"
        raise blocks[-1].where.fail(f"`{kind}` is never closed with <% end %>")
    return root


def _code(
    tag: _Tag,
    keyword: str,
    expression: Expr | None,
    variable: str,
    body: list[_Node],
    blocks: list[_If | _Each],
) -> None:
    """Apply one code tag to the tree being built: open, continue or close a block."""
    if keyword in ("if", "each") and expression is not None:
        block = _If([(expression, [])], tag.where) if keyword == "if" else None
        node = block or _Each(expression, variable, tag.where)
        body.append(node)
        blocks.append(node)
    elif keyword == "end":
        if not blocks:
            raise tag.where.fail("`end` without a matching `if` or `each`")
        blocks.pop()
    elif keyword in ("elsif", "else"):
        innermost = blocks[-1] if blocks else None
        if not isinstance(innermost, _If) or innermost.closed_by_else:
            raise tag.where.fail(f"`{keyword}` without a matching `if`")
        innermost.branches.append((expression or (lambda host: True), []))
        innermost.closed_by_else = keyword == "else"


# What rendering one template may cost: its output is a config file (see yamllimits), and every
# tag or loop pass evaluated is a step.
MAX_STEPS = 100_000


@dataclass(frozen=True)
class Template:
    nodes: tuple[_Node, ...]
    filename: str = ""

    def render(self, host: ErbHost) -> str:
        out = _Output(self.filename)
        _render(self.nodes, host, out)
        return "".join(out.parts)


class _Output:
    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.parts: list[str] = []
        self.size = 0
        self.steps = 0

    def add(self, text: str) -> None:
        self.step()
        self.parts.append(text)
        self.size += len(text)
        if self.size > MAX_FILE_BYTES:
            raise ErbError(f"renders to more than {MAX_FILE_BYTES} characters "
                           f"({MAX_FILE_BYTES // 1024} KiB); a config file may hold no more",
                           file=self.filename)  # fmt: skip

    def step(self) -> None:
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise ErbError(f"takes more than {MAX_STEPS} steps to render (loops inside "
                           "loops?); simplify it", file=self.filename)  # fmt: skip


def _render(nodes: tuple[_Node, ...] | list[_Node], host: ErbHost, out: _Output) -> None:
    for node in nodes:
        if isinstance(node, str):
            out.add(node)
        elif isinstance(node, _If):
            out.step()
            for condition, body in node.branches:
                if truthy(condition(host)):
                    _render(body, host, out)
                    break
        elif isinstance(node, _Each):
            _render_each(node, host, out)
        else:
            out.add(to_s(node(host)))


def _render_each(node: _Each, host: ErbHost, out: _Output) -> None:
    items = node.items(host)
    if not isinstance(items, list):
        raise node.where.fail(f"undefined method 'each' for {ruby_class(items)}")
    for item in items:
        out.step()
        inner = replace(host, variables={**host.variables, node.variable: item})
        _render(node.nodes, inner, out)


def parse(text: str, *, filename: str) -> Template:
    """Parse a whole template; raises ErbUnsupported (before anything runs) or ErbError."""
    return Template(tuple(_build(scan(text, filename))), filename)


def render(text: str, *, filename: str, host: ErbHost) -> str:
    return parse(text, filename=filename).render(host)
