#!/usr/bin/env bash
# Mutation testing (Stryker.NET, the dotnet-stryker tool of the manifest) of the registration, public API and email
# features of src/RegistrationPortal.Web, killed by the unit and integration test projects. Not part of the test
# command: it runs the covering tests once per mutant and takes hours for all three folders.
#
#   bash scripts/mutation.sh                    # Features/Registration, Features/Api and Features/Email
#   bash scripts/mutation.sh Email              # one folder (or several: Email Api)
#   bash scripts/mutation.sh Email/RegistrationEmail.cs   # one file
#   MUTATION_CONCURRENCY=2 bash scripts/mutation.sh Api
#   MUTATION_TESTS='FullyQualifiedName~Outbox' bash scripts/mutation.sh Email   # only the tests the filter selects
#
# Settings: tests/stryker-config.json. Reports (html, json) land in artifacts/mutation/<folders>/reports/; the last
# lines printed are the score of each folder and of the whole run.
set -euo pipefail
cd "$(dirname "$0")/.."

folders=("$@")
if ((${#folders[@]} == 0)); then
  folders=(Registration Api Email)
fi

mutate=()
for folder in "${folders[@]}"; do
  if [ -f "src/RegistrationPortal.Web/Features/$folder" ]; then
    mutate+=(--mutate "**/Features/$folder")
  elif [ -d "src/RegistrationPortal.Web/Features/$folder" ]; then
    mutate+=(--mutate "**/Features/$folder/**/*.cs")
  else
    echo "No folder or file src/RegistrationPortal.Web/Features/$folder" >&2
    exit 2
  fi
done
# A test filter (dotnet test --filter syntax) trades completeness for time: mutants only the other tests would
# kill count as survivors, so its score is a lower bound.
filter=()
if [ -n "${MUTATION_TESTS:-}" ]; then
  filter=(--test-case-filter "$MUTATION_TESTS")
fi
name=$(IFS=-; echo "${folders[*]}" | tr '/' '_')
# Many files make a name longer than a file name may be: keep its start and a hash of the whole.
if ((${#name} > 80)); then
  name="${name:0:60}-$(printf '%s' "$name" | sha256sum | cut -c1-12)"
fi
output="$PWD/artifacts/mutation/$name"
rm -rf "$output"
mkdir -p "$output"

# What the integration tests need, as the test command provides it: Debian's packages (the SMTP server, PostgreSQL),
# the published Dfns SDK and a throwaway PostgreSQL cluster.
bash scripts/install-test-packages.sh
(cd tests/dfns-sdk && npm ci --no-audit --no-fund --loglevel=error)
dotnet tool restore
pg_dir=$(mktemp -d "${TMPDIR:-/tmp}/regportal-mutation-pg-XXXXXX")
stop_postgres() {
  bash scripts/postgres-cluster.sh stop "$pg_dir" || true
  rm -rf "$pg_dir"
}
trap stop_postgres EXIT
trap 'exit 130' INT TERM
PORTAL_TEST_POSTGRES=$(bash scripts/postgres-cluster.sh start "$pg_dir")
export PORTAL_TEST_POSTGRES

started=$(date +%s)
# Low priority: the machine stays usable while the mutants run.
(cd src/RegistrationPortal.Web && nice -n 10 dotnet stryker --config-file ../../tests/stryker-config.json \
  --concurrency "${MUTATION_CONCURRENCY:-1}" --output "$output" "${mutate[@]}" "${filter[@]}")
elapsed=$(( $(date +%s) - started ))

report="$output/reports/mutation-report.json"
/usr/bin/python3 - "$report" "${folders[@]}" <<'PY'
import json, sys
report, folders = sys.argv[1], sys.argv[2:]
files = json.load(open(report, encoding="utf-8"))["files"]
detected = {"Killed", "Timeout"}
undetected = {"Survived", "NoCoverage"}
def score(paths):
    mutants = [m for p in paths for m in files[p]["mutants"]]
    k = sum(m["status"] in detected for m in mutants)
    u = sum(m["status"] in undetected for m in mutants)
    return k, u, (100.0 * k / (k + u)) if k + u else float("nan")
for folder in folders:
    k, u, s = score([p for p in files if f"/Features/{folder}" in p.replace("\\", "/")])
    print(f"Features/{folder}: {s:.1f} % ({k} detected, {u} undetected)")
k, u, s = score(list(files))
print(f"mutation score: {s:.1f} % ({k} detected, {u} undetected)")
PY
echo "report: $output/reports/mutation-report.html ($((elapsed / 60)) min)"
