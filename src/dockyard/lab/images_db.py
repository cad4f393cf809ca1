"""The lab's database images (Postgres, MariaDB, Redis), made from Debian's packages here.

Pure: an image is the listed files copied to the same paths under `root/`, plus Debian's static
busybox for the shell, and an entrypoint that behaves like the official images' (POSTGRES_USER,
POSTGRES_PASSWORD, POSTGRES_DB on first start; MARIADB_*/MYSQL_* ROOT_PASSWORD, DATABASE, USER,
PASSWORD on first start; REDIS_PASSWORD). build_db.py finds the files
(binaries and the libraries `ldd` names) and builds the images on the lab's builder host.
"""

from __future__ import annotations

from collections.abc import Iterable

from dockyard.lab.images import Entry, ImageSpec

POSTGRES_REPOSITORY = "postgres"
POSTGRES_TAG = "15"
REDIS_REPOSITORY = "redis"
REDIS_TAG = "7"
MARIADB_REPOSITORY = "mariadb"
MARIADB_TAG = "10.11"
REPOSITORIES = (POSTGRES_REPOSITORY, REDIS_REPOSITORY, MARIADB_REPOSITORY)
POSTGRES_UID = 999  # the official image's postgres user (and mysql user in the MariaDB image)


def passwd(user: str = "postgres", home: str = "/var/lib/postgresql") -> str:
    return f"root:x:0:0:root:/root:/bin/sh\n{user}:x:999:999:{user}:{home}:/bin/sh\n"


def group(user: str = "postgres") -> str:
    return f"root:x:0:\n{user}:x:999:\n"


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


MARIADB_ENTRYPOINT = r"""#!/bin/sh
# Like the official MariaDB image (MYSQL_* names are read too, as it does): the first start
# creates the system tables, sets the root password (MARIADB_ROOT_PASSWORD, required unless
# MARIADB_ALLOW_EMPTY_ROOT_PASSWORD or MARIADB_RANDOM_ROOT_PASSWORD) for root@localhost and
# root@MARIADB_ROOT_HOST (default %), creates MARIADB_DATABASE and MARIADB_USER with
# MARIADB_PASSWORD (all privileges on that database), and runs /docker-entrypoint-initdb.d/*.sql
# and *.sh; any other command given runs instead of the server.
set -e
case "$1" in mariadbd|mysqld) shift ;; -*) ;; *) exec "$@" ;; esac
datadir=/var/lib/mysql
if [ "$(id -u)" = 0 ]; then
  mkdir -p "$datadir" /run/mysqld
  chown -R mysql:mysql "$datadir" /run/mysqld
  exec su mysql -s /bin/sh -c 'exec "$0" mariadbd "$@"' "$0" "$@"
fi
env_of() { eval "v=\${MARIADB_$1:-\${MYSQL_$1:-}}"; printf '%s' "$v"; }
quoted() { printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e "s/'/\\\\'/g"; }
if [ ! -d "$datadir/mysql" ]; then
  root_pw=$(env_of ROOT_PASSWORD)
  if [ -z "$root_pw" ] && [ -n "$(env_of RANDOM_ROOT_PASSWORD)" ]; then
    root_pw=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
    echo "GENERATED ROOT PASSWORD: $root_pw"
  fi
  empty=${MARIADB_ALLOW_EMPTY_ROOT_PASSWORD:-${MYSQL_ALLOW_EMPTY_PASSWORD:-}}
  if [ -z "$root_pw" ] && [ -z "$empty" ]; then
    echo "error: database is uninitialized and password option is not specified" >&2
    echo "  set one of MARIADB_ROOT_PASSWORD, MARIADB_ALLOW_EMPTY_ROOT_PASSWORD," \
      "MARIADB_RANDOM_ROOT_PASSWORD" >&2
    exit 1
  fi
  root_host=$(env_of ROOT_HOST); root_host=${root_host:-%}
  database=$(env_of DATABASE); user=$(env_of USER); password=$(env_of PASSWORD)
  mariadb-install-db --datadir="$datadir" --skip-test-db --skip-name-resolve \
    --auth-root-authentication-method=normal --rpm > /dev/null
  mariadbd --skip-networking --socket=/run/mysqld/init.sock "$@" &
  pid=$!
  i=0
  until mariadb-admin --socket=/run/mysqld/init.sock -uroot ping > /dev/null 2>&1; do
    i=$((i + 1)); [ $i -lt 240 ] || { echo "error: the server did not start" >&2; exit 1; }
    sleep 0.25
  done
  pw=$(quoted "$root_pw")
  {
    echo "DELETE FROM mysql.global_priv WHERE User = '' OR (User = 'root' AND Host NOT IN"
    echo "  ('localhost', '$(quoted "$root_host")'));"
    echo "ALTER USER 'root'@'localhost' IDENTIFIED BY '$pw';"
    if [ "$root_host" != localhost ]; then
      echo "CREATE USER IF NOT EXISTS 'root'@'$(quoted "$root_host")' IDENTIFIED BY '$pw';"
      echo "GRANT ALL ON *.* TO 'root'@'$(quoted "$root_host")' WITH GRANT OPTION;"
    fi
    [ -z "$database" ] || echo "CREATE DATABASE IF NOT EXISTS \`$database\`;"
    if [ -n "$user" ]; then
      echo "CREATE USER '$(quoted "$user")'@'%' IDENTIFIED BY '$(quoted "$password")';"
      [ -z "$database" ] || echo "GRANT ALL ON \`$database\`.* TO '$(quoted "$user")'@'%';"
    fi
    echo "FLUSH PRIVILEGES;"
  } | mariadb --socket=/run/mysqld/init.sock -uroot
  for f in /docker-entrypoint-initdb.d/*; do
    case "$f" in
      *.sql) echo "running $f"
        MYSQL_PWD=$root_pw mariadb --socket=/run/mysqld/init.sock -uroot $database < "$f" ;;
      *.sh) echo "running $f"; . "$f" ;;
    esac
  done
  MYSQL_PWD=$root_pw mariadb-admin --socket=/run/mysqld/init.sock -uroot shutdown
  wait "$pid" || true
  echo "MariaDB initialized in $datadir"
fi
exec mariadbd "$@"
"""

