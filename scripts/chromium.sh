#!/usr/bin/env bash
# Installs Debian's chromium package, which the HTML report test renders
# pages with (chromium --headless). Idempotent: does nothing when chromium
# is on PATH. Needs root (apt-get); runs apt-get update first when the
# package lists do not know chromium yet.
#
#   bash scripts/chromium.sh install   # install if missing, print its path
set -euo pipefail

case "${1:-install}" in
install)
	if command -v chromium >/dev/null 2>&1; then
		command -v chromium
		exit 0
	fi
	if [ "$(id -u)" != 0 ]; then
		echo "chromium is not installed, and installing it needs root: sudo apt-get install -y chromium" >&2
		exit 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	if ! apt-cache show chromium >/dev/null 2>&1; then
		apt-get update -q >&2
	fi
	apt-get install -y -q --no-install-recommends chromium >&2
	command -v chromium
	;;
*)
	echo "usage: $0 install" >&2
	exit 2
	;;
esac
