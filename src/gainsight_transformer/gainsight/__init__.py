"""The Gainsight CS destination: field tables, identify / group / track, the Company API."""

from .destination import GainsightDestination

__all__ = ["GainsightDestination"]
