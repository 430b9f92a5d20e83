"""Shared fixtures. Tests that read ../shared skip with a reason where it is absent."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
SEED_DIR = SHARED / "seeds"
SEED_GOLD = SHARED / "eval" / "seed.gold.jsonl"
SCORER = SHARED / "eval" / "score.py"
DATA = ROOT / "data"


def need_shared():
    if not (SEED_DIR.is_dir() and SEED_GOLD.is_file() and SCORER.is_file()):
        pytest.skip(f"{SHARED} (seed article, gold and scorer) is not beside this clone")


@pytest.fixture(scope="session")
def extractor():
    from kg.pipeline import make_extractor

    # The full vocabulary: the data-driven cases and data/gold use all of kg's relations.
    return make_extractor(today=dt.date(2024, 6, 1), vocabulary="full")


@pytest.fixture(scope="session")
def core_extractor(extractor):
    """The default vocabulary: the 20 core relations (data/dev and ../shared gold use it)."""
    from kg.pipeline import make_extractor

    return make_extractor(today=extractor.today, vocabulary="core")


@pytest.fixture(scope="session")
def gazetteer(extractor):
    return extractor.gazetteer


@pytest.fixture(scope="session")
def ontology(extractor):
    return extractor.ontology


@pytest.fixture(scope="session")
def net_store(tmp_path_factory):
    """data/corpus plus graph_support's network documents, built once (a store folder)."""
    from graph_support import build_network_store

    return build_network_store(tmp_path_factory.mktemp("network"), DATA)
