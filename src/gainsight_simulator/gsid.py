"""Generator of Gainsight-style record ids (GSIDs such as ``1P02`` + 18 uppercase alphanumerics)."""

from __future__ import annotations

import random
import string

COMPANY_PREFIX = "1P02"
PERSON_PREFIX = "1C01"  # guess: the prefix of real Person GSIDs is not documented
_ALPHABET = string.ascii_uppercase + string.digits
_SUFFIX_LENGTH = 18


class GsidFactory:
    """Hands out unique GSIDs; pass a seeded ``random.Random`` for reproducible ids."""

    def __init__(self, rng: random.Random | None = None) -> None:
        self._rng = rng or random.SystemRandom()
        self._issued: set[str] = set()

    def new(self, prefix: str) -> str:
        while True:
            gsid = prefix + "".join(self._rng.choice(_ALPHABET) for _ in range(_SUFFIX_LENGTH))
            if gsid not in self._issued:
                self._issued.add(gsid)
                return gsid

    def reserve(self, gsid: str) -> None:
        """Mark an externally supplied GSID as taken."""
        self._issued.add(gsid)

    def clear(self) -> None:
        self._issued.clear()
