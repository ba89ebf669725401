#!/usr/bin/env bash
# Installs the Debian packages the project needs, only when missing (root or sudo).
set -euo pipefail
needed=()
# The core needs none beyond Python's venv module; later parts add browsers here.
python3 -c 'import venv, ensurepip' 2>/dev/null || needed+=(python3-venv)
if [ ${#needed[@]} -eq 0 ]; then exit 0; fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${needed[@]}"
