"""Error classes a destination raises; each knows its statusCode and its own statTags."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .outbound import Answer

log = logging.getLogger(__name__)


class TransformError(Exception):
    """Base of every per-event failure; `tags` are the error's own statTags."""

    status: int = 500
    category: str = "transformation"
    error_type: str | None = None

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status

    @property
    def tags(self) -> dict[str, str]:
        if self.error_type is None:
            return {"errorCategory": self.category}
        return {"errorCategory": self.category, "errorType": self.error_type}

    @property
    def is_fault(self) -> bool:
        """A 'transformation' fault: the processor route reports it without context tags."""
        return self.category == "transformation"


class TransformationFault(TransformError):
    """Input the original would have crashed on (docs/divergences.md, 1): 500, transformation."""

    @classmethod
    def from_bug(cls, exc: BaseException, doing: str) -> TransformationFault:
        """A bug of ours met while `doing` something for one event (or a batch of them): logged
        with its traceback, answered as that event's fault and never as the whole request's."""
        log.error("unexpected error while %s", doing, exc_info=exc)
        return cls(f"internal error while transforming the event ({type(exc).__name__})")


class InstrumentationError(TransformError):
    status = 400
    category = "dataValidation"
    error_type = "instrumentation"


class ConfigurationError(TransformError):
    status = 400
    category = "dataValidation"
    error_type = "configuration"


def network_error_type(status: int) -> str:
    if status == 429:
        return "throttled"
    if 500 <= status <= 599:
        return "retryable"
    return "aborted"


class NetworkError(TransformError):
    """A failed call to the destination; the errorType follows the status (docs/mapping.md#group).
    `answer` is the destination's answer that failed, when there was one."""

    category = "network"

    def __init__(self, message: str, status: int, answer: Answer | None = None) -> None:
        super().__init__(message, status)
        self.error_type = network_error_type(status)
        self.answer = answer


class RetryableError(NetworkError):
    def __init__(self, message: str, status: int = 500) -> None:
        super().__init__(message, status)
        self.error_type = "retryable"


class RequestError(Exception):
    """A whole request that cannot be served: answered with `status` and {"error": message}."""

    def __init__(self, message: str, status: int = 400, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.headers = headers


def check_event_count(count: int, limit: int | None) -> None:
    """A request with more events than MAX_EVENTS_PER_REQUEST is refused before any of them is
    read: one answer per event is what makes a huge batch of tiny events a memory bomb."""
    if limit is not None and count > limit:
        raise RequestError(
            f"too many events in one request: {count} (MAX_EVENTS_PER_REQUEST is {limit})", 413
        )
