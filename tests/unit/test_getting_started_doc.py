"""docs/getting-started.md without a lab: the runner of its shell blocks (tests/e2e/docrun.py)
reads and matches as it says, and the server config the document shows is one dockyard loads."""

from __future__ import annotations

from pathlib import Path

from dockyard.config.view import config_view
from dockyard.loading import load_config
from tests.e2e import docrun

DOC = Path(__file__).resolve().parents[2] / "docs" / "getting-started.md"
SERVER_PART = "## On a real server"

MARKDOWN = """# A doc
```sh
echo one
```
prose
```text
one
```
```sh
echo two
```
```yaml
not: output
```
## Stop
```sh
echo never
```
"""


def test_steps_are_the_sh_blocks_before_the_stop_each_with_the_text_block_after_it() -> None:
    steps = docrun.steps(MARKDOWN, "## Stop")
    assert steps == [
        docrun.Step(2, "echo one\n", "one\n"),
        docrun.Step(9, "echo two\n", None),
    ]


def test_expected_output_matches_line_for_line() -> None:
    assert docrun.matches("Hello\n", "\nHello\n\n")
    assert not docrun.matches("Hello\n", "Hello\nmore\n")
    assert not docrun.matches("Hello\n", "Hello there\n")
    assert docrun.matches("… 200\n", "    181 200\n")
    assert not docrun.matches("… 200\n", "    181 200\n      2 000\n")
    assert not docrun.matches("… 200\n", "      2 000\n")
    assert not docrun.matches("… 200\n", "")
    assert docrun.matches("…\nHello\n", "setup line\nanother\nHello\n")
    assert docrun.matches("…\nHello\n", "Hello\n")
    assert not docrun.matches("…\nHello\n", "Hello\nafter\n")
    assert not docrun.matches("lab … is down\n", "lab tgs\nis down\n")


def test_each_step_gets_its_own_output_and_a_failure_names_its_step(tmp_path: Path) -> None:
    steps = [
        docrun.Step(1, "x=1; echo a\n", None),
        docrun.Step(5, "echo $x; false; echo c\n", None),
        docrun.Step(9, "echo never\n", None),
    ]
    done = docrun.run(steps, cwd=str(tmp_path), env={"PATH": "/usr/bin:/bin"}, timeout=30)
    assert done.returncode == 1
    assert done.stdout == ["a\n", "1\n", None]
    assert done.failed_step() == 1


def test_the_document_runs_a_lab_and_shows_what_it_expects() -> None:
    steps = docrun.steps(DOC.read_text(), SERVER_PART)
    scripts = "".join(step.script for step in steps)
    for command in ("lab up", "lab env", "init --lab", "dockyard setup", "dockyard deploy",
                    "dockyard rollback", "lab down"):  # fmt: skip
        assert command in scripts, command
    assert sum(step.expected is not None for step in steps) >= 4


def test_the_server_config_in_the_document_loads(tmp_path: Path) -> None:
    yaml_blocks = [b for b in docrun.blocks(DOC.read_text(), "## none") if b.lang == "yaml"]
    assert len(yaml_blocks) == 1
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "deploy.yml").write_text(yaml_blocks[0].text)
    view = config_view(load_config(root=tmp_path, version="v1", env={}))
    assert view["hosts"] == ["203.0.113.10"]
    assert view["absolute_image"] == "yourname/hello:v1"
    assert view["proxy_image"] == "caddy:2.11"
    proxy = view["roles"]["web"]["proxy"]  # type: ignore[index]
    assert (proxy["hosts"], proxy["ssl"], proxy["app_port"]) == (["hello.example.com"], True, 8080)
    assert view["builder"]["remote"] is None  # type: ignore[index]
