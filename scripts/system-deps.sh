#!/usr/bin/env bash
# Installs the Debian packages the project needs, only when missing (root or sudo).
set -euo pipefail
needed=()
python3 -c 'import venv, ensurepip' 2>/dev/null || needed+=(python3-venv)
# Headless Chromium for the browser tests (Playwright drives Debian's build: never
# `playwright install`), plus fonts so that screenshots have readable text.
if ! command -v chromium >/dev/null 2>&1 && [ ! -x /usr/bin/chromium ]; then
    needed+=(chromium)
fi
# Java 17 or newer for the Spark engine's local sessions (PySpark starts a JVM).
java_major() { java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n 1; }
if ! command -v java >/dev/null 2>&1 || [ "$(java_major)" -lt 17 ] 2>/dev/null; then
    needed+=(openjdk-17-jre-headless)
fi
installed() { [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]; }
for pkg in fonts-dejavu-core fonts-liberation; do
    installed "$pkg" || needed+=("$pkg")
done
if [ ${#needed[@]} -eq 0 ]; then exit 0; fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${needed[@]}"
