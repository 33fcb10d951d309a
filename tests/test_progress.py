"""Tests of cellcourse.progress: recording check outcomes locally, robustly."""

import datetime as dt
import json
import os

import pytest

from cellcourse import progress
from cellcourse.exercises import CheckResult, Outcome


def _result(outcome=Outcome.CORRECT, exercise="00.q1"):
    prefix = {
        Outcome.CORRECT: "Correct!",
        Outcome.INCORRECT: "Not yet: no",
        Outcome.NOT_ATTEMPTED: "Not attempted yet: stub",
        Outcome.VIEWED: "Thought exercise: think",
    }[outcome]
    return CheckResult(outcome, prefix, exercise)


@pytest.fixture
def progress_file(tmp_path):
    return tmp_path / "progress.json"  # CELLCOURSE_PROGRESS points here (tests/conftest.py)


@pytest.fixture(autouse=True)
def _fresh_notes(monkeypatch):
    monkeypatch.setattr(progress, "_NOTED", set())


def test_record_writes_one_entry_per_check(progress_file, monkeypatch):
    monkeypatch.setattr(progress.getpass, "getuser", lambda: "ada")
    assert progress.record(_result(Outcome.INCORRECT))
    assert progress.record(_result(Outcome.CORRECT))
    records = progress.load()
    assert [(r["learner"], r["exercise"], r["outcome"]) for r in records] == [
        ("ada", "00.q1", "incorrect"),
        ("ada", "00.q1", "correct"),
    ]
    time = dt.datetime.fromisoformat(records[0]["time"])
    assert time.tzinfo is not None
    assert abs((dt.datetime.now(dt.timezone.utc) - time).total_seconds()) < 60
    data = json.loads(progress_file.read_text(encoding="utf-8"))
    assert data["format"] == "cellcourse-progress" and data["version"] == 1


def test_record_uses_the_path_it_is_given(tmp_path):
    other = tmp_path / "sub" / "mine.json"
    assert progress.record(_result(), path=other)
    assert [r["exercise"] for r in progress.load(other)] == ["00.q1"]
    assert progress.load() == []  # the default file was not touched


def test_learner_falls_back_when_there_is_no_user_name(monkeypatch):
    def no_user():
        raise OSError("no user name")

    monkeypatch.setattr(progress.getpass, "getuser", no_user)
    progress.record(_result())
    assert progress.load()[0]["learner"] == "learner"


def test_record_rejects_what_is_not_a_check_result():
    with pytest.raises(TypeError, match="CheckResult"):
        progress.record({"exercise": "00.q1", "outcome": "correct"})


def test_write_replaces_the_file_atomically(progress_file, monkeypatch):
    progress.record(_result(Outcome.INCORRECT))
    replaced = []
    real_replace = os.replace

    def spy(source, target):
        replaced.append((os.path.dirname(source), os.fspath(target)))
        return real_replace(source, target)

    monkeypatch.setattr(progress.os, "replace", spy)
    progress.record(_result(Outcome.CORRECT))
    # the new content was written beside the file, then renamed over it in one step
    assert replaced == [(str(progress_file.parent), str(progress_file))]


def test_failed_write_keeps_the_old_file_and_leaves_nothing_behind(
    progress_file, monkeypatch, capsys
):
    progress.record(_result(Outcome.INCORRECT))
    before = progress_file.read_bytes()

    def fail(source, target):
        raise OSError("disk full")

    monkeypatch.setattr(progress.os, "replace", fail)
    assert progress.record(_result(Outcome.CORRECT)) is False
    assert progress_file.read_bytes() == before
    assert sorted(p.name for p in progress_file.parent.iterdir()) == ["progress.json"]
    assert "disk full" in capsys.readouterr().out


@pytest.mark.parametrize(
    "content",
    [
        b"{not json",
        b"\xff\xfe\x00binary",
        b'{"format": "something else"}',
        b'{"format": "cellcourse-progress", "records": "oops"}',
        b"[1, 2, 3]",
        b"[" * 100_000 + b"]" * 100_000,
        b"",
    ],
    ids=["not-json", "binary", "other-format", "bad-records", "not-records", "deep", "empty"],
)
def test_damaged_file_is_moved_aside_and_a_new_one_started(progress_file, capsys, content):
    progress_file.write_bytes(content)
    assert progress.record(_result())
    asides = list(progress_file.parent.glob("progress.json.corrupt-*"))
    assert len(asides) == 1
    assert asides[0].read_bytes() == content
    assert [r["outcome"] for r in progress.load()] == ["correct"]
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "damaged" in out and asides[0].name in out


def test_two_damaged_files_in_one_second_are_both_kept(progress_file):
    for content in (b"{", b"}"):
        progress_file.write_bytes(content)
        progress.record(_result())
    asides = sorted(p.read_bytes() for p in progress_file.parent.glob("progress.json.corrupt-*"))
    assert asides == [b"{", b"}"]


