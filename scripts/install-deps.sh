#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Installs every build and test dependency of ksmscope from Debian's archive.
# Safe to re-run: only missing packages are installed. The arm64 build (make ARCH=arm64)
# and its guest test need dpkg's arm64 architecture (Debian multiarch): it is added.
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
	# make ARCH=arm64: a cross compiler and the libraries for arm64; its guest test boots it
	gcc-aarch64-linux-gnu qemu-system-arm
	libbpf-dev:arm64 libelf-dev:arm64 zlib1g-dev:arm64 libxxhash-dev:arm64
	libmicrohttpd-dev:arm64 libgnutls28-dev:arm64 libcrypt-dev:arm64
)
foreign=$(dpkg --print-foreign-architectures)
missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ] && grep -qx arm64 <<< "$foreign"; then
	echo "install-deps: everything is installed"
	exit 0
fi
if [ "$(id -u)" != 0 ]; then
	echo "install-deps: missing ${missing[*]:-the arm64 architecture}; run as root" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
grep -qx arm64 <<< "$foreign" || dpkg --add-architecture arm64
apt-get update -qq
[ ${#missing[@]} -eq 0 ] && { echo "install-deps: added the arm64 architecture"; exit 0; }
apt-get install -y -qq --no-install-recommends "${missing[@]}" > /dev/null
echo "install-deps: installed ${missing[*]}"
