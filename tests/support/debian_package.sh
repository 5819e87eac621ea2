# Sourced by the setup scripts: install_debian_package PACKAGE "WHO WILL SKIP"
# Installs a Debian package with apt-get (refreshing the index once if needed) when we are root
# and apt-get exists; otherwise says which tests will skip without it.
install_debian_package() {
    local package="$1" skipping="$2"
    if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null; then
        echo "[setup] installing ${package} from Debian's packages"
        export DEBIAN_FRONTEND=noninteractive
        apt-get install -y -q --no-install-recommends "${package}" >/dev/null \
            || { apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends "${package}" >/dev/null; }
    else
        echo "[setup] ${package} is missing and cannot be installed here (needs root and apt-get);" \
             "${skipping} will skip"
    fi
}
