"""Issue #18: YAML that would exhaust memory, time or the stack is refused with one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockyard.config.yamllimits import MAX_DEPTH, MAX_FILE_BYTES
from dockyard.config.yamlsource import parse_yaml
from dockyard.errors import ConfigError
from dockyard.loading import load_config
from tests.unit.config.conftest import BASE

LOL = '["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'
BILLION_LAUGHS = f"a: &a {LOL}\n" + "".join(
    f"{b}: &{b} [{', '.join([f'*{a}'] * 9)}]\n" for a, b in zip("abcdefgh", "bcdefghi", strict=True)
)


def error_of(text: str) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        parse_yaml(text, filename="config/deploy.yml")
    assert "\n" not in str(caught.value)
    return caught.value


def test_an_alias_bomb_is_refused_at_its_line() -> None:
    error = error_of(BILLION_LAUGHS)
    assert str(error).startswith("config/deploy.yml:1: aliases expand more than 10000 times")


def test_a_few_aliases_still_expand() -> None:
    assert parse_yaml("a: &a [1, 2]\nb: *a\nc: [*a, *a]\n", filename="f").value["c"] == [
        [1, 2],
        [1, 2],
    ]


@pytest.mark.parametrize("text", ["a: &x [1, *x]", "a: &x {b: *x}", "a: &x {<<: *x}"])
def test_an_alias_inside_its_own_value_is_refused(text: str) -> None:
    assert str(error_of(text)) == (
        "config/deploy.yml:1: an alias refers to the map or list that contains it; "
        "YAML cannot expand that"
    )


@pytest.mark.parametrize(
    "text",
    [
        "a: " + "[" * 3000 + "]" * 3000,
        "a:\n" + "".join("  " * depth + "- \n" for depth in range(1, 300)),
        "a: " + "{b: " * 3000 + "1" + "}" * 3000,
    ],
    ids=["flow lists", "block lists", "flow maps"],
)
def test_deep_nesting_is_refused_instead_of_a_recursion_error(text: str) -> None:
    message = str(error_of(text))
    assert message.endswith(
        f"maps and lists nest deeper than {MAX_DEPTH} levels; flatten the config"
    )


def test_nesting_through_aliases_counts_too() -> None:
    deep = "[" * 40 + "1" + "]" * 40
    with pytest.raises(ConfigError, match="nest deeper than 64"):
        parse_yaml(f"a: &a {deep}\nb: {'[' * 30}*a{']' * 30}\n", filename="f")


@pytest.mark.parametrize(
    ("value", "tag"),
    [
        ("!!python/name:os.system", "!!python/name:os.system"),
        ("!!python/object/apply:os.system [ls]", "!!python/object/apply:os.system"),
        ("!ruby/object:Kamal::Configuration {}", "!ruby/object:Kamal::Configuration"),
        ("!!set {a: null}", "!!set"),
        ("!custom value", "!custom"),
    ],
)
def test_an_unknown_tag_is_named_with_its_line(value: str, tag: str) -> None:
    assert str(error_of(f"service: app\nx-a: {value}\n")) == (
        f"config/deploy.yml:2: unknown YAML tag {tag}; write a plain value (strings, numbers, "
        "true/false, null, lists and maps)"
    )


def test_core_tags_and_odd_plain_values_read_as_psych_reads_them() -> None:
    text = "a: !!str 1\nb: =\nc: <<\ne: !!int '7'\n"
    assert parse_yaml(text, filename="f").value == {
        "a": "1",
        "b": "=",
        "c": "<<",
        "e": 7,
    }


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("9" * 5000, "'" + "9" * 40 + "…' (5000 characters) as !!int"),
        ("!!bool maybe", "'maybe' as !!bool"),
    ],
)
def test_an_unreadable_value_is_one_line(value: str, shown: str) -> None:
    assert str(error_of(f"x-a: {value}\n")) == (
        f"config/deploy.yml:1: cannot read {shown}; quote it to keep it as text"
    )


def write(root: Path, data: bytes) -> Path:
    (root / "config").mkdir()
    (root / "config" / "deploy.yml").write_bytes(data)
    return root


def test_an_oversized_file_is_refused_before_it_is_read(tmp_path: Path) -> None:
    write(tmp_path, BASE.encode() + b"x-a: " + b"a" * (50 * 1024 * 1024) + b"\n")
    with pytest.raises(ConfigError) as caught:
        load_config(root=tmp_path, version="v1")
    assert str(caught.value) == (
        f"config/deploy.yml: is {len(BASE) + 50 * 1024 * 1024 + 6} bytes; a config file may hold "
        f"at most {MAX_FILE_BYTES} (256 KiB)"
    )


def test_a_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    write(tmp_path, BASE.encode() + b"servers: [\xff]\n")
    with pytest.raises(ConfigError) as caught:
        load_config(root=tmp_path, version="v1")
    offset = len(BASE) + len("servers: [")
    assert str(caught.value) == (
        f"config/deploy.yml: is not UTF-8 text (byte 0xff at offset {offset}); save it as UTF-8"
    )


def test_erb_output_over_the_limit_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ITEMS", ",".join(["x"] * 400))
    loop = "<% ENV['ITEMS'].split(',').each do |x| %>" + "y" * 1000 + "\n<% end %>"
    write(tmp_path, (BASE + loop).encode())
    with pytest.raises(ConfigError, match=r"^config/deploy.yml: renders to more than 262144"):
        load_config(root=tmp_path, version="v1")
