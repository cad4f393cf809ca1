"""An accessory's files on the server: a file rendered from the accessory's secrets is 0600,
the others keep Kamal's 0755 (or their `mode`), and ~/<service> is closed to other users."""

from __future__ import annotations

from pathlib import Path

from dockyard.config import parse_config
from dockyard.redaction import Secret
from dockyard.ssh.fake import FakeTransport
from dockyard.workflows.accessories.context import AccessoryContext
from dockyard.workflows.accessories.files import holds_a_secret, names_a_secret, rendered_files
from dockyard.workflows.accessories.lifecycle import upload_files
from dockyard.workflows.server import Server

APP = """
service: shop
image: demo
registry: {server: registry.lab:5000, username: u, password: [REGISTRY_PASSWORD]}
builder: {arch: amd64}
servers: [10.0.0.1]
accessories:
  db:
    image: postgres:15
    host: 10.0.0.1
    env:
      clear: {POSTGRES_USER: shop}
      secret: [POSTGRES_PASSWORD, "DB_URL:SHOP_DATABASE_URL"]
    files:
      - db/init.sql.erb:/docker-entrypoint-initdb.d/init.sql
      - db/notes.conf.erb:/etc/shop/notes.conf
      - db/static.txt:/etc/shop/static.txt
      - local: db/url.conf.erb
        remote: /etc/shop/url.conf
        mode: "0644"
"""


def context(root: Path) -> AccessoryContext:
    (root / "db").mkdir()
    (root / "db" / "init.sql.erb").write_text(
        "ALTER USER shop PASSWORD '<%= ENV['POSTGRES_PASSWORD'] %>';\n"
    )
    (root / "db" / "notes.conf.erb").write_text("owner = <%= ENV['POSTGRES_USER'] %>\n")
    (root / "db" / "static.txt").write_text("POSTGRES_PASSWORD is not here\n")
    (root / "db" / "url.conf.erb").write_text('url = <%= ENV.fetch("DB_URL") %>\n')
    config = parse_config([("config/deploy.yml", APP)], version="v1")
    secrets = {"POSTGRES_PASSWORD": Secret("pg-s3cret"), "SHOP_DATABASE_URL": Secret("pg://x")}
    return AccessoryContext(config, config.accessory("db"), secrets, root)


def test_a_template_naming_a_secret_variable_is_rendered_from_secrets(tmp_path: Path) -> None:
    ctx = context(tmp_path)
    secrets = ctx.secret_env()
    assert sorted(secrets) == ["DB_URL", "POSTGRES_PASSWORD"]  # the names the container sees
    env = {**ctx.accessory.env.clear, **secrets}
    files = rendered_files(ctx.accessory, env, tmp_path, None, secrets=secrets)
    assert [(f.file.remote, f.from_secrets) for f in files] == [
        ("/docker-entrypoint-initdb.d/init.sql", True),
        ("/etc/shop/notes.conf", False),
        ("/etc/shop/static.txt", False),  # not a template: its text is uploaded as it is
        ("/etc/shop/url.conf", True),
    ]
    assert files[0].content == b"ALTER USER shop PASSWORD 'pg-s3cret';\n"


def test_names_are_matched_whole() -> None:
    assert names_a_secret("<%= ENV['PW'] %>", ["PW"])
    assert not names_a_secret("<%= ENV['PW_HINT'] %> <%= ENV['OLD_PW'] %>", ["PW"])


def test_a_template_reaching_a_secret_without_its_name_holds_it(tmp_path: Path) -> None:
    ctx = context(tmp_path)
    (tmp_path / "db" / "notes.conf.erb").write_text(
        "POSTGRES_PASS=<%= ENV['POSTGRES_' + 'PASSWORD'] %>\n"  # rendered natively, no ruby
    )
    secrets = ctx.secret_env()
    env = {"POSTGRES_USER": "shop", **secrets}
    files = rendered_files(ctx.accessory, env, tmp_path, None, secrets=secrets)
    notes = next(f for f in files if f.file.remote == "/etc/shop/notes.conf")
    assert notes.content == b"POSTGRES_PASS=pg-s3cret\n" and notes.from_secrets
    assert holds_a_secret("url = pg://x", ["", "pg://x"])
    assert not holds_a_secret("url = ", ["", "pg://y"])  # an empty value is in every text


async def test_secret_files_are_600_in_a_closed_directory(tmp_path: Path) -> None:
    ctx = context(tmp_path)
    fake = FakeTransport(default_timeout=30)
    await upload_files(Server(fake, "10.0.0.1", ctx.engine), ctx)
    assert fake.commands_on("10.0.0.1") == [
        'mkdir -p "$HOME/shop-db" "$HOME/shop-db/docker-entrypoint-initdb.d" '
        '"$HOME/shop-db/etc/shop" && chmod 700 "$HOME/shop-db"',
        'chmod 600 "$HOME/shop-db/docker-entrypoint-initdb.d/init.sql"',
        'chmod 755 "$HOME/shop-db/etc/shop/notes.conf"',
        'chmod 755 "$HOME/shop-db/etc/shop/static.txt"',
        'chmod 0644 "$HOME/shop-db/etc/shop/url.conf"',  # the mode the config gives
    ]
    # every file is written 0600 first: none is readable by others before its chmod
    assert {u.mode for u in fake.uploads["10.0.0.1"]} == {0o600}
