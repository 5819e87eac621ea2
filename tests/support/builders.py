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


def gainsight_destination(
    config: dict[str, object], dest_id: str = "dest-1", display_name: str | None = None
) -> dict[str, object]:
    """A GAINSIGHT destination as rudder-server sends it (the one shape every builder uses)."""
    definition: dict[str, str] = {"Name": "GAINSIGHT"}
    if display_name is not None:
        definition["DisplayName"] = display_name
    return {"ID": dest_id, "Config": config, "DestinationDefinition": definition, "Enabled": True}