MARIADB_CNF = """[client-server]
socket = /run/mysqld/mysqld.sock
port = 3306

[mariadbd]
datadir = /var/lib/mysql
bind-address = 0.0.0.0
skip-name-resolve
lc-messages-dir = /usr/share/mysql
character-set-server = utf8mb4
collation-server = utf8mb4_general_ci
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
    user: tuple[str, str] = ("postgres", "/var/lib/postgresql"),
) -> ImageSpec:  # fmt: skip
    dockerfile = DOCKERFILE.format(env=env, stop_signal=stop_signal, cmd=cmd)
    entries = [
        Entry("Dockerfile", text=dockerfile),
        *rootfs_entries(files, [*dirs, "/etc"]),
        Entry("root/etc/passwd", text=passwd(*user)),
        Entry("root/etc/group", text=group(user[0])),
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
    path = f"{bin_dir}:/usr/local/bin:/usr/bin:/bin"
    env = f"PATH={path} PGDATA=/var/lib/postgresql/data TZ=UTC LANG=C"
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


def mariadb_image(files: list[ImageFile]) -> ImageSpec:
    extra = [
        Entry("root/usr/local/bin/docker-entrypoint.sh", 0o755, text=MARIADB_ENTRYPOINT),
        Entry("root/etc/mysql/my.cnf", text=MARIADB_CNF),
        Entry("root/var/lib/mysql", 0o755),
        Entry("root/run/mysqld", 0o777),
        Entry("root/docker-entrypoint-initdb.d", 0o755),
    ]
    return _image(
        "mariadb", MARIADB_REPOSITORY, MARIADB_TAG, files, extra,
        env="PATH=/usr/local/bin:/usr/bin:/usr/sbin:/bin TZ=UTC LANG=C", stop_signal="SIGTERM",
        cmd="mariadbd", dirs=["/usr/local/bin", "/var/lib", "/run", "/etc/mysql", "/bin"],
        user=("mysql", "/var/lib/mysql"),
    )  # fmt: skip
