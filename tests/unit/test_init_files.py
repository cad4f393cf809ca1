"""`dockyard init`: the Kamal template, and `--lab` configs that deploy to a running lab as they
are (loaded here by dockyard's own config loader)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockyard.config.view import config_view
from dockyard.loading import load_config
from dockyard.loading.init_files import (
    DEPLOY_YML,
    LabTarget,
    exposed_port,
    lab_deploy_yml,
    service_name,
    write_init_files,
)

LAB = LabTarget(
    name="tgs", subnet="10.219.0.0/24", servers=("10.219.0.11", "10.219.0.12"),
    builder="10.219.0.10", ssh_config="/var/lib/dockyard-lab/tgs/ssh_config",
    registry="registry.lab:5000", proxy_image="registry.lab:5000/caddy:2.11.7", engine="podman",
)  # fmt: skip


def test_a_service_name_comes_from_the_directory_name() -> None:
    assert service_name("hello") == "hello"
    assert service_name("My App.v2") == "my-app-v2"
    assert service_name("_shop_") == "shop"
    assert service_name("ü") == "app"


@pytest.mark.parametrize(
    ("dockerfile", "port"),
    [
        ("FROM x\nEXPOSE 8080\n", 8080),
        ("FROM x\nexpose 3000/tcp 3001\n", 3000),
        ("FROM x\nEXPOSE $PORT\n", None),
        ('FROM x\nCMD ["app"]\n', None),
        ("", None),
    ],
)
def test_the_port_comes_from_the_first_expose(dockerfile: str, port: int | None) -> None:
    assert exposed_port(dockerfile) == port


def load(root: Path) -> dict[str, object]:
    return config_view(load_config(root=root, version="v1", env={}))


def test_init_for_a_lab_deploys_to_it_as_written(tmp_path: Path) -> None:
    app = tmp_path / "Hello World"
    app.mkdir()
    (app / "Dockerfile").write_text("FROM registry.lab:5000/busybox\nEXPOSE 8080\n")
    written = write_init_files(app, LAB)
    assert written[0] == ("config/deploy.yml", True)
    view = load(app)
    assert (view["service"], view["image"]) == ("hello-world", "hello-world")
    assert view["absolute_image"] == "registry.lab:5000/hello-world:v1"
    assert view["hosts"] == ["10.219.0.11", "10.219.0.12"]
    assert (view["runtime"], view["proxy_image"]) == ("podman", LAB.proxy_image)
    assert view["builder"]["remote"] == "ssh://root@10.219.0.10"  # type: ignore[index]
    assert view["ssh"]["config"] == LAB.ssh_config  # type: ignore[index]
    assert view["registry"]["server"] == "registry.lab:5000"  # type: ignore[index]
    proxy = view["roles"]["web"]["proxy"]  # type: ignore[index]
    assert (proxy["hosts"], proxy["app_port"]) == ([], 8080)
    assert proxy["healthcheck"]["path"] == "/up"
    assert (
        "app_port: 8080  # from the Dockerfile's EXPOSE" in (app / "config/deploy.yml").read_text()
    )


def test_without_expose_the_lab_config_says_which_port_it_assumed() -> None:
    text = lab_deploy_yml(LAB, "shop", "FROM registry.lab:5000/busybox\n")
    assert "app_port: 80  # the port the app listens on (no EXPOSE in the Dockerfile: 80" in text
    text = lab_deploy_yml(LAB, "shop", None)
    assert "app_port: 80  # the port the app listens on (no Dockerfile here yet: 80" in text


def test_init_never_overwrites_and_without_a_lab_writes_the_kamal_template(tmp_path: Path) -> None:
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "deploy.yml").write_text("service: mine\n")
    written = dict(write_init_files(tmp_path, LAB))
    assert written["config/deploy.yml"] is False
    assert (tmp_path / "config" / "deploy.yml").read_text() == "service: mine\n"
    other = tmp_path / "other"
    other.mkdir()
    write_init_files(other)
    assert (other / "config" / "deploy.yml").read_text() == DEPLOY_YML


def test_the_template_marks_every_key_a_newcomer_must_change() -> None:
    marked = [line for line in DEPLOY_YML.splitlines() if "CHANGE:" in line]
    for key in ("app's name", "servers' addresses", "app's domain", "port the app listens",
                "where images are built"):  # fmt: skip
        assert any(key in line for line in marked), key
