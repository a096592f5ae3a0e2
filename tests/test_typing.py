"""The package type-checks under mypy --strict (STYLE.md section 8)."""

from __future__ import annotations

import subprocess
import sys

from conftest import ROOT
from servers import require


def test_typing_package_is_mypy_strict_clean():
    require("mypy", "pip install -e '.[test]'")
    result = subprocess.run([sys.executable, "-m", "mypy", "--strict", "calfeed"], cwd=ROOT, capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
