"""What every test package builds events for: one Gainsight tenant and the service's routes."""

from __future__ import annotations

DOMAIN = "demo.gainsightcloud.com"
"""The tenant the builders' destinations name (wire.py, gainsight_events.py)."""
PEOPLE_URL = f"https://{DOMAIN}/v1.0/api/people"
EVENTS_URL = f"https://{DOMAIN}/v1.0/api/eventManager/event"
SEARCH_URL = f"https://{DOMAIN}/v1/data/objects/query/Company"
COMPANY_URL = f"https://{DOMAIN}/v1/data/objects/Company"
PROCESSOR = "/v0/destinations/gainsight"
ROUTER = "/routerTransform"
