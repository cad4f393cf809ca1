"""Asset bridging (pure): each version's assets copied out of its image, and a volume per
version holding its own files and those of the other versions kept, mounted at `asset_path`.

On a server, under the home, per role (`RoleAssets.directory`):

    .dockyard/apps/<service>[-<destination>]/assets/<role>/
        extracted/<version>/   the version's files as its image holds them (readable by all)
        volumes/<version>/     what that version's container mounts: its own files first, then
                               those of every other extracted version (a name it has already
                               is never replaced, so each version keeps its own manifest)

A deploy of version N, on every host before any host boots (so that a host still serving the
old version has N's files when another host switches to N): `prepare` extracts N, fills N's
volume and adds N's files to every other volume, the old container's among them. Once the old
containers are stopped, `retire` removes the other volumes, stamps their versions' extracted
files as retired now (their mtime), and removes the extracted files of versions retired more
than RETENTION_MINUTES ago. A version's files are thus in every volume made within the
retention after it stopped serving, and in the serving volume until the first deploy after.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from dockyard.commands.base import HomePath, Raw, Seq, all_of, cmd
from dockyard.engine import Engine

# Rails' `assets:clean` keeps older assets for an hour by default; so does dockyard.
RETENTION_MINUTES = 60


@dataclass(frozen=True)
class RoleAssets:
    """Where one role's asset versions live on a server, and where its containers mount them."""

    directory: str  # relative to the home: .dockyard/apps/<service>[-<dest>]/assets/<role>
    path: str  # the assets' directory in the image (asset_path)
    options: str = "z"  # mount options (see mount_options)

    def extracted(self, version: str) -> str:
        return f"{self.directory}/extracted/{version}"

    def volume(self, version: str) -> str:
        return f"{self.directory}/volumes/{version}"

    def mount(self, version: str) -> HomePath:
        """The `--volume` value of this version's container."""
        return HomePath(f"{self.volume(version)}:{self.path}:{self.options}")


def mount_options(given: str | None) -> str:
    """The user's mount options, with `z` added unless a label option is there: on a host that
    enforces SELinux, a container may read the volume only once it is labelled for containers
    (a shared label: two versions' containers use one role's files); elsewhere `z` does nothing."""
    options = [option for option in (given or "").split(",") if option]
    if not {"z", "Z"} & set(options):
        options.append("z")
    return ",".join(options)


def _home(path: str) -> str:
    return f'"$HOME/{HomePath(path)}"'


def _copy_missing(source: str, target: str) -> str:
    """Copy a directory's files into another, keeping those already there (GNU tar's
    --skip-old-files: `cp -n` exits 1 when it skips a file in coreutils 9.2 to 9.4)."""
    return f"tar -C {source} -cf - . | tar -C {target} --skip-old-files -xf -"


def _other_dirs(parent: str, version: str, action: str) -> Raw:
    """Run `action` on each version directory under `parent` other than `version` ($dir, with
    a trailing /); the first failure fails it."""
    mine = _home(f"{parent}/{version}/")
    return Raw(
        f'( for dir in {_home(parent)}/*/; do [ ! -d "$dir" ] || [ "$dir" = {mine} ] || '
        f"{{ {action}; }} || exit 1; done )"
    )


def extract(engine: Engine, assets: RoleAssets, image: str, version: str) -> Seq:
    """Copy the version's assets out of its image (a container created, never started, then
    removed), readable by any user: the container may run as one that does not own them."""
    target = _home(assets.extracted(version))
    source = shlex.quote(f"{assets.path}/.")
    return all_of(
        cmd("rm", "-rf", HomePath(assets.extracted(version))),
        cmd("mkdir", "-p", HomePath(assets.extracted(version))),
        Raw(f"id=$({cmd(engine.name, 'container', 'create', image).render()})"),
        Raw(
            f'{{ {engine.name} container cp "$id":{source} {target} >/dev/null; copied=$?; '
            f'{engine.name} container rm --volumes "$id" >/dev/null; [ "$copied" = 0 ]; }}'
        ),
        cmd("chmod", "-R", "a+rX", HomePath(assets.extracted(version))),
    )  # fmt: skip


def fill_volumes(assets: RoleAssets, version: str) -> Seq:
    """The version's volume: its own files, then every other extracted version's; and its
    files added to every other volume (the serving version's among them)."""
    extracted, volumes = f"{assets.directory}/extracted", f"{assets.directory}/volumes"
    mine, volume = _home(assets.extracted(version)), _home(assets.volume(version))
    return all_of(
        cmd("mkdir", "-p", HomePath(assets.volume(version))),
        Raw(_copy_missing(mine, volume)),
        _other_dirs(extracted, version, _copy_missing('"$dir"', volume)),
        _other_dirs(volumes, version, _copy_missing(mine, '"$dir"')),
    )


def prepare(engine: Engine, assets: RoleAssets, image: str, version: str) -> Seq:
    """Before the version boots anywhere: extract it and fill the volumes. Prints nothing on
    standard output (it runs in the same round trip as a read of the proxy's state)."""
    steps = (extract(engine, assets, image, version), fill_volumes(assets, version))
    return all_of(*(part for step in steps for part in step.parts))


def retire(assets: RoleAssets, version: str, retention_minutes: int = RETENTION_MINUTES) -> Seq:
    """Once the version serves and the ones it replaced are stopped: remove their volumes,
    stamp their extracted files as retired now, and remove the extracted files of versions
    retired more than `retention_minutes` ago."""
    extracted = f"{assets.directory}/extracted"
    stamp_and_remove = (
        f'dir=${{dir%/}}; touch -c {_home(extracted)}/"${{dir##*/}}" && rm -rf "$dir"'
    )
    return all_of(
        _other_dirs(f"{assets.directory}/volumes", version, stamp_and_remove),
        cmd("find", HomePath(extracted), "-mindepth", "1", "-maxdepth", "1", "-type", "d",
            "!", "-name", version, "-mmin", f"+{retention_minutes}",
            "-exec", "rm", "-rf", "{}", "+"),
    )  # fmt: skip
