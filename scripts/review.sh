#!/usr/bin/env bash
# The main job: review every case file in casefiles/ and write the reports to out/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/casereview review casefiles/ --roster casefiles/roster.yaml -o out/ "$@"
