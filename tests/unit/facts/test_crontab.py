"""What the crontab edits print when they could not set their lines."""

from dockyard.facts.crontab import why_not_set


def test_why_the_lines_could_not_be_set() -> None:
    assert why_not_set("") is None
    assert why_not_set("last=12\n") is None
    assert why_not_set("no-restart-at-boot: the host has no crontab command\n") == (
        "the host has no crontab command"
    )
    assert why_not_set("x\nno-restart-at-boot:\n") == "crontab failed"
