"""ERB as Kamal renders it (`ERB.new(text, trim_mode: "-").result`), for a subset of Ruby: pure.

A template is scanned into tags exactly as Ruby's ERB scanner does in trim mode "-", parsed once
into a small tree, then evaluated against an `ErbHost` that supplies the environment, the shell
(backticks, %x) and File.read. Ruby outside the subset raises `ErbUnsupported` at parse time,
before anything has run, so the caller can hand the whole file to Ruby's own ERB instead.

Control flow: `if`/`unless`/`elsif`/`else`/`end` in <% %> tags. Expressions: erb_ruby;
values and effects: erb_values.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dockyard.config.erb_ruby import Parser
from dockyard.config.erb_values import ErbHost, ErbUnsupported, Expr, Where, to_s, truthy

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
# Templates: text, <%= output %> and if/unless/elsif/else/end, parsed once, rendered many times.


@dataclass
class _If:
    branches: list[tuple[Expr, list[_Node]]]
    where: Where
    closed_by_else: bool = False


_Node = str | Expr | _If


def _statement(tag: _Tag) -> tuple[str, Expr | None]:
    """One code tag: ('if'|'elsif', condition), ('else'|'end', None) or ('', None) if empty."""
    parser = Parser(tag.body, tag.where)
    keyword = parser.word() if parser.rest() else ""
    condition: Expr | None = None
    if keyword in ("if", "elsif", "unless"):
        condition = parser.expression()
        parser.take("then")
    elif keyword not in ("", "else", "end"):
        raise tag.where.unsupported(f"`<% {tag.body.strip()[:50]} %>`")
    if parser.rest():
        raise parser.unsupported()
    if keyword == "unless" and condition is not None:
        inner = condition
        return "if", lambda host: not truthy(inner(host))
    return keyword or "", condition


def _output(tag: _Tag) -> Expr:
    parser = Parser(tag.body, tag.where)
    expression = parser.expression()
    if parser.rest():
        raise parser.unsupported()
    return expression


def _build(tags: list[_Tag]) -> list[_Node]:
    root: list[_Node] = []
    open_ifs: list[_If] = []
    body = root
    for tag in tags:
        if tag.kind == "text":
            body.append(tag.body)
        elif tag.kind == "<%=":
            body.append(_output(tag))
        elif tag.kind == "<%":
            keyword, condition = _statement(tag)
            if keyword == "if" and condition is not None:
                node = _If([(condition, [])], tag.where)
                body.append(node)
                open_ifs.append(node)
            elif keyword in ("elsif", "else", "end"):
                if not open_ifs or (open_ifs[-1].closed_by_else and keyword != "end"):
                    raise tag.where.fail(f"`{keyword}` without a matching `if`")
                if keyword == "end":
                    open_ifs.pop()
                else:
                    open_ifs[-1].branches.append((condition or (lambda host: True), []))
                    open_ifs[-1].closed_by_else = keyword == "else"
            body = open_ifs[-1].branches[-1][1] if open_ifs else root
    if open_ifs:
        raise open_ifs[-1].where.fail("`if` is never closed with <% end %>")
    return root


@dataclass(frozen=True)
class Template:
    nodes: tuple[_Node, ...]

    def render(self, host: ErbHost) -> str:
        return "".join(_render(self.nodes, host))


def _render(nodes: tuple[_Node, ...] | list[_Node], host: ErbHost) -> list[str]:
    out: list[str] = []
    for node in nodes:
        if isinstance(node, str):
            out.append(node)
        elif isinstance(node, _If):
            for condition, body in node.branches:
                if truthy(condition(host)):
                    out += _render(body, host)
                    break
        else:
            out.append(to_s(node(host)))
    return out


def parse(text: str, *, filename: str) -> Template:
    """Parse a whole template; raises ErbUnsupported (before anything runs) or ErbError."""
    return Template(tuple(_build(scan(text, filename))))


def render(text: str, *, filename: str, host: ErbHost) -> str:
    return parse(text, filename=filename).render(host)
