#!/usr/bin/env bash
# What the rudder-server end-to-end tests need from the machine, installed when missing:
# PostgreSQL's server programs from Debian's packages (with apt-get, as root). Go comes with the
# development machines; the tests build rudder-server with it on first use (~12 min on 2 cores,
# then cached in ~/.cache/gainsight-transformer). Without either, those tests skip and say why.
set -euo pipefail

have_postgres() {
    command -v initdb >/dev/null 2>&1 || compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null
}

# shellcheck source=../../support/debian_package.sh
source "$(dirname "$0")/../../support/debian_package.sh"
have_postgres || install_debian_package postgresql "the rudder-server e2e tests"
command -v go >/dev/null || echo "[setup] Go is missing; the rudder-server e2e tests will skip"
# PostgreSQL refuses to run as root; the tests run it as this user.
if [[ "$(id -u)" == 0 ]] && ! id postgres >/dev/null 2>&1; then
    useradd --system --no-create-home --shell /usr/sbin/nologin postgres
fi
