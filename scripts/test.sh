#!/usr/bin/env bash
# Runs every test of RegistrationPortal on a fresh Debian machine with the .NET 10 SDK:
# installs what the tests need when it is missing, builds, runs all test projects,
# and ends with one line "N passed, N failed" counted from the test results.
set -euo pipefail
cd "$(dirname "$0")/.."

results=artifacts/test-results
rm -rf "$results"
mkdir -p "$results"

# 1. Debian packages (the SMTP server, Node, Chromium, fonts, PostgreSQL), when missing.
bash scripts/install-test-packages.sh

# 2. A throwaway PostgreSQL cluster on a loopback port, run by an unprivileged user (the script's, or "postgres" when
#    the script runs as root), removed when the script ends however it ends. The tests read its admin connection
#    string from PORTAL_TEST_POSTGRES and make a database of their own in it per host.
pg_dir=$(mktemp -d "${TMPDIR:-/tmp}/regportal-pg-XXXXXX")
stop_postgres() {
  bash scripts/postgres-cluster.sh stop "$pg_dir" || true
  rm -rf "$pg_dir"
}
trap stop_postgres EXIT
trap 'exit 130' INT TERM
PORTAL_TEST_POSTGRES=$(bash scripts/postgres-cluster.sh start "$pg_dir")
export PORTAL_TEST_POSTGRES
echo "PostgreSQL test cluster: $PORTAL_TEST_POSTGRES"

# 3. npm packages: the published Dfns SDK that the integration tests drive as a real client (pinned by its lock file).
(cd tests/dfns-sdk && npm ci --no-audit --no-fund --loglevel=error)

# 4. .NET tools from the manifest (dotnet-ef).
dotnet tool restore

# 5. Build everything once; warnings are errors.
dotnet build RegistrationPortal.sln -c Release -nologo -v quiet

# 6. The committed migrations of both providers must match the model (PostgreSQL's context is made, not connected).
dotnet ef migrations has-pending-model-changes --project src/RegistrationPortal.Web --configuration Release --no-build \
  --context PortalDbContext
Database__Provider=Postgres ConnectionStrings__Portal="$PORTAL_TEST_POSTGRES" \
  dotnet ef migrations has-pending-model-changes --project src/RegistrationPortal.Web --configuration Release --no-build \
  --context PostgresPortalDbContext

# 7. Every test project.
status=0
projects=()
declare -A run_failed=()
for project in tests/*/*.csproj; do
  name=$(basename "$project" .csproj)
  projects+=("$name")
  echo "== $name"
  # A test that hangs fails the run after 5 minutes instead of stalling it.
  if ! dotnet test "$project" -c Release --no-build -nologo --blame-hang-timeout 5m --blame-hang-dump-type none \
    --logger "trx;LogFileName=$name.trx" --logger "console;verbosity=minimal" \
    --results-directory "$results"; then
    status=1
    run_failed[$name]=1
  fi
done

# 8. One closing line counted from the results. Every test that did not pass counts as failed: failed, error, timeout,
#    aborted, not executed or skipped (total minus passed). A project without its trx (the test host never started or
#    the logger never wrote), or whose run ended aborted, failed or with a non-zero exit while its counters show no
#    failure (a test host crash or hang-timeout abort leaves the test in flight without a result), counts one failure.
counter() { sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p" <<<"$2"; }
passed=0
failed=0
for name in "${projects[@]}"; do
  trx="$results/$name.trx"
  if ! [ -s "$trx" ]; then
    echo "$name: no test results ($trx is missing): counted as one failure" >&2
    failed=$((failed + 1))
    status=1
    continue
  fi
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1 || true)
  outcome=$(grep -o '<ResultSummary [^>]*outcome="[A-Za-z]*"' "$trx" | head -n 1 | sed 's/.*outcome="\([A-Za-z]*\)"/\1/' || true)
  total=$(counter total "$counters"); p=$(counter passed "$counters"); f=$(counter failed "$counters")
  not_passed=$(( ${total:-0} - ${p:-0} ))
  listed=$(( ${f:-0} ))
  for other in error timeout aborted notExecuted; do
    n=$(counter "$other" "$counters")
    listed=$((listed + ${n:-0}))
  done
  f=$(( not_passed > listed ? not_passed : listed ))
  if [ "$f" -eq 0 ] && { [ -z "$counters" ] || [ -n "${run_failed[$name]:-}" ] || ! [[ "$outcome" =~ ^(Completed|Passed)$ ]]; }; then
    echo "$name: no test result failed, but the run ended ${outcome:-without a summary}${run_failed[$name]:+ and dotnet test failed} (a test host crash or abort): counted as one failure" >&2
    f=1
  fi
  if [ "$f" -gt 0 ]; then status=1; fi
  passed=$((passed + ${p:-0}))
  failed=$((failed + f))
done
if [ "$passed" -eq 0 ]; then status=1; fi
echo "$passed passed, $failed failed"
exit "$status"
