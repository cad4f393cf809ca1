"""The lab's image contexts and names (pure)."""

import pytest

from dockyard.lab import images

TEMPLATES = {name: f"<{name}>" for name in images.TEMPLATES}


def test_app_variants_differ_only_in_their_version_and_variant_files() -> None:
    v1 = images.app_image("v1", TEMPLATES, "/bin/busybox")
    slow = images.app_image("slow", TEMPLATES, "/bin/busybox")
    assert v1.key == "demo:v1" and v1.repository == "demo" and v1.tags == ("v1",)
    differ = {a.path for a, b in zip(v1.entries, slow.entries, strict=True) if a != b}
    assert differ == {"app/version", "app/variant"}
    by_path = {e.path: e for e in v1.entries}
    assert by_path["busybox"].source == "/bin/busybox"
    assert by_path["busybox"].mode == 0o755
    assert by_path["app/start.sh"].text == "<start.sh>"
    assert by_path["app"].is_dir


def test_unknown_variant_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown app variant"):
        images.app_image("v3", TEMPLATES, "/bin/busybox")


def test_proxy_image_holds_caddy_certs_and_data_dirs() -> None:
    proxy = images.proxy_image(TEMPLATES, "/venv/bin/caddy")
    by_path = {e.path: e for e in proxy.entries}
    assert by_path["root/usr/bin/caddy"].source == "/venv/bin/caddy"
    assert by_path["root/etc/ssl/certs/ca-certificates.crt"].source == images.CA_CERTS
    assert all(by_path[d].is_dir for d in ("root/data", "root/config", "root/tmp"))
    assert proxy.tags == ("2.11.7", "latest")


def test_references_and_content_tags() -> None:
    assert images.reference("demo", "v1") == "registry.lab:5000/demo:v1"
    assert images.content_tag("ab" * 32) == "c-abababababababab"
    refs = images.image_refs(images.lab_images(TEMPLATES, "/bin/busybox", "/c"))
    assert refs == {
        "demo:v1": "registry.lab:5000/demo:v1",
        "demo:v2": "registry.lab:5000/demo:v2",
        "demo:unhealthy": "registry.lab:5000/demo:unhealthy",
        "demo:slow": "registry.lab:5000/demo:slow",
        "demo:ws": "registry.lab:5000/demo:ws",
        "base": "registry.lab:5000/busybox:latest",
        "proxy": "registry.lab:5000/caddy:2.11.7",
    }


def test_the_base_image_for_your_own_app_is_busybox_alone() -> None:
    base = images.base_image(TEMPLATES, "/bin/busybox")
    assert (base.key, base.repository, base.tags) == ("base", "busybox", ("latest",))
    assert [(e.path, e.mode, e.text, e.source) for e in base.entries] == [
        ("Dockerfile", 0o644, "<base.Dockerfile>", None),
        ("busybox", 0o755, None, "/bin/busybox"),
    ]


def test_the_database_images_find_openssl_for_encrypted_backups() -> None:
    """The backup script runs in the accessory's own image and calls `openssl` by name: /usr/bin
    (where the images hold it) must be on each image's PATH."""
    from dockyard.lab import images_db

    images = [
        images_db.postgres_image([], "/usr/lib/postgresql/15/bin"),
        images_db.mariadb_image([]),
        images_db.redis_image([]),
    ]
    for image in images:
        dockerfile = next(e.text for e in image.entries if e.path == "Dockerfile") or ""
        path = dockerfile.split("ENV PATH=", 1)[1].split()[0].split(":")
        assert "/usr/bin" in path, image.repository
