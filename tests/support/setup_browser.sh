#!/usr/bin/env bash
# What the doc-page browser tests need from the machine (tests/api/test_doc_pages.py): Debian's
# chromium, installed with apt-get when missing and we are root. Without it those tests skip and
# say why.
set -euo pipefail

# shellcheck source=debian_package.sh
source "$(dirname "$0")/debian_package.sh"
command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 \
    || install_debian_package chromium "the doc-page browser tests"
