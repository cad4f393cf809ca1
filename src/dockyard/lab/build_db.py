"""Build the lab's Postgres, MariaDB and Redis images from Debian's packages on this machine.

    ensure_db_images(lab) -> {"postgres": ref, "mariadb": ref, "redis": ref}

The files are the packages' binaries, the libraries `ldd` says they load (and the ones their
plugins load), and Postgres's share directory; the image is built on the lab's builder host and
pushed to its registry, cached by the hash of its context like the other lab images.
"""

from __future__ import annotations

import glob
import os
import re
from pathlib import Path

from dockyard.errors import LabError
from dockyard.lab import build, images_db, registry
from dockyard.lab import images as imgs
from dockyard.lab.info import LabInfo
from dockyard.lab.system import BUSYBOX, run

POSTGRES_HOME = "/usr/lib/postgresql/15"
POSTGRES_BINARIES = (
    "postgres", "initdb", "pg_ctl", "pg_dump", "pg_restore", "pg_isready", "psql", "pg_dumpall",
)  # fmt: skip
REDIS_BINARIES = ("/usr/bin/redis-check-rdb", "/usr/bin/redis-cli")
MARIADB_BINARIES = (
    "/usr/sbin/mariadbd", "/usr/bin/mariadb", "/usr/bin/mariadb-dump", "/usr/bin/mariadb-admin",
    "/usr/bin/my_print_defaults", "/usr/bin/resolveip",
)  # fmt: skip
MARIADB_SCRIPTS = ("/usr/bin/mariadb-install-db",)
# the names the official images also answer to
MARIADB_ALIASES = {"mysql": "mariadb", "mysqldump": "mariadb-dump", "mysqladmin": "mariadb-admin",
                   "mysqld": "mariadbd"}  # fmt: skip
# encrypted backups: openssl enc (the accessory image runs the backup script)
OPENSSL = ("/usr/bin/openssl", "/usr/lib/ssl/openssl.cnf")
# S3 targets: curl (7.75+, --aws-sigv4) and the CA bundle for https stores
CURL = ("/usr/bin/curl", "/etc/ssl/certs/ca-certificates.crt")
LOADER = "/lib64/ld-linux-x86-64.so.2"
PACKAGES_HINT = (
    "install Debian's postgresql-15, mariadb-server and redis-server (scripts/install-system.sh)"
)
_LDD_LINE = re.compile(r"=>\s+(\S+)\s+\(|^\s*(/\S+)\s+\(")


def libraries_of(paths: list[str]) -> set[str]:
    """Every shared library the given binaries load (ldd resolves the whole closure)."""
    found: set[str] = set()
    for path in paths:
        out = run(["ldd", path], timeout=30, check=False).stdout
        for line in out.splitlines():
            match = _LDD_LINE.search(line)
            if match:
                found.add(match.group(1) or match.group(2))
    return found


def _with_modes(paths: set[str] | list[str]) -> list[images_db.ImageFile]:
    """Each path with the real file behind it (links resolved) and that file's mode."""
    return sorted((p, os.path.realpath(p), os.stat(p).st_mode & 0o7777) for p in paths)


def _tree(root: str) -> list[str]:
    return [str(p) for p in Path(root).rglob("*") if p.is_file()]


def postgres_files() -> list[images_db.ImageFile]:
    binaries = [f"{POSTGRES_HOME}/bin/{name}" for name in POSTGRES_BINARIES]
    # server plugins (plpgsql, dictionaries...); the JIT pulls in LLVM (100 MB) and is left out
    plugins = [p for p in glob.glob(f"{POSTGRES_HOME}/lib/*.so") if "llvmjit" not in p]
    missing = [p for p in binaries if not os.path.isfile(p)]
    if missing:
        raise LabError(f"the lab's Postgres image needs {missing[0]}; {PACKAGES_HINT}")
    share = _tree("/usr/share/postgresql/15")
    zones = ["/usr/share/zoneinfo/UTC", "/usr/share/zoneinfo/Etc/UTC"]
    _need(CURL)
    libraries = libraries_of([*binaries, *plugins, OPENSSL[0], CURL[0]])
    return _with_modes(
        {*binaries, *plugins, *share, *zones, *libraries, *OPENSSL, *CURL, LOADER, BUSYBOX}
    )


