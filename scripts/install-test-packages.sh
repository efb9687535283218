#!/usr/bin/env bash
# Installs the Debian packages the tests (and the mutation runs, which run the tests) need, when they are missing.
# Called by scripts/test.sh and scripts/mutation.sh; on a machine that has them it installs nothing.
set -euo pipefail

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
apt_install() {
  echo "Installing Debian packages: $*"
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "$@"
}

# Debian's python3-aiosmtpd is the real SMTP server the integration and browser tests talk to; only /usr/bin/python3
# sees Debian's Python packages.
missing=()
if ! [ -x /usr/bin/python3 ] || ! /usr/bin/python3 -c 'import aiosmtpd' 2>/dev/null; then
  missing+=(python3 python3-aiosmtpd)
fi
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  missing+=(nodejs npm)
fi
# Debian's Chromium, built as its headless shell (the same engine without the desktop browser around it, which took
# a third more of the browser tests' time), is the browser the browser tests drive (Playwright is never asked to
# download one), and its screenshots need at least one font.
if ! [ -x /usr/lib/chromium/chromium-headless-shell ]; then
  missing+=(chromium-headless-shell)
fi
if ! command -v fc-list >/dev/null 2>&1 || [ -z "$(fc-list : family 2>/dev/null | head -n 1)" ]; then
  missing+=(fontconfig fonts-dejavu-core)
fi
# PostgreSQL's server (with pg_trgm) for the tests that run on PostgreSQL and the two-host tests.
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  missing+=(postgresql)
fi
# wrk, the load tool the benchmark ends with (the throughput goals' own measure); a test runs the benchmark through it.
if ! [ -x /usr/bin/wrk ]; then
  missing+=(wrk)
fi
if ((${#missing[@]})); then
  apt_install "${missing[@]}"
fi
