#!/usr/bin/env bash
# Installs the Debian packages dockyard's lab and tests need; does nothing when all are there.
set -euo pipefail
packages=(
  docker.io busybox-static tini          # engine per lab server, test app image, init for lab hosts
  podman netavark aardvark-dns           # the second engine (aardvark-dns is only a Recommends)
  docker-registry skopeo apache2-utils   # the lab's registry; htpasswd -B for the password-protected one
  openssh-server openssh-client          # sshd per lab server, ssh for `app exec -i`
  cron                                   # a cron daemon per lab server (the job scheduler's restart at boot)
  iproute2 nftables util-linux procps    # namespaces, veths, the lab's firewall guard
  ruby                                   # renders ERB beyond what dockyard renders natively
  postgresql-15 mariadb-server redis-server openssl  # the lab's database images; encrypted backups
  curl ca-certificates                   # S3 backup targets: curl --aws-sigv4 in those images
  git                                    # builds ship a clean copy of HEAD (git archive)
  pebble                                 # the ACME server of the load balancer test (tests/e2e/balancer)
  keepalived                             # the floating address of docs/load-balancing.md, tested there
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "ERROR: missing Debian packages (${missing[*]}); run this as root: sudo $0" >&2
  exit 1
fi
echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
