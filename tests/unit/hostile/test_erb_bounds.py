"""Issue #18: ERB that would loop, nest or print without end is refused with one line."""

from __future__ import annotations

import shutil

import pytest

from dockyard.config.erb import ErbHost, parse
from dockyard.errors import ErbError
from dockyard.templating import render_erb

QUIET = ErbHost(env=lambda name: None, shell=lambda command: "", read_file=lambda path: "")


def rendered(text: str, host: ErbHost = QUIET) -> str:
    return parse(text, filename="deploy.yml").render(host)


def error_of(text: str, host: ErbHost = QUIET) -> str:
    with pytest.raises(ErbError) as caught:
        rendered(text, host)
    assert "\n" not in str(caught.value)
    return str(caught.value)


def test_parentheses_nested_too_deep() -> None:
    text = "<%= " + "(" * 100 + "1" + ")" * 100 + " %>"
    assert error_of(text) == "deploy.yml:1: an expression nests deeper than 32 levels"


def test_a_tag_with_too_many_parts() -> None:
    text = "<%= " + " + ".join(["'a'"] * 300) + " %>"
    assert error_of(text) == "deploy.yml:1: a tag holds more than 256 values and calls; split it"


def test_many_negations_are_not_recursion() -> None:
    assert rendered("<%= " + "!" * 5000 + "true %>") == "true"
    assert rendered("<%= " + "!" * 5001 + "nil %>") == "true"


def test_blocks_nested_too_deep() -> None:
    text = "<% if true %>" * 40 + "x" + "<% end %>" * 40
    assert error_of(text) == "deploy.yml:1: if/each blocks nest deeper than 32 levels"


def test_too_many_steps() -> None:
    items = ",".join(["x"] * 2000)
    host = ErbHost(env=lambda name: items, shell=lambda c: "", read_file=lambda p: "")
    loops = "<% ENV['I'].split(',').each do |a| %><% ENV['I'].split(',').each do |b| %><% end %>"
    text = loops + "<% end %>"
    assert error_of(text, host) == (
        "deploy.yml: takes more than 100000 steps to render (loops inside loops?); simplify it"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("<%= " + "9" * 5000 + " %>", "deploy.yml:1: an integer of 5000 digits is too long"),
        (
            "<%= '" + "9" * 5000 + "'.to_i %>",
            "deploy.yml:1: to_i of a number of 5000 digits: too long",
        ),
    ],
)
def test_numbers_too_long_to_read(text: str, message: str) -> None:
    assert error_of(text) == message


def test_uniq_is_linear_and_tells_true_from_1() -> None:
    host = ErbHost(env=lambda name: "a," * 100_000, shell=lambda c: "", read_file=lambda p: "")
    assert rendered("<%= ENV['X'].split(',').uniq %>", host) == '["a"]'
    assert rendered("<%= [1, true, 1, 'x', true].uniq %>") == '[1, true, "x"]'


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("<%= `yes` %>", "deploy.yml:1: `yes` prints more than 262144 bytes (256 KiB), the most a "
         "config file may hold"),
        ('<%= File.read("/dev/zero") %>', 'deploy.yml:1: File.read("/dev/zero"): holds more than '
         "262144 bytes (256 KiB), the most a config file may hold"),
    ],
)  # fmt: skip
def test_effects_are_read_only_up_to_the_limit(text: str, message: str) -> None:
    with pytest.raises(ErbError) as caught:
        render_erb(text, filename="deploy.yml", destination=None)
    assert str(caught.value) == message


@pytest.mark.skipif(shutil.which("ruby") is None, reason="ruby is not installed")
def test_ruby_output_is_read_only_up_to_the_limit() -> None:
    text = "<% loop { $stdout.write('y' * 4096) } %>"
    with pytest.raises(ErbError) as caught:
        render_erb(text, filename="deploy.yml", destination=None)
    assert str(caught.value) == (
        "deploy.yml: Ruby's ERB output prints more than 262144 bytes (256 KiB), the most a "
        "config file may hold"
    )
