#!/bin/sh
# Runs inside a fresh `debootstrap --variant=minbase` root and makes it a container base the way
# Debian's official slim images are: apt sources with security updates, no documentation, man
# pages or translations (now or from later installs), no apt caches, every update applied.
# Usage: debian.sh <suite> <mirror> <security mirror>
set -eu
suite="$1" mirror="$2" security="$3"

cat >/etc/apt/sources.list <<EOF
deb $mirror $suite main
deb $mirror $suite-updates main
deb $security $suite-security main
EOF

# What later `apt-get install`s leave out or clean up (debuerreotype's settings for the images).
cat >/etc/dpkg/dpkg.cfg.d/docker-slim <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/man/*
EOF
cat >/etc/apt/apt.conf.d/docker-clean <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
echo 'Acquire::Languages "none";' >/etc/apt/apt.conf.d/docker-no-languages
echo 'APT::AutoRemove::SuggestsImportant "false";' >/etc/apt/apt.conf.d/docker-autoremove-suggests
# Packages installed later start no services: there is no init system in a container.
printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
chmod 0755 /usr/sbin/policy-rc.d

export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get -y upgrade
apt-get clean
rm -rf /var/lib/apt/lists/*

# What debootstrap unpacked before the exclusions above existed.
find /usr/share/doc -mindepth 1 ! -type d ! -name copyright -delete
find /usr/share/doc -mindepth 1 -type d -empty -delete
rm -rf /usr/share/groff/* /usr/share/info/* /usr/share/linda/* /usr/share/lintian/* \
  /usr/share/locale/* /usr/share/man/*
# Logs and backups of the build (build.sh removes /etc/hostname and /etc/resolv.conf, which the
# runtime provides, once this has run: here they are mounted).
find /var/log -type f -delete
rm -f /var/cache/debconf/*-old /var/lib/dpkg/*-old
