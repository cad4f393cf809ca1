"""Parsing what a prune printed after its marker (commands.prune.reported)."""

from dockyard.facts.prune import Pruned, parse_pruned


def test_no_marker_means_no_prune_ran() -> None:
    assert parse_pruned("") == Pruned(())
    assert parse_pruned("webv1h1\nremoved container abc\n") == Pruned(())  # before the marker


def test_removals_after_the_marker_are_counted_by_kind() -> None:
    pruned = parse_pruned(
        "webv1h1\n--- dockyard: prune ---\nremoved container 0123456789ab\n"
        "removed registry.lab:5000/demo:v1\nremoved registry.lab:5000/demo:v2\n"
    )
    assert pruned.removed == (
        "container 0123456789ab", "registry.lab:5000/demo:v1", "registry.lab:5000/demo:v2"
    )  # fmt: skip
    assert (pruned.failure, pruned.containers, pruned.images) == (None, 1, 2)


def test_a_failure_says_the_exit_status_and_the_engines_words_in_one_line() -> None:
    pruned = parse_pruned(
        "--- dockyard: prune ---\nremoved container 0123456789ab\n"
        "Error response from daemon: conflict: unable to remove repository reference "
        '"r/demo:v1" (must force) - container 5e1 is using its referenced image 9f0\n'
        "--- dockyard: prune failed, exit 1\n"
    )
    assert pruned.removed == ("container 0123456789ab",)
    assert pruned.failure == (
        'exited 1: Error response from daemon: conflict: unable to remove repository reference "r/'
        'demo:v1" (must force) - container 5e1 is using its referenced image 9f0'
    )


def test_a_failure_with_nothing_said_says_so() -> None:
    pruned = parse_pruned("--- dockyard: prune ---\n--- dockyard: prune failed, exit 137\n")
    assert pruned.failure == "exited 137: no output on stderr"
