#!/usr/bin/env bash
# Set up and run the whole test-suite (what CI runs).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test
# The HTML report test renders in headless Chromium with a CJK font (without it Chinese shows as boxes).
# The PDF test prints pages with Chromium and renders them to images with poppler's pdftoppm.
if ! command -v chromium >/dev/null 2>&1 || ! command -v pdftoppm >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi "Noto.*CJK"; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk poppler-utils) >/dev/null 2>&1 \
      || echo "注意：未能安装 chromium / fonts-noto-cjk / poppler-utils，浏览器渲染测试将跳过" >&2
  else
    echo "注意：没有 chromium 或中文字体，浏览器渲染测试将跳过（sudo apt-get install chromium fonts-noto-cjk poppler-utils）" >&2
  fi
fi
exec .venv/bin/python -m pytest "$@"
