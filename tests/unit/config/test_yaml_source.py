import pytest

from dockyard.config.merge import deep_merge
from dockyard.config.yamlsource import parse_yaml
from dockyard.errors import ConfigError


def test_marks_record_the_line_of_every_key() -> None:
    doc = parse_yaml("service: a\nservers:\n  web:\n    hosts:\n      - 1.1.1.1\n", filename="f")
    assert doc.where(("servers", "web", "hosts")) == ("f", 4)
    assert doc.where(("servers", "web", "hosts", 0)) == ("f", 5)
    assert doc.where(("servers", "web", "hosts", 7, "x")) == ("f", 4)


def test_merge_key_overrides_keys_before_it_like_psych() -> None:
    text = (
        "x: &x {a: 2, b: 3}\ny: &y {a: 5, c: 9}\nz:\n  a: 1\n  <<: *x\n  b: 4\nw:\n  <<: [*x, *y]\n"
    )
    value = parse_yaml(text, filename="f").value
    assert value["z"] == {"a": 2, "b": 4}
    assert value["w"] == {"a": 2, "c": 9, "b": 3}
    assert list(value["w"]) == ["a", "c", "b"]


def test_aliases_dates_and_symbols_as_ruby_reads_them() -> None:
    text = "a: &h [1, 2]\nb: *h\nd: 2024-01-01\ns: :verbose\nn: 1_000\ny: yes\ne: 1e3\n"
    value = parse_yaml(text, filename="f").value
    assert value == {
        "a": [1, 2], "b": [1, 2], "d": "2024-01-01", "s": ":verbose", "n": 1000, "y": True,
        "e": "1e3",
    }  # fmt: skip


def test_empty_document_is_an_empty_map() -> None:
    assert parse_yaml("# nothing\n", filename="f").value == {}


@pytest.mark.parametrize(
    "after",
    ["...\nNotes: [not yaml\n\tat all: {\n", "... # the end\n---\nservice: other\n", "...\n"],
)
def test_text_after_the_document_end_marker_is_not_read_like_psych(after: str) -> None:
    doc = parse_yaml("service: a\nservers: [1.1.1.1]\n" + after, filename="f")
    assert doc.value == {"service": "a", "servers": ["1.1.1.1"]}


def test_a_second_document_without_an_end_marker_is_refused_at_its_line() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_yaml("service: a\n---\nservice: b\n", filename="config/deploy.yml")
    assert str(caught.value) == (
        "config/deploy.yml:2: a second YAML document starts here (`---`); Kamal reads only the "
        "first and would ignore this one: remove it, or end the config with `...` above notes"
    )


def test_syntax_error_names_file_and_line() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_yaml("a: 1\nb: [1, 2\nc: 3\n", filename="config/deploy.yml")
    assert caught.value.file == "config/deploy.yml"
    assert caught.value.line == 3
    assert "is not valid YAML" in str(caught.value)


def test_deep_merge_merges_maps_and_replaces_lists_and_their_marks() -> None:
    base = parse_yaml("a: {x: 1, y: [1, 2]}\nb: 1\n", filename="base")
    over = parse_yaml("a:\n  y: [3]\n  z: 2\n", filename="dest")
    merged = deep_merge(base, over)
    assert merged.value == {"a": {"x": 1, "y": [3], "z": 2}, "b": 1}
    assert merged.where(("a", "y", 1)) == ("dest", 2)
    assert merged.where(("a", "x")) == ("base", 1)
    assert merged.where(("a", "z")) == ("dest", 3)
