"""Which heavy libraries a piece of code imports, run in a fresh interpreter."""

import json
import subprocess
import sys

#: Libraries that configurations, registries and package imports must not load.
HEAVY = ("torch", "braindecode", "lightning", "mne", "moabb", "pandas", "sklearn")


def heavy_imports(code: str) -> list[str]:
    """The :data:`HEAVY` libraries in ``sys.modules`` after ``python -c code``."""
    probe = (
        f"{code}\nimport json, sys; print(json.dumps(sorted(set({HEAVY!r}) & set(sys.modules))))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])
