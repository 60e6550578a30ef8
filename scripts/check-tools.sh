#!/bin/sh
# The unit tests run the generated scripts on this machine (against stand-ins for gluster,
# docker and the firewalls): they need these host tools. Says, in one message, which are
# missing and how to install them, before anything runs.
missing=""
need() { command -v "$1" >/dev/null 2>&1 || missing="$missing $1 ($2)"; }
need xmllint libxml2-utils
need systemd-analyze systemd
need bash bash
need getent libc-bin
need shellcheck shellcheck
need openssl openssl
if [ -n "$missing" ]; then
  echo "npm test: the unit tests need these tools on this machine, missing here:$missing." >&2
  echo "Install them (Debian/Ubuntu: sudo apt-get install -y libxml2-utils systemd shellcheck openssl), or run sudo bash scripts/setup.sh, which installs them with everything the live tests need." >&2
  exit 1
fi
