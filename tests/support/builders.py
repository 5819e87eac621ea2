"""What every test package builds events for: one Gainsight tenant."""

from __future__ import annotations

DOMAIN = "demo.gainsightcloud.com"
"""The tenant the builders' destinations name (tests/rudder/helpers.py, tests/gainsight/support.py)."""
