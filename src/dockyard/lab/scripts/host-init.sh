#!/bin/sh
# PID 1's child (tini is PID 1) in a lab host's own pid, mount and uts namespaces, inside its
# network namespace. Args: NAME HOSTDIR ENGINE(docker|podman). Everything it mounts is private to
# this host and goes away with the namespace.
set -eu
NAME=$1 H=$2 ENGINE=$3
hostname "$NAME"
mount --make-rprivate /
mount -t proc proc /proc
# `ip netns exec` mounted a fresh /sys, which leaves /sys/fs/cgroup empty; engines need the
# hierarchies back, as the machine mounts them (`fstype options mountpoint` lines).
while read -r fstype opts point; do
  mkdir -p "$point"
  mount -t "$fstype" -o "$opts" "$fstype" "$point"
done < "$H/cgroup-mounts"
mount -t tmpfs -o mode=755 tmpfs /run
mkdir -p /run/sshd /run/lock /run/podman
mount -t tmpfs -o mode=1777 tmpfs /tmp
# The machine's files are not the host's to change. The host has its own (empty at first, kept
# in $H/fs) where servers keep data and where users' bind mounts point (/var/lib/mysql, /srv/..),
# and the rest of / is read-only: a write elsewhere fails instead of landing on the machine. The
# lab's own dir (under /var/lib) passes through, moved back once /var/lib is the host's own.
LAB=$(dirname "$H") HOST=$(basename "$H") PASS=/run/dockyard-lab
mkdir -p "$PASS" && mount --bind "$LAB" "$PASS"
F="$PASS/$HOST/fs"
for d in /var/lib /var/tmp /var/log /var/spool /var/cache /srv /opt /mnt /media; do
  [ ! -d "$d" ] || { mkdir -p "$F$d" && mount --bind "$F$d" "$d"; }
done
for d in /etc/docker /etc/containers /etc/cron.d /root /home; do
  mkdir -p "$F$d" "$d"
  mount --bind "$F$d" "$d"
done
# the host's own cron tables (the machine's /etc/crontab runs the machine's cron.daily scripts):
# its /etc/crontab (no job), /etc/cron.d (empty at first) and crontab spool (Debian's modes)
mount --bind "$F/etc/crontab" /etc/crontab
mkdir -p /var/spool/cron/crontabs
chown root:crontab /var/spool/cron/crontabs && chmod 1730 /var/spool/cron/crontabs
mkdir -p "$LAB" /var/lib/docker /var/lib/containers /var/lib/dockyard
mount --move "$PASS" "$LAB"
mount --bind "$H/resolv.conf" /etc/resolv.conf
mount --bind "$H/hosts" /etc/hosts
[ -e /etc/hostname ] && mount --bind "$H/hostname" /etc/hostname
mount -o remount,bind,ro /  # this namespace's view of / only, never the machine's
pids=""
case "$ENGINE" in
  docker)
    dockerd --config-file /etc/docker/daemon.json >"$H/engine.log" 2>&1 &
    pids="$!" ;;
  podman)
    # daemonless; the API service lets a plain docker CLI drive it, inside and from the root side
    ln -sf "$H/podman.sock" /run/podman/podman.sock
    podman system service --time=0 "unix://$H/podman.sock" >"$H/engine.log" 2>&1 &
    pids="$!" ;;
esac
/usr/sbin/sshd -D -f "$H/sshd_config" -E "$H/sshd.log" &
pids="$pids $!"
# the host's cron daemon: its @reboot lines run at each start of the host (`lab reboot`)
/usr/sbin/cron -f >"$H/cron.log" 2>&1 &
pids="$pids $!"
stop() {
  kill -TERM $pids 2>/dev/null || true
  wait
  exit 0
}
trap stop TERM INT
echo "host $NAME up: engine=$ENGINE"
wait
