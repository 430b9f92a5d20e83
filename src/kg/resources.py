"""Where kg's data files are: inside the installed package, or at the top of a source checkout."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path


@lru_cache(maxsize=1)
def ontology_dir() -> Path:
    """The folder holding ``kg.ttl``, ``shapes.ttl``, ``actors/`` and ``patterns/``.

    A wheel carries it as ``kg/ontology`` (see ``pyproject.toml``); an editable install or a plain
    checkout reads the repository's own ``ontology/`` folder, so edits there take effect at once.
    """
    here = Path(__file__).resolve().parent
    for candidate in (here / "ontology", here.parent.parent / "ontology"):
        if (candidate / "kg.ttl").is_file():
            return candidate
    raise FileNotFoundError(
        f"kg's ontology folder was not found next to {here}; reinstall kg (pip install .)"
    )
