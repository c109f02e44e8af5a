"""The benchmark scripts, run in their smallest configuration so that they cannot rot."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MEASURE_COUNT = 6


@pytest.mark.timeout(60)
def test_bench_smoke_configuration_runs(tmp_path):
    report = tmp_path / "benchmarks.md"

    result = subprocess.run(
        [str(ROOT / "bench" / "run"), "--size", "smoke", "--output", str(report),
         "--log", str(tmp_path / "bot.log")],
        cwd=ROOT, env={**os.environ, "PYTHON": sys.executable},
        capture_output=True, text=True, timeout=50,
    )

    assert result.returncode in (0, 3), result.stderr[-3000:]
    summaries = [line for line in result.stdout.splitlines() if re.match(r"\d\. ", line)]
    assert len(summaries) == MEASURE_COUNT, result.stdout
    for line in summaries:
        assert " of target" in line or "× floor" in line, line
    text = report.read_text()
    assert "### Summary" in text
    assert "### 6. Concurrent /watch" in text
