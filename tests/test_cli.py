"""The command line: output formats, bad input, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from kg.cli import cli

TEXT = "Iran supplied drones to Russia.\n\nRussia attacked Ukraine in the night.\n"


@pytest.fixture()
def runner():
    return CliRunner()


def write(path: Path, data) -> Path:
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data, encoding="utf-8")
    return path


def test_extract_jsonl_keys_and_offsets(runner, tmp_path):
    f = write(tmp_path / "a.txt", TEXT)
    result = runner.invoke(cli, ["extract", str(f)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert {(r["subject"], r["relation"], r["object"]) for r in rows} == {
        ("Iran", "suppliesWeaponsTo", "Russia"), ("Russia", "attacks", "Ukraine")}
    required = ["doc", "subject", "subject_id", "subject_code", "relation", "object", "object_id",
                "object_code", "modality", "confidence", "evidence", "start", "end", "plover", "cameo"]
    for r in rows:
        assert list(r)[: len(required)] == required
        assert r["doc"] == str(f)
        assert TEXT[r["start"] : r["end"]] == r["evidence"]
        assert 0 <= r["confidence"] <= 1
    iran = next(r for r in rows if r["subject"] == "Iran")
    assert (iran["subject_id"], iran["subject_code"], iran["object_code"]) == ("Q794", "IRN", "RUS")
    assert (iran["plover"], iran["cameo"]) == ("AID", "072")


def test_table_format(runner, tmp_path):
    f = write(tmp_path / "a.txt", TEXT)
    result = runner.invoke(cli, ["extract", str(f), "--format", "table"])
    assert result.exit_code == 0
    assert result.output.splitlines()[0].split()[:3] == ["subject", "relation", "object"]
    assert "suppliesWeaponsTo" in result.output


def test_stdin(runner):
    result = runner.invoke(cli, ["extract", "-"], input=TEXT)
    assert result.exit_code == 0
    assert json.loads(result.output.splitlines()[0])["doc"] == "-"


def test_directory_recursive_and_front_matter_date(runner, tmp_path):
    (tmp_path / "sub").mkdir()
    write(tmp_path / "sub" / "b.md", "---\ntitle: T\ndate: 2023-06-01\n---\n\nBiden met Kishida in Hiroshima.\n")
    write(tmp_path / "skip.json", "{}")
    result = runner.invoke(cli, ["extract", str(tmp_path)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert [(r["subject"], r["relation"], r["object"]) for r in rows] == [("United States", "meetsWith", "Japan")]
    text = (tmp_path / "sub" / "b.md").read_text(encoding="utf-8")
    assert text[rows[0]["start"] : rows[0]["end"]] == rows[0]["evidence"]
    # --date overrides the front matter: in 2026 Biden is out of office.
    result = runner.invoke(cli, ["extract", str(tmp_path), "--date", "2026-01-01"])
    assert result.output == ""


@pytest.mark.parametrize("name,data,message", [
    ("bin.txt", b"\x00\x01\x02abc", "file looks binary (it has NUL bytes)"),
    ("latin.txt", "Caf\u00e9 Russia".encode("latin-1"), "not valid UTF-8 at byte 3"),
    ("empty.txt", b"", "file is empty"),
    ("blank.txt", b"  \n\n ", "file is empty"),
])
def test_bad_single_file(runner, tmp_path, name, data, message):
    f = write(tmp_path / name, data)
    result = runner.invoke(cli, ["extract", str(f)])
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: {f}: {message}")
    assert len(result.output.strip().splitlines()) == 1
    assert "Traceback" not in result.output


def test_encoding_option(runner, tmp_path):
    f = write(tmp_path / "latin.txt", "Caf\u00e9 talk: Russia attacked Ukraine.".encode("latin-1"))
    result = runner.invoke(cli, ["extract", str(f), "--encoding", "latin-1"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["relation"] == "attacks"
    result = runner.invoke(cli, ["extract", str(f), "--encoding", "klingon"])
    assert result.exit_code == 1 and "unknown encoding 'klingon'" in result.output


def test_missing_path_and_empty_directory(runner, tmp_path):
    result = runner.invoke(cli, ["extract", str(tmp_path / "nope.txt")])
    assert result.exit_code == 1
    assert result.output == f"Error: {tmp_path / 'nope.txt'}: no such file or directory\n"
    (tmp_path / "empty").mkdir()
    result = runner.invoke(cli, ["extract", str(tmp_path / "empty")])
    assert result.exit_code == 1
    assert "directory has no .txt, .md, .html or .jsonl files" in result.output


def test_multi_file_run_keeps_good_files(runner, tmp_path):
    good = write(tmp_path / "good.txt", TEXT)
    bad = write(tmp_path / "bad.txt", b"\xff\xfe\x00junk")
    result = runner.invoke(cli, ["extract", str(bad), str(good)])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert len([ln for ln in lines if ln.startswith("{")]) == 2
    assert f"skipped: {bad}: file looks binary" in result.output
    assert lines[-1] == "Error: 1 input(s) skipped, 1 document(s) processed"


def test_bad_front_matter_date(runner, tmp_path):
    f = write(tmp_path / "a.md", "---\ndate: June 2024\n---\n\nRussia attacked Ukraine.\n")
    result = runner.invoke(cli, ["extract", str(f)])
    assert result.exit_code == 1
    assert f"{f}:2: date 'June 2024' is not YYYY-MM-DD" in result.output


def test_bad_gazetteer_is_one_line(runner, tmp_path):
    g = write(tmp_path / "g.jsonl", '{"code": "RUS", "aliases": ["Moscow"]}\n')
    f = write(tmp_path / "a.txt", TEXT)
    result = runner.invoke(cli, ["extract", str(f), "--gazetteer", str(g)])
    assert result.exit_code == 2
    assert result.output.startswith(f"Error: {g}:1: alias 'Moscow' already names RUS")
    assert len(result.output.strip().splitlines()) == 1


def test_unique_keeps_strongest_modality(runner, tmp_path):
    f = write(tmp_path / "a.txt", "Russia may attack Ukraine.\n\nRussia attacked Ukraine.\n")
    rows = [json.loads(x) for x in runner.invoke(cli, ["extract", str(f)]).output.splitlines()]
    assert [r["modality"] for r in rows] == ["speculative", "asserted"]
    rows = [json.loads(x) for x in runner.invoke(cli, ["extract", str(f), "--unique"]).output.splitlines()]
    assert [r["modality"] for r in rows] == ["asserted"]


def test_vocabulary_core_by_default_full_on_request(runner, tmp_path):
    f = write(tmp_path / "a.txt", "Iran accused Israel of sabotage. Israel attacked Iran.\n")
    core = [json.loads(x)["relation"] for x in runner.invoke(cli, ["extract", str(f)]).output.splitlines()]
    full = [json.loads(x)["relation"] for x in
            runner.invoke(cli, ["extract", str(f), "--vocabulary", "full"]).output.splitlines()]
    assert core == ["attacks"]
    assert full == ["accuses", "attacks"]


def test_eval_picks_the_gold_vocabulary(runner, tmp_path):
    f = write(tmp_path / "a.txt", "Iran accused Israel of sabotage. Israel attacked Iran.\n")
    row = {"doc": "a.txt", "subject": "Israel", "relation": "attacks", "object": "Iran"}
    gold = write(tmp_path / "g.jsonl", json.dumps(row) + "\n")
    out = runner.invoke(cli, ["eval", str(f), str(gold)]).output
    assert out.startswith("vocabulary: core\n") and "f1=1.000" in out
    extra = dict(row, subject="Iran", relation="accuses", object="Israel")
    gold.write_text(json.dumps(row) + "\n" + json.dumps(extra) + "\n", encoding="utf-8")
    out = runner.invoke(cli, ["eval", str(f), str(gold)]).output
    assert out.startswith("vocabulary: full\n") and "f1=1.000" in out
    out = runner.invoke(cli, ["eval", str(f), str(gold), "--vocabulary", "core"]).output
    assert out.startswith("vocabulary: core (1 gold row(s) outside it not scored)") and "f1=1.000" in out


def test_relations_lists_both_spellings(runner):
    result = runner.invoke(cli, ["relations"])
    assert result.exit_code == 0
    assert "hedgesAgainst" in result.output and "hedges-against" in result.output


def test_check_command(runner):
    result = runner.invoke(cli, ["check"])
    assert result.exit_code == 0 and result.output.endswith("ok\n")


def test_python_dash_m(tmp_path):
    f = write(tmp_path / "a.txt", TEXT)
    out = subprocess.run([sys.executable, "-m", "kg", "extract", str(f)], capture_output=True, text=True, check=True)
    assert len(out.stdout.splitlines()) == 2


def test_jsonl_corpus_with_bad_lines(runner, tmp_path):
    import gzip

    lines = [
        json.dumps({"id": "a1", "text": "Iran supplied drones to Russia.", "date": "2024-01-02"}),
        "{not json",
        json.dumps({"id": "a2", "body": "Russia attacked Ukraine."}),
        json.dumps({"id": "a3", "text": "Biden met Kishida in Hiroshima.", "date": "2023-05-20"}),
        json.dumps({"id": "a4", "text": "Biden met Kishida in Hiroshima.", "date": "2026-05-20"}),
    ]
    f = tmp_path / "corpus.jsonl.gz"
    with gzip.open(f, "wt", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    result = runner.invoke(cli, ["extract", str(f)])
    assert result.exit_code == 1
    rows = [json.loads(x) for x in result.output.splitlines() if x.startswith("{")]
    assert [(r["doc"], r["relation"]) for r in rows] == [("a1", "suppliesWeaponsTo"), ("a3", "meetsWith")]
    assert rows[0]["evidence"] == "Iran supplied drones to Russia."[rows[0]["start"] : rows[0]["end"]]
    assert f"skipped: {f}:2: not JSON" in result.output
    assert f"skipped: {f}:3: no text in field 'text'" in result.output
    assert result.output.splitlines()[-1] == "Error: 2 input(s) skipped, 3 document(s) processed"
    # The record's own field names can be given.
    g = tmp_path / "other.jsonl"
    g.write_text(json.dumps({"uid": "x", "body": "Russia attacked Ukraine."}) + "\n", encoding="utf-8")
    result = runner.invoke(cli, ["extract", str(g), "--text-field", "body", "--id-field", "uid"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["doc"] == "x"


def test_workers_give_the_same_output_in_the_same_order(runner, tmp_path):
    from conftest import DATA

    one = runner.invoke(cli, ["extract", str(DATA / "corpus")])
    two = runner.invoke(cli, ["extract", str(DATA / "corpus"), "--workers", "2"])
    assert one.exit_code == two.exit_code == 0
    assert one.output == two.output and len(one.output.splitlines()) > 100


def test_build_with_workers_gives_the_same_graph(runner, tmp_path, monkeypatch):
    from conftest import DATA

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    dumps = []
    for n, workers in enumerate(("1", "2")):
        store = tmp_path / f"store{n}"
        result = runner.invoke(cli, ["build", str(DATA / "corpus"), "--store", str(store), "--workers", workers])
        assert result.exit_code == 0, result.output
        out = tmp_path / f"g{n}.nq"
        assert runner.invoke(cli, ["export", "--format", "nquads", "--store", str(store), "-o", str(out)]).exit_code == 0
        dumps.append(out.read_bytes())
    assert dumps[0] == dumps[1] and len(dumps[0]) > 10_000
