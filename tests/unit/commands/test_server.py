"""Exact renders of the commands on the servers themselves."""

from dockyard.commands import server


def test_the_users_words_are_shell_text_as_in_kamal() -> None:
    assert server.shell(["df", "-h", "/ | tail -1"]).render() == "df -h / | tail -1"
    assert server.shell(["uptime && hostname"]).render() == "uptime && hostname"
