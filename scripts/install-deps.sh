#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Installs every build and test dependency of ksmscope from Debian's archive.
# Safe to re-run: only missing packages are installed.
set -euo pipefail
PKGS=(
	make gcc clang llvm            # userspace and the BPF backend
	libbpf-dev libelf-dev zlib1g-dev bpftool pkg-config
	libxxhash-dev                  # page hashing (XXH3)
	libmicrohttpd-dev              # serve: the HTTP server for /metrics
	libgnutls28-dev libcrypt-dev   # serve --web-config: client certificates, bcrypt passwords
	openssl                        # tests: certificates for serve over TLS
	jq util-linux procps python3  # tests: JSON checks, setpriv/unshare, the reference scanner
	prometheus curl tmux          # tests: promtool and a real server, scrapes, top in a terminal
	chromium python3-pil           # tests: report --html rendered headless, its screenshot read
	qemu-system-x86 busybox-static cpio  # tests: guests booting older Debian kernels (tests/guest/)
	binutils systemd               # make deb (objdump); tests: systemd-analyze verifies the unit
)
missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	echo "install-deps: everything is installed"
	exit 0
fi
if [ "$(id -u)" != 0 ]; then
	echo "install-deps: missing ${missing[*]}; run as root" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" > /dev/null
echo "install-deps: installed ${missing[*]}"
