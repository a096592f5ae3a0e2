"""Material kept beside the repository, not in it: the seed page, real conference schedules, schemas.

It is found through one location, ``CALFEED_SHARED`` (default: ``../shared`` beside the
repository). Where it is present, as in CI, the tests that read it run; where it is absent
(a plain clone) they are skipped with the reason printed, and in CI (``CI`` set) a missing
file fails the test, since there it must be present. Nothing from it is copied into the
repository.
"""

from __future__ import annotations

import os
from pathlib import Path

from servers import missing

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("CALFEED_SHARED") or ROOT.parent / "shared")


def shared(*parts: str) -> Path:
    """The path of ``SHARED/parts...``; skips the test (fails it in CI) when it is missing."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        missing(
            f"needs {path}, material kept beside the repository (real schedules, the seed page, schemas); "
            "set CALFEED_SHARED to the folder that holds it"
        )
    return path
