"""The edge's state as its one-trip read prints it."""

from __future__ import annotations

import base64
import io
import tarfile
from datetime import UTC, datetime

from dockyard.facts.edge import (
    EdgeState,
    last_error,
    not_after,
    parse_edge_state,
    stored_expiries,
    stored_names,
    upstream_health,
)

# Self-signed certificates for shop.test (openssl req -x509 -days 1500 and 12500): one expires
# on 2031-01-12 (a UTCTime), the other on 2061-02-23 (a GeneralizedTime)
EXPIRES_2031 = """-----BEGIN CERTIFICATE-----
MIIBfDCCASOgAwIBAgIUb175rjoppsHB43EvnFF+cWdSlnAwCgYIKoZIzj0EAwIw
FDESMBAGA1UEAwwJc2hvcC50ZXN0MB4XDTI2MTIwNDA4MDkxN1oXDTMxMDExMjA4
MDkxN1owFDESMBAGA1UEAwwJc2hvcC50ZXN0MFkwEwYHKoZIzj0CAQYIKoZIzj0D
AQcDQgAEflXrhzxN3n2Ryi0SY8WhBQPrtoOgkU017BQSGH+Qr9fAuhUEsGV2pYwv
PQ2iuBXrE/Rhs6ofG6RHcRHzFqCUs6NTMFEwHQYDVR0OBBYEFMF13LCh5/Y+Ye9A
2WtRlZdaiopIMB8GA1UdIwQYMBaAFMF13LCh5/Y+Ye9A2WtRlZdaiopIMA8GA1Ud
EwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDRwAwRAIgc37sZPS+3m9AHPf9oOfxHpcd
RFqCRZNMrNbmdoz02KgCIHXpaU2GjYY1+btTyhe/6nh6RYA2OCH35QDn2AXSMj5b
-----END CERTIFICATE-----
"""
EXPIRES_2061 = """-----BEGIN CERTIFICATE-----
MIIBfjCCASWgAwIBAgIUXVS4sgE8o+aFhMvFcGIWY8NATHswCgYIKoZIzj0EAwIw
FDESMBAGA1UEAwwJc2hvcC50ZXN0MCAXDTI2MTIwNDA4MDkxN1oYDzIwNjEwMjIz
MDgwOTE3WjAUMRIwEAYDVQQDDAlzaG9wLnRlc3QwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAASm6OzN32Mrm2CBNRLOAOpxc54rnRevJxKsPp1k6YVM1SSW48u4SyrU
0WjFAnTnWjXBdUnX4/T8Ki99E+DBi796o1MwUTAdBgNVHQ4EFgQUi6YZGCf+MXkQ
tUj6vXQun3SmhZwwHwYDVR0jBBgwFoAUi6YZGCf+MXkQtUj6vXQun3SmhZwwDwYD
VR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNHADBEAiANYnOvMbXZUEi1VCkn5xHZ
rVUS5npy5wSnAPw/yfBhzAIgLyo3DNZHVrhPcegAA80grf6TiLKd+EGjK+sSFaLi
x2M=
-----END CERTIFICATE-----
"""


def test_a_running_edge_with_its_config_mounts_and_hosts_file() -> None:
    out = (
        '/home/deploy\0{"apps": {}}\n\0true /dockyard /etc/hosts /data \n\x00127.0.0.1 localhost\n'
    )
    assert parse_edge_state(out) == EdgeState(
        "/home/deploy", '{"apps": {}}\n', True, "127.0.0.1 localhost\n", True, True
    )
    older = parse_edge_state("/home/deploy\0{}\0false /dockyard /data \n\0")
    assert (older.running, older.exists, older.hosts_mounted) == (False, True, False)


def test_an_edge_never_booted() -> None:
    assert parse_edge_state("/home/deploy\0\0missing\n") == EdgeState("/home/deploy", "", False)
    assert parse_edge_state("/root\0{}\n\0false\n").running is False


