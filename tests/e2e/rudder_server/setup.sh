#!/usr/bin/env bash
# What the rudder-server end-to-end tests need from the machine, installed when missing, from
# Debian's packages (with apt-get, as root): PostgreSQL's server programs; haproxy, the load
# balancer in front of the two instances of the service in test_balanced_replicas.py; and
# redis-server, their shared company store (the Redis tests elsewhere in the suite need it too).
# Go comes with the development machines; the tests build rudder-server with it on first use
# (~12 min on 2 cores, then cached in ~/.cache/gainsight-transformer). Without any of these, the
# tests that need it skip and say why.
set -euo pipefail

have_postgres() {
    command -v initdb >/dev/null 2>&1 || compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null
}

# haproxy and redis-server live in /usr/sbin and /usr/bin, which a non-root PATH may lack.
have_program() {
    command -v "$1" >/dev/null 2>&1 || [[ -x "/usr/sbin/$1" || -x "/usr/bin/$1" ]]
}

# shellcheck source=../../support/debian_package.sh
source "$(dirname "$0")/../../support/debian_package.sh"
have_postgres || install_debian_package postgresql "the rudder-server e2e tests"
have_program haproxy || install_debian_package haproxy "the rudder-server e2e run behind a load balancer"
have_program redis-server || install_debian_package redis-server "the tests that need a Redis server"
command -v go >/dev/null || echo "[setup] Go is missing; the rudder-server e2e tests will skip"
# PostgreSQL refuses to run as root; the tests run it as this user.
if [[ "$(id -u)" == 0 ]] && ! id postgres >/dev/null 2>&1; then
    useradd --system --no-create-home --shell /usr/sbin/nologin postgres
fi
