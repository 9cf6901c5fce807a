#!/usr/bin/env bash
# Set up and run the whole test-suite (what CI runs).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test
# The HTML report and reviewer web-app tests run in headless Chromium with a CJK font (without it
# Chinese shows as boxes); the campaign-store tests also run on a throwaway PostgreSQL cluster.
# The PDF test prints pages with Chromium and renders them to images with poppler's pdftoppm.
# As root, missing Debian packages are installed; otherwise those tests skip with the reason.
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
fc-list 2>/dev/null | grep -qi "Noto.*CJK" || need+=(fonts-noto-cjk)
command -v pdftoppm >/dev/null 2>&1 || need+=(poppler-utils)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
if [ "${#need[@]}" -gt 0 ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}") >/dev/null 2>&1 \
      || echo "注意：未能安装 ${need[*]}，相关测试（浏览器、PostgreSQL）将跳过" >&2
  else
    echo "注意：缺少 ${need[*]}，相关测试将跳过（sudo apt-get install ${need[*]}）" >&2
  fi
fi
exec .venv/bin/python -m pytest "$@"
