#!/usr/bin/env bash
# What the doc-page browser tests need from the machine (tests/api/test_doc_pages.py): Debian's
# chromium, installed with apt-get when missing and we are root. Without it those tests skip and
# say why.
set -euo pipefail

if ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1; then
    if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null; then
        echo "[setup] installing chromium from Debian's packages"
        export DEBIAN_FRONTEND=noninteractive
        apt-get install -y -q --no-install-recommends chromium >/dev/null \
            || { apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends chromium >/dev/null; }
    else
        echo "[setup] chromium is missing and cannot be installed here (needs root and apt-get);" \
             "the doc-page browser tests will skip"
    fi
fi
