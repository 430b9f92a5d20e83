import datetime as dt
import json
from pathlib import Path

import pycountry
import pytest

from kg.errors import GazetteerError
from kg.gazetteer import Gazetteer, _pycountry_index, load_gazetteer


def resolve(g, text, day=dt.date(2024, 6, 1)):
    return g.resolve(g.aliases[text], day)[0]


def test_every_country_of_pycountry_is_an_actor(gazetteer):
    codes = {c.alpha_3 for c in pycountry.countries}
    assert codes <= set(gazetteer.actors)
    assert gazetteer.actor("XKX").name == "Kosovo"


@pytest.mark.parametrize("text,key", [
    ("North Korea", "PRK"), ("DPRK", "PRK"), ("Democratic People's Republic of Korea", "PRK"),
    ("Pyongyang", "PRK"), ("North Korean", "PRK"), ("Moscow", "RUS"), ("Kremlin", "RUS"),
    ("U.S.", "USA"), ("US", "USA"), ("Washington", "USA"), ("ROK", "KOR"), ("PRC", "CHN"),
    ("UK", "GBR"), ("Belarusian", "BLR"), ("Kyiv", "UKR"), ("Tokyo", "JPN"), ("NATO", "nato"),
])
def test_aliases(gazetteer, text, key):
    assert resolve(gazetteer, text) == key


def test_common_short_names_not_iso_names(gazetteer):
    assert gazetteer.actor("PRK").name == "North Korea"
    assert gazetteer.actor("USA").name == "United States"
    assert gazetteer.actor("RUS").name == "Russia"
    assert gazetteer.actor("PRK").qid == "Q423"


def test_lowercase_words_are_not_aliases(gazetteer):
    assert "us" not in gazetteer.aliases


@pytest.mark.parametrize("alias,day,state", [
    ("Biden", dt.date(2023, 3, 1), "USA"),
    ("Biden", dt.date(2026, 3, 1), None),
    ("Trump", dt.date(2018, 3, 1), "USA"),
    ("Trump", dt.date(2022, 3, 1), None),
    ("Trump", dt.date(2025, 3, 1), "USA"),
    ("Putin", dt.date(2024, 3, 1), "RUS"),
    ("Kim Jong Un", dt.date(2024, 3, 1), "PRK"),
    ("Lukashenko", dt.date(2024, 3, 1), "BLR"),
])
def test_leaders_by_date(gazetteer, alias, day, state):
    assert gazetteer.resolve(gazetteer.aliases[alias], day)[0] == state


def _user_file(tmp_path: Path, *records) -> Path:
    path = tmp_path / "mine.jsonl"
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in records) + "\n", encoding="utf-8")
    return path


def test_user_file_adds_actor_and_aliases(tmp_path):
    path = _user_file(
        tmp_path,
        {"id": "quad-plus", "qid": None, "name": "Quad Plus", "type": "IntergovernmentalOrganization"},
        {"code": "RUS", "aliases": ["Rossiya"]},
    )
    g = load_gazetteer([path])
    assert resolve(g, "Quad Plus") == "quad-plus"
    assert resolve(g, "Rossiya") == "RUS"


def test_duplicate_alias_names_file_and_line(tmp_path):
    path = _user_file(tmp_path, {"code": "RUS", "aliases": ["Rossiya"]}, {"code": "BLR", "aliases": ["Rossiya"]})
    with pytest.raises(GazetteerError) as err:
        load_gazetteer([path])
    assert str(err.value).startswith(f"{path}:2: alias 'Rossiya' already names RUS")


def test_alias_clash_with_builtin(tmp_path):
    path = _user_file(tmp_path, {"code": "BLR", "aliases": ["Moscow"]})
    with pytest.raises(GazetteerError, match=r"mine.jsonl:1: alias 'Moscow' already names RUS"):
        load_gazetteer([path])


def test_bad_json_line(tmp_path):
    path = _user_file(tmp_path, {"code": "RUS", "aliases": ["A"]}, "{not json")
    with pytest.raises(GazetteerError, match=r"mine.jsonl:2: not JSON"):
        load_gazetteer([path])


def test_unknown_key(tmp_path):
    path = _user_file(tmp_path, {"code": "RUS", "nicknames": ["A"]})
    with pytest.raises(GazetteerError, match=r"mine.jsonl:1: unknown key 'nicknames'"):
        load_gazetteer([path])


def test_people_sharing_an_alias_must_not_overlap(tmp_path):
    a = {"id": "a", "qid": None, "name": "Ann Example", "state": "FRA", "aliases": ["Example"],
         "terms": [{"role": "head of state", "start": "2020-01-01", "end": "2022-01-01"}]}
    b = {**a, "id": "b", "name": "Bob Example",
         "terms": [{"role": "head of state", "start": "2021-01-01", "end": None}]}
    with pytest.raises(GazetteerError, match=r"mine.jsonl:2: alias 'Example' is already used by Ann Example"):
        load_gazetteer([_user_file(tmp_path, a, b)])
    b["terms"] = [{"role": "head of state", "start": "2022-02-01", "end": None}]
    g = load_gazetteer([_user_file(tmp_path, a, b)])
    assert g.resolve(g.aliases["Example"], dt.date(2021, 1, 1))[1] == "a"
    assert g.resolve(g.aliases["Example"], dt.date(2023, 1, 1))[1] == "b"


def test_bad_dates_and_codes(tmp_path):
    with pytest.raises(GazetteerError, match="'ZZZ' is not an ISO 3166-1 alpha-3 code"):
        load_gazetteer([_user_file(tmp_path, {"code": "ZZZ", "qid": "Q1", "name": "Z", "type": "State"})])
    bad = {"id": "x", "qid": None, "name": "X Y", "state": "FRA",
           "terms": [{"role": "head of state", "start": "2020-13-01", "end": None}]}
    with pytest.raises(GazetteerError, match="start date '2020-13-01' is not YYYY-MM-DD"):
        load_gazetteer([_user_file(tmp_path, bad)])


def test_builtin_files_are_valid_jsonl():
    # Loading from scratch applies every rule to the shipped files.
    g = Gazetteer()
    index = _pycountry_index()
    from kg.resources import ontology_dir

    for name in ("states.jsonl", "igos.jsonl", "groups.jsonl", "leaders.jsonl"):
        g.load_file(ontology_dir() / "actors" / name, index)
    assert len(g.people) >= 40


def test_group_that_governs_resolves_to_the_state_by_date(gazetteer):
    taliban = gazetteer.aliases["Taliban"]
    assert gazetteer.resolve(taliban, dt.date(2019, 1, 1))[0] == "taliban"
    assert gazetteer.resolve(taliban, dt.date(2023, 1, 1))[0] == "AFG"


def test_bad_governs_entry(tmp_path):
    rec = {"id": "g", "qid": None, "name": "Some Group", "type": "NonStateGroup",
           "governs": [{"state": "ZZZ", "start": "2020-01-01"}]}
    with pytest.raises(GazetteerError, match="each 'governs' entry"):
        load_gazetteer([_user_file(tmp_path, rec)])
