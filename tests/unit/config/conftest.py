"""Helpers for config unit tests: a valid base config and a way to parse variants of it."""

from __future__ import annotations

import textwrap

import pytest

from dockyard.config import Config, parse_config
from dockyard.errors import ConfigError

BASE = """\
service: app
image: me/app
registry:
  username: me
  password: [KAMAL_REGISTRY_PASSWORD]
builder:
  arch: amd64
"""


def parse(text: str, *, destination: str | None = None, extra: str | None = None) -> Config:
    files = [("config/deploy.yml", textwrap.dedent(text))]
    if extra is not None:
        files.append((f"config/deploy.{destination}.yml", textwrap.dedent(extra)))
    return parse_config(files, destination=destination, version="v1")


def error_of(text: str, **kwargs: str) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        parse(text, **kwargs)
    return caught.value
