# Sourced by the setup scripts: install_debian_package PACKAGE "WHO WILL SKIP"
# Installs a Debian package with apt-get (refreshing the index once if needed) when we are root
# and apt-get exists; otherwise says which tests will skip without it.
#
# Another apt or dpkg may be running (an unattended upgrade, another setup): apt-get then waits for
# its locks, up to APT_LOCK_TIMEOUT seconds (default 600), instead of failing at once, and says so.
# apt-get's DPkg::Lock::Timeout makes it wait for dpkg's locks; the lock of the package lists
# (apt-get update) and of the download cache are not covered by it (apt 2.6, Debian 12), so a run
# that could not get one of those is tried again every APT_LOCK_RETRY_SECONDS (default 5) until the
# same deadline.

# apt-get ARGS... quietly: its errors on stderr, its output dropped but for the first line saying it
# waits for a lock.
apt_get_waiting() {
    local timeout="${APT_LOCK_TIMEOUT:-600}" retry="${APT_LOCK_RETRY_SECONDS:-5}"
    local deadline=$((SECONDS + timeout)) errors status
    errors="$(mktemp)"
    while true; do
        apt-get -o "DPkg::Lock::Timeout=${timeout}" "$@" 2>"${errors}" \
            | awk '/^Waiting for cache lock/ && !seen++ { print "[setup] " $0; fflush() }' >&2 \
            && status="${PIPESTATUS[0]}" || status="${PIPESTATUS[0]}"
        cat "${errors}" >&2
        if ((status == 0)) || ! grep -q "Could not get lock" "${errors}" || ((SECONDS >= deadline)); then
            rm -f "${errors}"
            return "${status}"
        fi
        echo "[setup] another apt holds a lock that apt-get does not wait for; trying again in ${retry} s" >&2
        sleep "${retry}"
    done
}

install_debian_package() {
    local package="$1" skipping="$2"
    if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null; then
        echo "[setup] installing ${package} from Debian's packages"
        export DEBIAN_FRONTEND=noninteractive
        apt_get_waiting install -y -q --no-install-recommends "${package}" \
            || { apt_get_waiting update -q && apt_get_waiting install -y -q --no-install-recommends "${package}"; }
    else
        echo "[setup] ${package} is missing and cannot be installed here (needs root and apt-get);" \
             "${skipping} will skip"
    fi
}
