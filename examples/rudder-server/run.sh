#!/usr/bin/env bash
# A local RudderStack without Docker (README, "Try it with rudder-server"): PostgreSQL, the real
# rudder-server (built once from tests/e2e/rudder_server/go, ~12 min; then cached), the Gainsight
# simulator and gainsight-transformer, on the compose file's ports (gateway 8080, write key
# LOCAL_WRITE_KEY), until Ctrl-C. Options: run.sh --help. The work is done by stack.py, with the
# project's venv (.venv, or the Python in $PYTHON).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
python="${PYTHON:-$here/../../.venv/bin/python}"
if [[ ! -x "$python" ]]; then
    echo "run.sh: no $python; make the venv first: python3 -m venv .venv && .venv/bin/pip install -e '.[simulator]'" >&2
    exit 2
fi
exec "$python" "$here/stack.py" "$@"
