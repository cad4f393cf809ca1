"""`app logs`, `accessory logs` and `proxy logs` through the CLI's own entry point: Kamal's flags
read into one LogQuery, and the lines printed after their host and role (the workflows they
call are replaced here; tests/unit/workflows/test_logs_details_remove.py runs them)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from dockyard.cli import accessory as accessory_cli
from dockyard.cli import app as app_cli
from dockyard.cli import proxy as proxy_cli
from dockyard.cli.main import run
from dockyard.commands.logs import LogQuery

CONFIG = """\
service: app
image: me/app
registry: {username: me, password: [KAMAL_REGISTRY_PASSWORD]}
builder: {arch: amd64}
servers:
  web: [10.0.0.1, 10.0.0.2]
  worker: {hosts: [10.0.0.2], proxy: false}
accessories:
  db: {image: postgres:15, host: 10.0.0.1}
"""


@pytest.fixture(autouse=True)
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "deploy.yml").write_text(CONFIG)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    """What the command printed; it must succeed (run() returns, or exits 0)."""
    try:
        run(list(argv))
    except SystemExit as exit_info:
        assert exit_info.code == 0, capsys.readouterr().err
    return capsys.readouterr().out


class Recorder:
    """Stands in for a workflow: records the query (and the rest) it was called with."""

    def __init__(self, answer: object) -> None:
        self.answer = answer
        self.calls: list[tuple[Any, ...]] = []

    def __call__(self, *args: Any, **kwargs: Any) -> object:
        self.calls.append((*args[1:], *kwargs.values()))  # the session left out
        return self.answer


FOUND = {"10.0.0.1": {"web": ["t1 GET /"]}, "10.0.0.2": {"web": [], "worker": None}}


def test_app_logs_reads_kamals_flags_and_prefixes_each_line_with_host_and_role(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    logs = Recorder(FOUND)
    monkeypatch.setattr(app_cli.app_logs, "logs", logs)
    assert cli(capsys, "app", "logs") == (
        "10.0.0.1 (web): t1 GET /\n"
        "10.0.0.2 (web): (nothing)\n"
        "10.0.0.2 (worker): (no running container)\n"
    )
    cli(capsys, "app", "logs", "-s", "1h", "-g", "GET /up", "--grep-options", "-i -C 2", "-T",
        "-r", "web")  # fmt: skip
    cli(capsys, "app", "logs", "--since", "42m", "--lines", "5", "--skip-timestamps",
        "--container-id", "4f2a")  # fmt: skip
    assert logs.calls == [
        (LogQuery(lines=100), None),
        (LogQuery(since="1h", timestamps=False, grep="GET /up", grep_options=("-i", "-C", "2")),
         None),
        (LogQuery(lines=5, since="42m", timestamps=False), "4f2a"),
    ]  # fmt: skip
    assert json.loads(cli(capsys, "app", "logs", "--json")) == FOUND


def test_app_logs_by_container_id_says_where_there_is_none(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    found = {"10.0.0.1": {"4f2a": None}, "10.0.0.2": {"4f2a": ["booted"]}}
    monkeypatch.setattr(app_cli.app_logs, "logs", Recorder(found))
    assert cli(capsys, "app", "logs", "--container-id", "4f2a") == (
        "10.0.0.1 (4f2a): (no such container)\n10.0.0.2 (4f2a): booted\n"
    )


def test_follow_hands_over_to_ssh_with_ten_lines_unless_told(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    handed: list[list[str]] = []

    def hand_over(argv: list[str]) -> None:
        handed.append(argv)
        raise SystemExit(0)  # as os.execvp never returns

    follows = {name: Recorder(["ssh", name]) for name in ("app", "accessory", "proxy")}
    monkeypatch.setattr(app_cli.app_logs, "follow", follows["app"])
    monkeypatch.setattr(accessory_cli.manage, "follow_logs", follows["accessory"])
    monkeypatch.setattr(proxy_cli.manage, "follow_logs", follows["proxy"])
    for module in (app_cli, accessory_cli, proxy_cli):
        monkeypatch.setattr(module, "hand_over", hand_over)
    cli(capsys, "app", "logs", "-f")
    cli(capsys, "accessory", "logs", "db", "-f", "-g", "FATAL")
    cli(capsys, "proxy", "logs", "--follow", "-n", "3")
    assert handed == [["ssh", "app"], ["ssh", "accessory"], ["ssh", "proxy"]]
    assert follows["app"].calls == [(LogQuery(lines=10, follow=True), None)]
    assert follows["accessory"].calls == [("db", LogQuery(grep="FATAL", follow=True))]
    assert follows["proxy"].calls == [(LogQuery(lines=3, follow=True),)]


def test_accessory_and_proxy_logs_read_the_same_flags(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    accessory, proxy = Recorder({"10.0.0.1": ["ready"]}), Recorder({"10.0.0.1": []})
    monkeypatch.setattr(accessory_cli.manage, "logs", accessory)
    monkeypatch.setattr(proxy_cli.manage, "logs", proxy)
    assert cli(capsys, "accessory", "logs", "db", "-T", "-g", "x", "--grep-options", "-v") == (
        "10.0.0.1: ready\n"
    )
    assert cli(capsys, "proxy", "logs", "-s", "10m") == "10.0.0.1: (nothing)\n"
    assert accessory.calls == [("db", LogQuery(timestamps=False, grep="x", grep_options=("-v",)))]
    assert proxy.calls == [(LogQuery(since="10m"),)]


def test_proxy_logs_have_no_grep_options_as_kamals(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        run(["proxy", "logs", "--grep-options", "-i"])
    assert exit_info.value.code == 2
    assert "No such option '--grep-options'" in capsys.readouterr().err
