#!/usr/bin/env bash
# Runs every test of RegistrationPortal on a fresh Debian machine with the .NET 10 SDK:
# installs what the tests need when it is missing, builds, runs all test projects,
# and ends with one line "N passed, N failed" counted from the test results.
set -euo pipefail
cd "$(dirname "$0")/.."

results=artifacts/test-results
rm -rf "$results"
mkdir -p "$results"

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
apt_install() {
  echo "Installing Debian packages: $*"
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "$@"
}

# 1. Debian packages. Debian's python3-aiosmtpd is the real SMTP server the integration and browser tests talk
#    to; only /usr/bin/python3 sees Debian's Python packages.
missing=()
if ! [ -x /usr/bin/python3 ] || ! /usr/bin/python3 -c 'import aiosmtpd' 2>/dev/null; then
  missing+=(python3 python3-aiosmtpd)
fi
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  missing+=(nodejs npm)
fi
# Debian's Chromium is the browser the browser tests drive (Playwright is never asked to download one), and
# its screenshots need at least one font.
if ! [ -x /usr/bin/chromium ]; then
  missing+=(chromium)
fi
if ! command -v fc-list >/dev/null 2>&1 || [ -z "$(fc-list : family 2>/dev/null | head -n 1)" ]; then
  missing+=(fontconfig fonts-dejavu-core)
fi
if ((${#missing[@]})); then
  apt_install "${missing[@]}"
fi

# 2. npm packages: the published Dfns SDK that the integration tests drive as a real client (pinned by its lock file).
(cd tests/dfns-sdk && npm ci --no-audit --no-fund --loglevel=error)

# 3. .NET tools from the manifest (dotnet-ef).
dotnet tool restore

# 4. Build everything once; warnings are errors.
dotnet build RegistrationPortal.sln -c Release -nologo -v quiet

# 5. The committed migrations must match the model.
dotnet ef migrations has-pending-model-changes --project src/RegistrationPortal.Web --configuration Release --no-build

# 6. Every test project.
status=0
for project in tests/*/*.csproj; do
  name=$(basename "$project" .csproj)
  echo "== $name"
  # A test that hangs fails the run after 5 minutes instead of stalling it.
  dotnet test "$project" -c Release --no-build -nologo --blame-hang-timeout 5m --blame-hang-dump-type none \
    --logger "trx;LogFileName=$name.trx" --logger "console;verbosity=minimal" \
    --results-directory "$results" || status=1
done

# 7. One closing line counted from the results.
passed=0
failed=0
for trx in "$results"/*.trx; do
  [ -e "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters")
  f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0}))
done
if [ "$passed" -eq 0 ]; then status=1; fi
echo "$passed passed, $failed failed"
exit "$status"