def tar_of(*paths: str) -> str:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for path in paths:
            info = tarfile.TarInfo(path)
            info.size = 4
            tar.addfile(info, io.BytesIO(b"data"))
    return base64.b64encode(buffer.getvalue()).decode()


def test_the_names_with_a_stored_certificate_are_read_from_the_tar() -> None:
    archive = tar_of(
        "certificates/ca-14000-dir/shop.test/shop.test.crt",
        "certificates/ca-14000-dir/shop.test/shop.test.key",
        "certificates/ca-14000-dir/www.shop.test/www.shop.test.key",  # no certificate yet
        "certificates/ca-14000-dir/blog.test/blog.test.json",
    )
    assert stored_names(archive + "\n") == {"shop.test"}
    assert stored_names("") == set()
    assert stored_names("not base64!") == set()
    assert stored_names(base64.b64encode(b"not a tar").decode()) == set()
    assert stored_names(base64.b64encode(b"x" * 1024).decode()) == set()


def test_when_a_stored_certificate_expires_is_read_from_its_first_pem_block() -> None:
    assert not_after(EXPIRES_2031.encode()) == datetime(2031, 1, 12, 8, 9, 17, tzinfo=UTC)
    assert not_after(EXPIRES_2061.encode()) == datetime(2061, 2, 23, 8, 9, 17, tzinfo=UTC)
    chain = (EXPIRES_2061 + EXPIRES_2031).encode()  # the leaf first, as certmagic stores it
    assert not_after(chain) == datetime(2061, 2, 23, 8, 9, 17, tzinfo=UTC)
    assert not_after(b"data") is None
    assert not_after(EXPIRES_2031[:200].encode() + b"\n-----END CERTIFICATE-----\n") is None
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, body in (("shop.test", EXPIRES_2031), ("blog.test", "not one")):
            info = tarfile.TarInfo(f"certificates/ca-dir/{name}/{name}.crt")
            info.size = len(body)
            tar.addfile(info, io.BytesIO(body.encode()))
    assert stored_expiries(base64.b64encode(buffer.getvalue()).decode()) == {
        "shop.test": datetime(2031, 1, 12, 8, 9, 17, tzinfo=UTC)
    }


def test_long_names_in_pax_records_and_directories_are_read_as_go_writes_them() -> None:
    name = "a" * 120 + ".test"
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        tar.addfile(tarfile.TarInfo("certificates/ca-dir"), None)
        for path in (f"certificates/ca-dir/{name}/{name}.crt", "certificates/ca-dir/b/b.crt"):
            info = tarfile.TarInfo(path)
            info.size = 700  # more than one block
            tar.addfile(info, io.BytesIO(b"x" * 700))
    assert stored_names(base64.b64encode(buffer.getvalue()).decode()) == {name, "b"}


def test_the_last_error_of_the_edges_log_is_caddys_own_words_on_one_line() -> None:
    log = (
        '{"level":"error","logger":"tls.obtain","msg":"will retry","error":"first"}\n'
        "not json\n"
        '{"level":"error","logger":"tls.obtain","msg":"could not get certificate from issuer",'
        '"error":"HTTP 400 urn:ietf:params:acme:error:connection - refused\\nagain"}\n'
    )
    assert last_error(log) == "HTTP 400 urn:ietf:params:acme:error:connection - refused again"
    assert last_error('{"level":"error","msg":"only a message"}') == "only a message"
    assert last_error("") == ""


def test_an_upstream_s_health_from_the_edge_s_probe_answer() -> None:
    assert upstream_health(200, "ok") == "healthy"
    assert upstream_health(503, "drained from the load balancer") == "drained"
    assert upstream_health(503, "Service temporarily unavailable") == (
        "down: 503: Service temporarily unavailable"  # the app's own 503 (maintenance)
    )
    assert upstream_health(502, "dial tcp 10.0.0.3:80: connect: connection refused") == (
        "down: 502: dial tcp 10.0.0.3:80: connect: connection refused"
    )
    assert upstream_health(404, "") == "down: 404"