def test_load_ignores_a_damaged_file_without_moving_it(progress_file, capsys):
    progress_file.write_text("{not json")
    assert progress.load() == []
    assert progress_file.read_text() == "{not json"
    assert "damaged" in capsys.readouterr().out


def test_unreadable_progress_file_does_not_raise(progress_file, capsys):
    progress_file.mkdir()  # a directory where the file should be
    assert progress.record(_result()) is False
    assert progress.record(_result()) is False
    assert progress.load() == []
    out = capsys.readouterr().out
    assert out.count("cannot read the progress file") == 1  # the note is printed once


def test_location_that_cannot_be_created_does_not_raise(tmp_path, monkeypatch, capsys):
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    monkeypatch.setenv("CELLCOURSE_PROGRESS", str(blocker / "progress.json"))
    assert progress.record(_result()) is False
    assert progress.record(_result()) is False
    assert capsys.readouterr().out.count("cannot write the progress file") == 1
    assert blocker.read_text() == "x"


def test_read_only_directory_does_not_raise(progress_file, monkeypatch, capsys):
    progress.record(_result(Outcome.INCORRECT))
    before = progress_file.read_bytes()

    def read_only(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(progress.tempfile, "mkstemp", read_only)
    assert progress.record(_result()) is False
    assert progress_file.read_bytes() == before
    assert "Permission denied" in capsys.readouterr().out


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root ignores file permissions"
)
def test_read_only_directory_by_permissions_does_not_raise(tmp_path, monkeypatch):
    folder = tmp_path / "locked"
    folder.mkdir()
    monkeypatch.setenv("CELLCOURSE_PROGRESS", str(folder / "progress.json"))
    folder.chmod(0o500)
    try:
        assert progress.record(_result()) is False
    finally:
        folder.chmod(0o700)


def _records(*rows):
    return [
        {"learner": learner, "exercise": exercise, "outcome": outcome, "time": f"2024-05-01T10:{i:02d}:00"}
        for i, (learner, exercise, outcome) in enumerate(rows)
    ]  # fmt: skip


def test_summary_keeps_the_best_outcome_and_counts_attempts():
    records = _records(
        ("ada", "00.q1", "not_attempted"),
        ("ada", "00.q1", "incorrect"),
        ("ada", "00.q1", "correct"),
        ("ada", "00.q1", "incorrect"),
        ("ada", "00.q10", "not_attempted"),
        ("ada", "00.q2", "incorrect"),
        ("ada", "00.q3", "viewed"),
    )
    table = progress.summary(records)
    assert list(table) == ["00.q1", "00.q2", "00.q3", "00.q10"]  # natural order
    assert table["00.q1"] == {
        "best": "correct",
        "attempts": 3,
        "checks": 4,
        "last": "2024-05-01T10:03:00",
    }
    assert table["00.q10"]["best"] == "not_attempted"
    assert table["00.q10"]["attempts"] == 0
    assert table["00.q2"]["best"] == "incorrect"
    assert table["00.q3"]["best"] == "viewed"


def test_summary_filters_by_learner_and_skips_malformed_records():
    records = _records(("ada", "00.q1", "correct"), ("bob", "00.q1", "incorrect"))
    records += [
        {"exercise": "00.q9"},
        {"outcome": "correct"},
        "junk",
        {"exercise": 1, "outcome": "correct"},
    ]
    assert progress.summary(records, learner="bob")["00.q1"]["best"] == "incorrect"
    assert list(progress.summary(records)) == ["00.q1"]


def test_summary_reads_the_progress_file_by_default():
    progress.record(_result(Outcome.INCORRECT, "01.q2"))
    progress.record(_result(Outcome.CORRECT, "01.q2"))
    assert progress.summary()["01.q2"]["best"] == "correct"


def test_format_summary_is_a_readable_table():
    records = _records(
        ("ada", "00.q1", "incorrect"), ("ada", "00.q1", "correct"), ("ada", "00.q2", "incorrect")
    )
    text = progress.format_summary(records, exercises=["00.q1", "00.q2", "00.q3"])
    lines = text.splitlines()
    assert lines[0].split() == ["exercise", "best", "attempts", "last", "check"]
    assert lines[2].split() == ["00.q1", "correct", "2", "2024-05-01", "10:01:00"]
    assert lines[3].split() == ["00.q2", "not", "yet", "1", "2024-05-01", "10:02:00"]
    assert lines[4].split() == ["00.q3", "-", "0", "-"]
    assert lines[-1] == "1 of 3 exercises done."


def test_format_summary_without_records():
    assert progress.format_summary([]) == "No exercise checked yet."
    assert progress.format_summary() == "No exercise checked yet."
    with pytest.raises(TypeError):
        progress.format_summary([], exercises="00.q1")