def redis_files() -> list[images_db.ImageFile]:
    missing = [p for p in REDIS_BINARIES if not os.path.isfile(p)]
    if missing:
        raise LabError(f"the lab's Redis image needs {missing[0]}; {PACKAGES_HINT}")
    _need(CURL)
    libraries = libraries_of([*REDIS_BINARIES, OPENSSL[0], CURL[0]])
    return _with_modes({*REDIS_BINARIES, *libraries, *OPENSSL, *CURL, LOADER, BUSYBOX})


def _need(paths: tuple[str, ...]) -> None:
    missing = [p for p in paths if not os.path.isfile(p)]
    if missing:
        raise LabError(f"the lab's database images need {missing[0]}; install Debian's curl and "
                       "ca-certificates (scripts/install-system.sh)")  # fmt: skip


def mariadb_files() -> list[images_db.ImageFile]:
    missing = [p for p in (*MARIADB_BINARIES, *MARIADB_SCRIPTS) if not os.path.isfile(p)]
    if missing:
        raise LabError(f"the lab's MariaDB image needs {missing[0]}; {PACKAGES_HINT}")
    # the SQL that makes the system tables, the error messages and character sets; not the
    # other languages' messages
    share = [p for p in _tree("/usr/share/mysql") if p.count("/") == 4 or "/english/" in p
             or "/charsets/" in p]  # fmt: skip
    zones = ["/usr/share/zoneinfo/UTC", "/usr/share/zoneinfo/Etc/UTC"]
    libraries = libraries_of([*MARIADB_BINARIES, OPENSSL[0]])
    every = {*MARIADB_BINARIES, *MARIADB_SCRIPTS, *share, *zones, *libraries, *OPENSSL}
    return _with_modes({*every, LOADER, BUSYBOX})


def mariadb_image() -> imgs.ImageSpec:
    image = images_db.mariadb_image(mariadb_files())
    aliases = [
        imgs.Entry(f"root/usr/{'sbin' if new == 'mariadbd' else 'bin'}/{old}", 0o755,
                   source=f"/usr/{'sbin' if new == 'mariadbd' else 'bin'}/{new}")
        for old, new in MARIADB_ALIASES.items()
    ]  # fmt: skip
    return imgs.ImageSpec(image.key, image.repository, image.tags, (*image.entries, *aliases))


def db_images() -> list[imgs.ImageSpec]:
    postgres = images_db.postgres_image(postgres_files(), f"{POSTGRES_HOME}/bin")
    redis = images_db.redis_image(redis_files())
    # redis-server is redis-check-rdb under another name (it looks at argv[0])
    redis = imgs.ImageSpec(
        redis.key,
        redis.repository,
        redis.tags,
        (*redis.entries, imgs.Entry("root/usr/bin/redis-server", 0o755, source=REDIS_BINARIES[0])),
    )
    return [postgres, mariadb_image(), redis]


def ensure_db_images(lab: LabInfo) -> dict[str, str]:
    """Build (or find in the registry) the database images; key -> reference hosts pull."""
    builder = lab.builder
    built = [build.ensure_image(image, lab.dir, builder.socket, lab.registry)
             for image in db_images()]  # fmt: skip
    if any(built):  # the next lab (any name) finds them in the machine's image cache
        registry.publish_to_cache(lab.dir, build.cached_repositories())
    return {
        "postgres": imgs.reference(images_db.POSTGRES_REPOSITORY, images_db.POSTGRES_TAG),
        "redis": imgs.reference(images_db.REDIS_REPOSITORY, images_db.REDIS_TAG),
        "mariadb": imgs.reference(images_db.MARIADB_REPOSITORY, images_db.MARIADB_TAG),
    }
