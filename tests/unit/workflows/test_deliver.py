"""What a failed registry login or push says."""

from dockyard.errors import CommandFailed, Result
from dockyard.workflows.delivery.deliver import registry_error


def test_a_refused_registry_login_says_to_check_the_credentials() -> None:
    refused = "Error response from daemon: Get http://r.example/v2/: unauthorized: incorrect"
    result = Result("10.0.0.9", "docker login ...", 1, "", refused)
    error = registry_error("10.0.0.9", CommandFailed(result))
    assert str(error) == (
        "10.0.0.9: the registry refused the login; check registry.username and "
        "registry.password (and the secret they name)"
    )


def test_another_push_failure_gives_its_last_line() -> None:
    result = Result("b", "docker push x", 1, "", "The push refers to x\nno space left on device")
    assert str(registry_error("b", CommandFailed(result))) == (
        "b: the push failed: no space left on device"
    )
