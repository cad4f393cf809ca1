"""How the lab judges its processes from /proc."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dockyard.lab.system import is_ours, mid_exec

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


def test_a_running_named_process_is_judged_by_its_arguments() -> None:
    assert not mid_exec(os.getpid())
    assert is_ours(os.getpid(), Path(sys.executable).name)  # python is in our own cmdline
    assert not is_ours(os.getpid(), "no-such-argument-anywhere")


def test_a_missing_or_zombie_process_is_not_starting() -> None:
    assert not mid_exec(0) and not mid_exec(2**22 + 12345)
    child = subprocess.Popen(["true"])
    deadline = time.monotonic() + 10
    while Path(f"/proc/{child.pid}/stat").read_text().rsplit(")", 1)[-1].split()[0] != "Z":
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert not mid_exec(child.pid)  # a zombie has an empty cmdline too, but it is gone
    child.wait()


def test_a_live_process_with_an_empty_cmdline_is_starting() -> None:
    kthreadd = Path("/proc/2")
    if not kthreadd.exists() or (kthreadd / "cmdline").read_bytes():
        pytest.skip("no kernel thread visible here to stand for a process between two execs")
    assert mid_exec(2)
