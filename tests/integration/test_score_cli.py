"""``horogen score FILE [--json]`` on CSV, JSON lines and plain text, with offline and (tiny)
hub backends, and every kind of bad input as a one-line error."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from horogen.cli.app import app
from tiny_models import RUBERT_SENTIMENT_LABELS, bert_classifier

GOOD = "Сегодня звёзды благоволят вам. Не бойтесь перемен, они к лучшему!"
MADE_UP = "Сегодня облакаы благоволят вам."
GLOOMY = "День будет тяжёлым: ссоры, обиды и разочарования. Вас ждут неудачи и потери."
TEXTS = [GOOD, MADE_UP, GLOOMY]


def write_all_formats(folder) -> dict[str, object]:
    """The same three texts as CSV (with other columns, a comma inside a text), JSON lines
    and plain text (with a blank line, skipped)."""
    with (folder / "texts.csv").open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(["sign", "text"])
        writer.writerows([("aries", text) for text in TEXTS])
    (folder / "texts.jsonl").write_text(
        "".join(json.dumps({"sign": "aries", "text": text}) + "\n" for text in TEXTS)
    )
    (folder / "texts.txt").write_text(f"{GOOD}\n\n{MADE_UP}\n{GLOOMY}\n")
    return {name: folder / f"texts.{name}" for name in ("csv", "jsonl", "txt")}


@pytest.fixture
def files(tmp_path):
    return write_all_formats(tmp_path)


def score(*args: str) -> dict:
    result = CliRunner().invoke(app, ["score", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_every_format_gives_the_same_scores(files) -> None:
    outputs = [score(str(path), "--json", "--offline") for path in files.values()]
    assert outputs[0] == outputs[1] == outputs[2]
    summary = outputs[0]
    assert set(summary) == {
        "acceptability",
        "diversity",
        "sentiment",
        "consistency",
        "novelty",
        "novelty_copies",
        "n",
    }
    assert summary["consistency"] is None  # a sign but no date: no request
    assert summary["novelty"] is None and summary["novelty_copies"] is None  # no --corpus
    # облакаы is not a word; the third text is gloomy
    assert (summary["acceptability"], summary["sentiment"], summary["n"]) == (2 / 3, 2 / 3, 3)
    assert 0 < summary["diversity"] < 1


def test_the_table_names_metrics_values_and_backends(files) -> None:
    result = CliRunner().invoke(app, ["score", str(files["txt"]), "--offline"])
    assert result.exit_code == 0, result.output
    for shown in ("acceptability", "0.667", "grammar", "e5", "lexicon", "needs corpus", "3 texts"):
        assert shown in result.stdout


def test_novelty_against_a_corpus_catches_the_copied_text(files, tmp_path) -> None:
    corpus = tmp_path / "training.txt"
    corpus.write_text(f"{GOOD}\nВечер подходит для встречи с друзьями.\n", encoding="utf-8")
    summary = score(str(files["txt"]), "--json", "--offline", "--corpus", str(corpus))
    # GOOD is in the corpus whole (novelty 0); the other two share at most a word or two
    assert summary["novelty_copies"] == pytest.approx(1 / 3)
    assert 0.4 < summary["novelty"] < 2 / 3
    result = CliRunner().invoke(
        app, ["score", str(files["txt"]), "--offline", "--corpus", str(corpus)]
    )
    assert "copies (over half their words in one run" in result.stdout


def test_the_backends_come_from_the_settings(files, monkeypatch, tmp_path) -> None:
    """No --offline: the environment chooses, here a (tiny) hub sentiment model that
    finds every text negative and the offline backends for the rest."""
    model = bert_classifier(tmp_path / "rubert", RUBERT_SENTIMENT_LABELS, favoured=2)
    monkeypatch.setenv("HOROGEN_EVALUATE__SCORERS__ACCEPTABILITY__BACKEND", "orthography")
    monkeypatch.setenv("HOROGEN_EVALUATE__SCORERS__DIVERSITY__BACKEND", "char-tfidf")
    monkeypatch.setenv("HOROGEN_EVALUATE__SCORERS__SENTIMENT__MODEL", str(model))
    summary = score(str(files["jsonl"]), "--json")
    assert (summary["acceptability"], summary["sentiment"]) == (2 / 3, 0.0)


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "horogen", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "1000", **(env or {})},
    )


def one_line_error(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    return lines[0]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("missing.txt", None, "missing.txt: no such file"),
        ("empty.txt", "", "empty.txt: no texts"),
        ("blank.txt", "\n  \n", "blank.txt: no texts"),
        ("empty.csv", "", "empty.csv: no texts"),
        ("header.csv", "sign,text\n", "header.csv: no texts"),
        ("columns.csv", "sign,body\naries,Текст.\n", "no 'text' column (columns: 'sign', 'body')"),
        ("bad.jsonl", '{"text": "Текст."}\n\n{"text": "Тек\n', "bad.jsonl line 3: not valid JSON"),
        ("field.jsonl", '{"text": "Текст."}\n{"body": "x"}\n', "field.jsonl line 2: not an object"),
        ("latin1.txt", "Текст.".encode("cp1251"), "latin1.txt: not UTF-8 text"),
    ],
)
def test_bad_input_is_a_one_line_error(tmp_path, name, content, message) -> None:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content, encoding="utf-8")
    assert message in one_line_error(cli("score", str(path), "--json", "--offline"))


def test_a_hub_model_that_cannot_load_is_a_one_line_error(files) -> None:
    line = one_line_error(cli("score", str(files["txt"]), env={"HF_HUB_OFFLINE": "1"}))
    assert "RussianNLP/ruRoBERTa-large-rucola" in line
    assert "HOROGEN_EVALUATE__SCORERS__ACCEPTABILITY__MODEL" in line


#: For Leo on Wednesday 2 December 2026, each naming its sign and date in other case forms.
RIGHT = (
    "2 декабря Львам стоит довериться интуиции. В среду Лев почувствует прилив сил, а "
    "для Львов декабрь станет временем перемен; о Льве заговорят до конца декабря."
)
WRONG = {
    "sign": ("Ракам лучше не строить планов на среду.", "another sign 'Ракам'"),
    "weekday": ("Львам повезёт в пятницу, 2 декабря.", "another weekday 'пятницу'"),
    "month": ("Лев, в январе вас ждёт успех.", "another month 'январе'"),
    "day": ("До 15 декабря Львам лучше отдохнуть.", "another day '15'"),
    "slot": ("Сегодня <sign:datv:dual> повезёт.", "unfilled slot '<sign:datv:dual>'"),
}


def requests_file(folder, texts: list[str]):
    path = folder / "generated.jsonl"
    path.write_text(
        "".join(
            json.dumps(
                {"sign": "leo", "category": "love", "date": "2026-12-02", "text": text},
                ensure_ascii=False,
            )
            + "\n"
            for text in texts
        ),
        encoding="utf-8",
    )
    return path


def test_consistency_passes_a_text_true_to_its_request_in_every_case_form(tmp_path) -> None:
    summary = score(str(requests_file(tmp_path, [RIGHT])), "--json", "--offline")
    assert summary["consistency"] == 1.0


@pytest.mark.parametrize("kind", list(WRONG))
def test_consistency_catches_another_sign_or_date_naming_the_word(tmp_path, kind) -> None:
    text, named = WRONG[kind]
    path = requests_file(tmp_path, [RIGHT, text])
    assert score(str(path), "--json", "--offline")["consistency"] == 0.5
    result = CliRunner().invoke(app, ["score", str(path), "--offline"])
    assert result.exit_code == 0, result.output
    assert f"text 2: consistency: {named}" in result.output
    assert "text 1:" not in result.output


def test_a_bad_request_is_a_one_line_error(tmp_path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps({"sign": "dragon", "date": "2026-12-02", "text": GOOD}) + "\n")
    message = one_line_error(cli("score", str(path), "--offline"))
    assert "bad.jsonl line 1: not a request (unknown sign 'dragon'" in message
