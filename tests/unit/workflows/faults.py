"""Fault injection for workflow scenario tests on the scripted FakeTransport.

    steps = await happy_path(make_fake, run)            # every remote step, in order
    problems = await each_step_failing(make_fake, run, check, steps)
    assert problems == []                                # one line per step that misbehaved

`make_fake()` builds a FakeTransport scripted for the happy path; `run(fake)` runs the workflow
on it. For every step of the happy path and every fault in FAULTS, the workflow runs again on a
fresh fake where that step fails:

    exit      the step exits 1, with an injected line on stderr; an upload or a stream (which
              have no exit status) is refused by the server instead, as the real transport
              reports it (SshError: "file transfer failed" / "refused to open a channel")
    dropped   the connection drops (SshConnectError, as the real transport maps it)
    hang      the step never answers: it ends at its deadline with CommandTimeout, or, with no
              deadline at all, waits for good (then the bound below fails the case)
    silent    the host stops answering at this step: this step and every later one on that host
              fail with HostUnreachable, as the real transport reports a link cut (not in FAULTS:
              a suite asks for it with faults=WITH_SILENT)

Each run must end within BOUND seconds of wall time (the fake answers at once, so a real hang
is the only way to reach it); then `check(failure, fake, error)` says what is wrong with how it
ended ("" when nothing): the error it raised (None when it succeeded), and the fake, to look at
what ran after the fault (was the lock released, was the serving version left serving...).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from dockyard.errors import DockyardError, HostUnreachable, SshConnectError, SshError
from dockyard.ssh.fake import HANG, Call, FakeTransport, Outcome, Reply

Fault = Literal["exit", "dropped", "hang", "silent"]
FAULTS: tuple[Fault, ...] = ("exit", "dropped", "hang")
WITH_SILENT: tuple[Fault, ...] = (*FAULTS, "silent")
SILENCE = 12.0  # the seconds a silent host's error names
BOUND = 5.0  # seconds a failing run may take before it counts as hung
INJECTED = "injected failure"

MakeFake = Callable[[], FakeTransport]
Run = Callable[[FakeTransport], Awaitable[object]]


@dataclass(frozen=True)
class Failure:
    index: int  # the step's position in the happy path
    call: Call  # the step as the happy path ran it
    fault: Fault

    def __str__(self) -> str:
        call = self.call
        return f"step {self.index} ({call.host} {call.kind} {call.text[:70]!r}) {self.fault}"

    @property
    def injected(self) -> str:
        """The line an `exit` fault puts on stderr (or in the refusal of an upload or stream)."""
        return f"{INJECTED}: step {self.index}"

    def outcome(self, host: str) -> Outcome:
        if self.fault == "exit" and self.call.kind == "upload":
            return SshError(host, f"file transfer failed: {self.injected}")
        if self.fault == "exit" and self.call.kind == "connect":
            return SshError(host, f"the server refused to open a channel: {self.injected}")
        if self.fault == "exit":
            return Reply(1, "", self.injected)
        if self.fault == "dropped":
            return SshConnectError(host, f"connection lost: {INJECTED}")
        if self.fault == "silent":
            return HostUnreachable(host, SILENCE)
        return HANG

    def fails(self, index: int, call: Call) -> bool:
        """Whether the fault failed this step of a run (so it did not happen)."""
        if self.fault == "silent":
            return index >= self.index and call.host == self.call.host
        return index == self.index

    def inject(self, fake: FakeTransport) -> FakeTransport:
        """Make this step fail on `fake` (it must be the same step the happy path ran there);
        a silent host fails every later step on it too."""

        def rule(host: str, wire: str) -> Outcome | None:
            index = len(fake.calls) - 1
            if index > self.index and self.fails(index, fake.calls[index]):
                return self.outcome(host)
            if index != self.index:
                return None
            ran = fake.calls[self.index]
            if steady(ran) != steady(self.call):
                raise AssertionError(f"step {self.index} differs from the happy path: {ran}")
            return self.outcome(host)

        return fake.first(rule)


# What differs between two runs of the same step: clock readings, random tokens, encoded details
# (a lock's holder with its time and process).
_VOLATILE = (
    (re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"), "<time>"),
    (re.compile(r"(?<![0-9a-f])[0-9a-f]{16,}(?![0-9a-f])"), "<token>"),
    # (with a capital letter: a long lower-case path such as .dockyard/apps/x/assets/... is not)
    (
        re.compile(
            r"(?<![A-Za-z0-9+/=])(?=[a-z0-9+/]*[A-Z])[A-Za-z0-9+/]{40,}={0,2}(?![A-Za-z0-9+/=])"
        ),
        "<base64>",
    ),
)


def steady(call: Call) -> Call:
    """The step with what changes from run to run (times, tokens) replaced by placeholders."""
    text = call.text
    for pattern, placeholder in _VOLATILE:
        text = pattern.sub(placeholder, text)
    return Call(call.host, call.kind, text)


Check = Callable[[Failure, FakeTransport, BaseException | None], str]


async def happy_path(make_fake: MakeFake, run: Run) -> list[Call]:
    fake = make_fake()
    await asyncio.wait_for(run(fake), BOUND)
    return list(fake.calls)


async def ended(
    failure: Failure, make_fake: MakeFake, run: Run
) -> tuple[FakeTransport, BaseException | None]:
    """Run with the failure injected; (the fake, what it raised or None). A run still going
    after BOUND seconds raises AssertionError."""
    fake = failure.inject(make_fake())
    try:
        async with asyncio.timeout(BOUND):
            await run(fake)
    except TimeoutError:
        raise AssertionError(f"{failure}: the workflow hung (no end within {BOUND:g}s)") from None
    except Exception as error:  # what the workflow raised is what the test looks at
        return fake, error
    return fake, None


async def each_step_failing(
    make_fake: MakeFake,
    run: Run,
    check: Check,
    steps: Sequence[Call] | None = None,
    faults: Sequence[Fault] | Callable[[Call], Sequence[Fault]] = FAULTS,
) -> list[str]:
    """One line per (step, fault) whose run hung or that `check` finds wrong. `faults` may be
    a function of the step: a step that grows with the data (UNBOUNDED) has no "hang" to end."""
    steps = steps if steps is not None else await happy_path(make_fake, run)
    problems = []
    for index, call in enumerate(steps):
        for fault in faults(call) if callable(faults) else faults:
            failure = Failure(index, call, fault)
            try:
                fake, error = await ended(failure, make_fake, run)
            except AssertionError as hung:
                problems.append(str(hung))
                continue
            wrong = check(failure, fake, error)
            if wrong:
                problems.append(f"{failure}: {wrong}")
    return problems


def one_line(error: BaseException | None) -> str:
    """The error as the CLI prints it: `ERROR (Type): message` must be one line."""
    if error is None:
        return ""
    kind = error.kind if isinstance(error, DockyardError) else type(error).__name__
    return f"ERROR ({kind}): {error}"
