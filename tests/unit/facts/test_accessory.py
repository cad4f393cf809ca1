"""Parsers of accessory listings, from Docker's and Podman's outputs."""


def test_container_state_from_docker_and_podman() -> None:
    from dockyard.facts.accessory import parse_container_state

    assert parse_container_state("shop-db\trunning\nshop-db-backup\texited\n", "shop-db") == (
        "running"
    )
    assert parse_container_state("shop-db\tUp 21 seconds ago\n", "shop-db") == "running"
    assert parse_container_state("shop-db\tExited (0) 3 seconds ago\n", "shop-db") == "exited"
    assert parse_container_state("shop-db-backup\trunning\n", "shop-db") is None


def test_details_show_the_state_as_docker_says_it_on_both_engines() -> None:
    from dockyard.facts.accessory import details_line

    docker = "shop-db\trunning\tUp 3 seconds\tpostgres:15\t127.0.0.1:5432->5432/tcp"
    podman = "shop-db\tUp 3 seconds ago\tUp 3 seconds ago\tpostgres:15\t127.0.0.1:5432->5432/tcp"
    assert (
        details_line(docker)
        == "shop-db  running  Up 3 seconds  postgres:15  127.0.0.1:5432->5432/tcp"
    )
    assert details_line(podman).startswith("shop-db  running  Up 3 seconds ago  postgres:15")
    assert details_line("c\tExited (0) 1 second ago\tExited (0) 1 second ago\tr\t") == (
        "c  exited  Exited (0) 1 second ago  r  "
    )
