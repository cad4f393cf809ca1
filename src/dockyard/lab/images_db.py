"""The lab's database images (Postgres and Redis), made from Debian's packages on this machine.

Pure: an image is the listed files copied to the same paths under `root/`, plus Debian's static
busybox for the shell, and an entrypoint that behaves like the official images' (POSTGRES_USER,
POSTGRES_PASSWORD, POSTGRES_DB on first start; REDIS_PASSWORD). build_db.py finds the files
(binaries and the libraries `ldd` names) and builds the images on the lab's builder host.
"""

from __future__ import annotations

from collections.abc import Iterable

from dockyard.lab.images import Entry, ImageSpec

POSTGRES_REPOSITORY = "postgres"
POSTGRES_TAG = "15"
REDIS_REPOSITORY = "redis"
REDIS_TAG = "7"
POSTGRES_UID = 999  # the official image's postgres user

PASSWD = "root:x:0:0:root:/root:/bin/sh\npostgres:x:999:999:postgres:/var/lib/postgresql:/bin/sh\n"
GROUP = "root:x:0:\npostgres:x:999:\n"

DOCKERFILE = """# Built from Debian's packages on the lab machine: nothing from any other registry.
FROM scratch
COPY root/ /
RUN ["/bin/busybox", "--install", "-s", "/bin"]
ENV {env}
STOPSIGNAL {stop_signal}
ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]
CMD ["{cmd}"]
"""

POSTGRES_ENTRYPOINT = r"""#!/bin/sh
# Like the official image: the first start creates the cluster from POSTGRES_USER (default
# postgres), POSTGRES_PASSWORD (required) and POSTGRES_DB (default: the user); any other command
# given runs instead of the server.
set -e
if [ "$1" != postgres ]; then exec "$@"; fi
shift
: "${PGDATA:=/var/lib/postgresql/data}"
: "${POSTGRES_USER:=postgres}"
: "${POSTGRES_DB:=$POSTGRES_USER}"
if [ "$(id -u)" = 0 ]; then
  mkdir -p "$PGDATA" /var/run/postgresql
  chown -R postgres:postgres "$PGDATA" /var/run/postgresql
  chmod 700 "$PGDATA"
  exec su postgres -s /bin/sh -c 'exec "$0" postgres "$@"' "$0" "$@"
fi
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  if [ -z "$POSTGRES_PASSWORD" ]; then
    echo "error: set POSTGRES_PASSWORD (the database is not initialized)" >&2
    exit 1
  fi
  pwfile="$(mktemp)"
  printf '%s\n' "$POSTGRES_PASSWORD" > "$pwfile"
  initdb -D "$PGDATA" -U "$POSTGRES_USER" --pwfile="$pwfile" -E UTF8 --locale=C \
    --auth-local=trust --auth-host=scram-sha-256 >/dev/null
  rm -f "$pwfile"
  echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
  if [ "$POSTGRES_DB" != postgres ]; then
    echo "CREATE DATABASE \"$POSTGRES_DB\"" | postgres --single -D "$PGDATA" postgres >/dev/null
  fi
  echo "database cluster initialized in $PGDATA"
fi
exec postgres -D "$PGDATA" -c listen_addresses='*' "$@"
"""

REDIS_ENTRYPOINT = r"""#!/bin/sh
# redis-server with its data in /data; REDIS_PASSWORD, when set, becomes requirepass.
set -e
if [ "$1" != redis-server ]; then exec "$@"; fi
shift
cd /data
if [ -n "$REDIS_PASSWORD" ]; then
  exec redis-server --dir /data --requirepass "$REDIS_PASSWORD" "$@"
fi
exec redis-server --dir /data "$@"
"""


def _parents(path: str) -> list[str]:
    parts = path.strip("/").split("/")[:-1]
    return ["/".join(parts[: i + 1]) for i in range(len(parts))]


# (path in the image, file on this machine it is a copy of, mode)
ImageFile = tuple[str, str, int]


def rootfs_entries(files: Iterable[ImageFile], dirs: Iterable[str] = ()) -> list[Entry]:
    """Entries under `root/` for machine files copied into the image, and for empty dirs; every
    parent directory is listed once (mode 755), before what it holds."""
    entries: dict[str, Entry] = {"root": Entry("root", 0o755)}
    for directory in dirs:
        for parent in _parents(directory + "/x"):
            entries.setdefault(f"root/{parent}", Entry(f"root/{parent}", 0o755))
    for path, source, mode in files:
        for parent in _parents(path):
            entries.setdefault(f"root/{parent}", Entry(f"root/{parent}", 0o755))
        entries[f"root/{path.strip('/')}"] = Entry(f"root/{path.strip('/')}", mode, source=source)
    return list(entries.values())


def _image(
    key: str, repository: str, tag: str, files: list[ImageFile], extra: list[Entry],
    *, env: str, stop_signal: str, cmd: str, dirs: Iterable[str] = (),
) -> ImageSpec:  # fmt: skip
    dockerfile = DOCKERFILE.format(env=env, stop_signal=stop_signal, cmd=cmd)
    entries = [
        Entry("Dockerfile", text=dockerfile),
        *rootfs_entries(files, [*dirs, "/etc"]),
        Entry("root/etc/passwd", text=PASSWD),
        Entry("root/etc/group", text=GROUP),
        Entry("root/tmp", 0o1777),
        *extra,
    ]
    return ImageSpec(key, repository, (tag,), tuple(entries))


def postgres_image(files: list[ImageFile], bin_dir: str) -> ImageSpec:
    extra = [
        Entry("root/usr/local/bin/docker-entrypoint.sh", 0o755, text=POSTGRES_ENTRYPOINT),
        Entry("root/var/lib/postgresql", 0o755),
        Entry("root/var/run/postgresql", 0o2775),
    ]
    env = (
        f"PATH={bin_dir}:/usr/local/bin:/usr/bin:/bin PGDATA=/var/lib/postgresql/data TZ=UTC LANG=C"
    )
    dirs = ["/usr/local/bin", "/var/lib", "/var/run", "/bin"]
    return _image(
        "postgres", POSTGRES_REPOSITORY, POSTGRES_TAG, files, extra,
        env=env, stop_signal="SIGINT", cmd="postgres", dirs=dirs,
    )  # fmt: skip


def redis_image(files: list[ImageFile]) -> ImageSpec:
    extra = [
        Entry("root/usr/local/bin/docker-entrypoint.sh", 0o755, text=REDIS_ENTRYPOINT),
        Entry("root/data", 0o777),
    ]
    return _image(
        "redis", REDIS_REPOSITORY, REDIS_TAG, files, extra,
        env="PATH=/usr/local/bin:/usr/bin:/bin", stop_signal="SIGTERM", cmd="redis-server",
        dirs=["/usr/local/bin", "/bin"],
    )  # fmt: skip
