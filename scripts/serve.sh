#!/usr/bin/env bash
# Set up and start the reviewer web app on the sample campaign (casefiles/), on this machine only:
# http://127.0.0.1:8000/ (extra arguments go to `casereview serve`, e.g. --port 8080).
# The first run creates out/campaign/campaign.db: the sample files reviewed by machine, two
# reviewers per file, and demo accounts (printed below; for trying the app, not for real use).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
dir=out/campaign
cr=.venv/bin/casereview
if [ ! -f "$dir/campaign.db" ]; then
  mkdir -p "$dir"
  "$cr" campaign create 示例评查活动 casefiles --roster casefiles/roster.yaml --two-reviewers --dir "$dir"
  for spec in "lead:王组长:lead:江西省应急管理厅" "zhang:张评查:reviewer:南昌市青山湖区应急管理局" \
              "li:李评查:reviewer:赣州市南康区应急管理局" "zhao:赵评查:reviewer:九江市濂溪区应急管理局"; do
    IFS=: read -r user name role unit <<< "$spec"
    CASEREVIEW_PASSWORD="demo-$user-2026" "$cr" campaign user add "$user" --name "$name" --role "$role" \
      --unit "$unit" --dir "$dir"
  done
  "$cr" campaign assign --dir "$dir"
fi
echo "示例账号：组长 lead / demo-lead-2026；评查人员 li / demo-li-2026、zhao / demo-zhao-2026、zhang / demo-zhang-2026"
exec "$cr" serve --dir "$dir" "$@"
