"""Issue #18: env values too big for what carries them are refused up front, in one line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from dockyard.config.env_limits import MAX_ENV_FILE_LINE
from dockyard.errors import SecretsError
from dockyard.secrets import load_secrets
from tests.unit.config.conftest import BASE, error_of, parse

BIG = "x" * 100_000
SERVERS = "servers: [1.1.1.1]\n"


def test_a_big_clear_value_is_refused_when_loading() -> None:
    error = error_of(BASE + SERVERS + f"env:\n  clear:\n    BIG: {BIG}\n    SMALL: a\n")
    assert f"{error.key}: {error.message}" == (
        "env: the clear env of role web on 1.1.1.1 takes 100025 bytes of the docker run command "
        "line ('BIG' alone 100011); Linux passes at most 131072 in one command, so keep it under "
        "65536 (64 KiB)"
    )


def test_many_clear_values_count_together() -> None:
    values = "".join(f"    V{i}: {'y' * 9000}\n" for i in range(8))
    assert error_of(BASE + SERVERS + f"env:\n  clear:\n{values}").key == "env"


def test_a_role_env_and_tags_count_for_their_hosts() -> None:
    text = BASE + (
        "servers:\n  web:\n    hosts: [1.1.1.1, {1.1.1.2: big}]\n"
        f"    env: {{clear: {{A: {'a' * 40_000}}}}}\n"
        f"env:\n  tags:\n    big: {{B: {'b' * 40_000}}}\n"
    )
    error = error_of(text)
    assert (error.key, error.message.split(" takes")[0]) == (
        "servers/web/env",
        "the clear env of role web on 1.1.1.2",
    )


def test_an_accessory_clear_env() -> None:
    text = BASE + SERVERS + f"accessories:\n  db: {{image: x, host: 1.1.1.1, env: {{A: {BIG}}}}}\n"
    assert error_of(text).key == "accessories/db/env"


def test_a_clear_env_under_the_limit_loads() -> None:
    assert parse(BASE + SERVERS + f"env:\n  clear:\n    A: {'a' * 60_000}\n").env.clear["A"]


def write_secrets(root: Path, text: str) -> None:
    (root / ".kamal").mkdir(exist_ok=True)
    (root / ".kamal" / "secrets").write_text(text)


@pytest.mark.parametrize(
    ("value", "size"), [(BIG, 100_004), ("\n" * 40_000, 80_004)], ids=["long", "escaped"]
)
def test_a_secret_too_big_for_an_env_file_line_is_refused_by_name(
    tmp_path: Path, value: str, size: int
) -> None:
    write_secrets(tmp_path, f'BIG="{value}"\nOK=fine\n')
    secrets = load_secrets(".kamal/secrets", None, root=tmp_path)
    with pytest.raises(SecretsError) as caught:
        secrets.get("BIG")
    assert str(caught.value) == (
        f"Secret 'BIG' makes an env file line of {size} bytes; the engine reads lines of at most "
        "65535 (64 KiB): keep big values out of env"
    )
    assert secrets.get("OK") == "fine"


def test_a_secret_at_the_limit_is_kept(tmp_path: Path) -> None:
    value = "s" * (MAX_ENV_FILE_LINE - len("TOP="))
    write_secrets(tmp_path, f"TOP={value}\n")
    assert len(load_secrets(".kamal/secrets", None, root=tmp_path).get("TOP")) == len(value)


def test_deploy_refuses_a_big_secret_before_connecting(tmp_path: Path) -> None:
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "deploy.yml").write_text(
        BASE + "servers: [192.0.2.1]\nenv: {secret: [BIG]}\n"
    )
    write_secrets(tmp_path, f"BIG={BIG}\nKAMAL_REGISTRY_PASSWORD=x\n")
    done = subprocess.run(
        [sys.executable, "-m", "dockyard", "deploy", "-P", "--version", "v1"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert (done.returncode, done.stderr.splitlines()[-1]) == (
        1,
        "ERROR (SecretsError): Secret 'BIG' makes an env file line of 100004 bytes; the engine "
        "reads lines of at most 65535 (64 KiB): keep big values out of env",
    )
    assert BIG[:100] not in done.stdout + done.stderr
