"""The certificate mover of two ACME edges: its install's exact render, and its script run by
bash against the other edge's certificates served over HTTP (a stand-in for its Caddy route),
with real openssl keys and certificates: a later certificate for the key this edge holds is
taken (its .json too), an older one, one for another key, a 404 and an edge that does not
answer change nothing."""

from __future__ import annotations

import http.server
import socket
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from dockyard.commands import edge_mover

ISSUER = "acme.example-directory"
NAME = "demo.test"
STORED = f"acme/certificates/{ISSUER}/{NAME}/{NAME}"  # under the edge's state dir


def test_install_writes_the_script_where_the_other_edge_is_and_the_crontab_line() -> None:
    assert edge_mover.install("10.0.0.5", 80).render() == (
        'mkdir -p "$HOME/.dockyard/edge" && cd "$HOME/.dockyard/edge" && cat > mover.sh.tmp && '
        "mv -f mover.sh.tmp mover.sh && printf 'PEER=10.0.0.5\\nPORT=80\\nCERTIFICATES=/.well-kno"
        "wn/dockyard-edge/certificates/\\n' > mover.env && { if ! command -v crontab > /dev/null"
        ' 2>&1; then echo "no-restart-at-boot: the host has no crontab command"; elif ! { cront'
        "ab -l > crontab.old 2> crontab.err || grep -q '^no crontab for' crontab.err; }; then e"
        'cho "no-restart-at-boot: crontab -l: $(head -n 1 crontab.err)"; else { grep -v -F \'# d'
        "ockyard-edge-mover' crontab.old; printf '%s\\n' '* * * * * PATH=/usr/local/sbin:/usr/lo"
        'cal/bin:/usr/sbin:/usr/bin:/sbin:/bin; cd "$HOME/.dockyard/edge" 2> /dev/null && [ -f '
        "mover.env ] && { flock -n mover.lock timeout 50 bash mover.sh >> mover.log 2>&1; tail "
        "-n 200 mover.log > mover.log.tmp && mv -f mover.log.tmp mover.log; } # dockyard-edge-m"
        "over'; } > crontab.new; cmp -s crontab.old crontab.new || crontab crontab.new 2> cront"
        'ab.err || echo "no-restart-at-boot: crontab: $(head -n 1 crontab.err)"; fi; rm -f cron'
        "tab.old crontab.new crontab.err; }"
    )
    assert edge_mover.crontab_line() == (
        "* * * * * PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin; "
        'cd "$HOME/.dockyard/edge" 2> /dev/null && [ -f mover.env ] && { flock -n mover.lock '
        "timeout 50 bash mover.sh >> mover.log 2>&1; tail -n 200 mover.log > mover.log.tmp && "
        "mv -f mover.log.tmp mover.log; } # dockyard-edge-mover"
    )


def openssl(*args: str | Path) -> None:
    subprocess.run(["openssl", *map(str, args)], check=True, capture_output=True)


def key(path: Path) -> Path:
    openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", path)
    return path


def certificate(path: Path, key_file: Path, days: int) -> Path:
    openssl("req", "-x509", "-new", "-key", key_file, "-days", days, "-subj", f"/CN={NAME}",
            "-out", path)  # fmt: skip
    return path


class Peer:
    """The other edge's certificates route: GET CERTIFICATES_PATH<rel> answers files[rel]."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        files = self.files

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                rel = self.path.removeprefix(edge_mover.CERTIFICATES_PATH)
                body = files.get(rel)
                self.send_response(200 if body is not None else 404)
                self.end_headers()
                self.wfile.write(body or b"not found\n")

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def peer() -> Iterator[Peer]:
    found = Peer()
    yield found
    found.server.shutdown()
    found.server.server_close()


def at(state: Path, suffix: str) -> Path:
    """The stored certificate's file with this suffix (.crt, .key, .json) in a state dir."""
    return state / f"{STORED}{suffix}"


@pytest.fixture
def edge(tmp_path: Path) -> Path:
    """This edge's state dir with the mover installed as install() writes it, and a stored
    certificate valid 2 days for its key."""
    state = tmp_path / "edge"
    (state / STORED).parent.mkdir(parents=True)
    key(at(state, ".key"))
    certificate(at(state, ".crt"), at(state, ".key"), 2)
    at(state, ".json").write_text('{"sans": ["demo.test"], "ours": true}')
    (state / "mover.sh").write_text(edge_mover.MOVER_SH)
    return state


def run_mover(edge: Path, port: int) -> str:
    (edge / "mover.env").write_text(
        f"PEER=127.0.0.1\nPORT={port}\nCERTIFICATES={edge_mover.CERTIFICATES_PATH}\n"
    )
    done = subprocess.run(["timeout", "20", "bash", "mover.sh"], cwd=edge, capture_output=True,
                          text=True)  # fmt: skip
    assert done.returncode == 0 and done.stderr == "", done.stderr
    assert not (edge / "mover.crt").exists() and not (edge / "mover.json").exists()
    return done.stdout


def stored(edge: Path, suffix: str) -> bytes:
    return at(edge, suffix).read_bytes()


def test_a_later_certificate_for_this_edges_key_is_taken_with_its_json(
    edge: Path, peer: Peer, tmp_path: Path
) -> None:
    later = certificate(tmp_path / "later.crt", at(edge, ".key"), 9)
    peer.files[f"{ISSUER}/{NAME}/{NAME}.crt"] = later.read_bytes()
    peer.files[f"{ISSUER}/{NAME}/{NAME}.json"] = b'{"sans": ["demo.test"], "theirs": true}'
    said = run_mover(edge, peer.port)
    assert stored(edge, ".crt") == later.read_bytes()
    assert stored(edge, ".json") == b'{"sans": ["demo.test"], "theirs": true}'
    assert f"{ISSUER}/{NAME}/{NAME}: the other edge's, expires notAfter=" in said
    assert run_mover(edge, peer.port) == ""  # the same one again: nothing to take


def test_an_older_certificate_is_left_where_it_is(edge: Path, peer: Peer, tmp_path: Path) -> None:
    ours = stored(edge, ".crt")
    older = certificate(tmp_path / "older.crt", at(edge, ".key"), 1)
    peer.files[f"{ISSUER}/{NAME}/{NAME}.crt"] = older.read_bytes()
    assert run_mover(edge, peer.port) == ""
    assert stored(edge, ".crt") == ours


def test_a_certificate_for_another_key_is_never_taken(
    edge: Path, peer: Peer, tmp_path: Path
) -> None:
    ours = stored(edge, ".crt")
    other = certificate(tmp_path / "other.crt", key(tmp_path / "other.key"), 9)
    peer.files[f"{ISSUER}/{NAME}/{NAME}.crt"] = other.read_bytes()
    assert run_mover(edge, peer.port) == ""
    assert stored(edge, ".crt") == ours


def test_a_404_and_an_edge_that_does_not_answer_change_nothing(edge: Path, peer: Peer) -> None:
    ours = stored(edge, ".crt"), stored(edge, ".json")
    assert run_mover(edge, peer.port) == ""  # it has no such certificate: 404
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        closed = unused.getsockname()[1]
    assert run_mover(edge, closed) == ""  # nothing listens there
    assert (stored(edge, ".crt"), stored(edge, ".json")) == ours
