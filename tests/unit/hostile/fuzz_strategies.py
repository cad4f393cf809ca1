"""Hypothesis strategies for fuzzing config loading: random text, mutated real configs, YAML-level
attacks and ERB templates. The seeds are the oracle corpus (configs Kamal accepts and rejects)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from hypothesis import strategies as st

CORPUS = Path(__file__).resolve().parents[2] / "oracle" / "configs"
SEEDS = sorted(
    p.read_text()
    for folder in ("good", "bad", "differ")
    for p in (CORPUS / folder).glob("*.yml")
    if "<%" not in p.read_text()  # ERB is fuzzed on its own, with no shell and no files
)


def _plain(text: str) -> bool:
    try:
        yaml.safe_load(text)
    except yaml.YAMLError:
        return False
    return True


PLAIN_SEEDS = [seed for seed in SEEDS if _plain(seed)]  # the ones a mutation can load and dump

# Values chosen to break things: names the engine refuses, paths that climb, YAML's odd scalars,
# huge and tiny numbers, control characters, long strings.
HOSTILE_TEXT = [
    "", " ", "web app", "web;touch /tmp/x", "web/../x", "-oProxyCommand=x", "../../etc", "/..",
    "a" * 100, "a" * 70_000, "\n", "\x00", "\x1b[31m", "é", "✓", "*", "=", "<<", "~", "null",
    ":sym", "0x1F", "1_000", "9" * 5000, "1e400", ".inf", "-.nan", "25%", "a:b:c", "$(id)",
    "`id`", "#{1}", "v1;x", "localhost:5000", "[::1]", "1.1.1.1:22", "\u2028", "\ufeff",
]  # fmt: skip
scalars = st.one_of(
    st.sampled_from(HOSTILE_TEXT),
    st.text(max_size=40),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
)
keys = st.one_of(st.text(max_size=12), st.sampled_from(HOSTILE_TEXT))
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(keys, inner, max_size=4),
    ),
    max_leaves=12,
)


def paths_of(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(value, dict):
        for key, item in value.items():
            found += paths_of(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += paths_of(item, (*path, index))
    return found


def mutate(value: Any, path: tuple[Any, ...], action: str, new: Any) -> Any:
    """A copy of value with the thing at path replaced, deleted, renamed or given a sibling."""
    if not path:
        return new if action == "replace" else value
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        copy = dict(value)
        if rest:
            copy[head] = mutate(copy[head], rest, action, new)
        elif action == "replace":
            copy[head] = new
        elif action == "delete":
            del copy[head]
        elif action == "rename":
            copy[str(new)] = copy.pop(head)
        else:
            copy[str(new)] = new
        return copy
    copy_list = list(value)
    if rest:
        copy_list[head] = mutate(copy_list[head], rest, action, new)
    elif action == "delete":
        del copy_list[head]
    else:
        copy_list[head] = new
    return copy_list


@st.composite
def mutated_configs(draw: st.DrawFn) -> str:
    """A corpus config with one to three values, keys or entries changed."""
    data = yaml.safe_load(draw(st.sampled_from(PLAIN_SEEDS))) or {}
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(paths_of(data)))
        action = draw(st.sampled_from(["replace", "delete", "rename", "add"]))
        data = mutate(data, path, action, draw(values))
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


@st.composite
def mutated_text(draw: st.DrawFn) -> str:
    """A corpus config with characters inserted, deleted or replaced in its text."""
    text = draw(st.sampled_from(SEEDS))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        piece = draw(st.one_of(st.sampled_from(YAML_PIECES), st.text(max_size=8)))
        cut = draw(st.integers(0, 6))
        text = text[:at] + piece + text[at + cut :]
    return text


YAML_PIECES = [
    "&a ", "*a", "<<: *a\n", "!!python/name:os.system ", "!ruby/object:X ", "!!set ", "!x ",
    "[", "]", "{", "}", ": ", "- ", "? ", "|\n", ">\n", "'", '"', "\t", "\n  ", "---\n", "...\n",
    "%YAML 1.1\n", "#", "\\", "\x85", "\ufeff", "&b [*b]", "!!binary ", "!!int x ", "=",
]  # fmt: skip


@st.composite
def yaml_attacks(draw: st.DrawFn) -> str:
    """Alias fan-outs, self-references, deep nesting, tags and merge keys, in valid YAML."""
    kind = draw(st.sampled_from(["laughs", "nesting", "merge", "tags"]))
    if kind == "laughs":
        fan, depth = draw(st.integers(1, 12)), draw(st.integers(1, 12))
        lines = ['a0: &a0 "lol"']
        for level in range(1, depth):
            refs = ", ".join([f"*a{level - 1}"] * fan)
            lines.append(f"a{level}: &a{level} [{refs}]")
        return "\n".join(lines) + "\n"
    if kind == "nesting":
        depth = draw(st.integers(1, 400))
        opener, closer = draw(st.sampled_from([("[", "]"), ("{a: ", "}"), ("[{b: ", "}]")]))
        return "x-a: " + opener * depth + "1" + closer * depth + "\n"
    if kind == "merge":
        return draw(st.sampled_from(SEEDS)) + draw(
            st.sampled_from(["x-m: &m {<<: *m}\n", "x-n: &n {a: 1}\nx-o: {<<: [*n, *n, *n]}\n",
                             "x-p: &p [*p]\n", "x-q: {<<: 1}\n", "<<: {service: other}\n"])
        )  # fmt: skip
    tag = draw(
        st.sampled_from(
            [
                "!!python/object/apply:os.system",
                "!ruby/hash:X",
                "!!omap",
                "!!float",
                "!!int",
                "!!bool",
                "!!null",
                "!!timestamp",
                "!local",
            ]
        )
    )
    return draw(st.sampled_from(SEEDS)) + f"x-t: {tag} {draw(st.sampled_from(HOSTILE_TEXT))!r}\n"


ERB_PIECES = [
    "<%= ENV['X'] %>", "<%= ENV.fetch('Y', 'd') %>", "<% if ENV['X'] %>", "<% else %>",
    "<% end %>", "<% ENV['L'].split(',').each do |i| %>", "<%= i %>", "<%= 1 + 2 %>",
    "<%= 'a' * 3 %>", "<%= [1, true, 'x'].uniq %>", "<%# comment %>", "<%- x -%>", "<%%",
    "%>", "<%= (((1))) %>", "<%= !!nil %>", "<%= 99999999999999999999.to_s %>", "<%=",
    "<%= 'x'.upcase.strip.split('').join('-') %>", "<%= %x(id) %>", "<%= `id` %>",
    "<%= File.read('/etc/hostname') %>", "<%= ENV['X'] || 'a' && 'b' %>", "text\n",
]  # fmt: skip
erb_templates = st.lists(
    st.one_of(st.sampled_from(ERB_PIECES), st.text(max_size=10)), max_size=24
).map("".join)
