#!/usr/bin/env bash
# Browser tests of the board UI: real Staple server + system Chromium (no browser downloads).
# Needs a current build (`npm run build`: server dist and apps/ui/dist).
set -euo pipefail
cd "$(dirname "$0")/../../.."
if ! command -v chromium >/dev/null 2>&1; then
  echo "==> installing chromium (apt)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium
fi
if [ ! -f apps/ui/dist/index.html ] || [ ! -f apps/server/dist/main.js ]; then
  echo "==> building (apps/ui/dist or apps/server/dist missing)"
  npm run build
fi
exec npx vitest run --config apps/ui/vitest.e2e.config.ts "$@"
