"""The command line's contract, through the installed ``horogen`` executable: each kind of
outcome has its exit code (README, "Exit codes"), every error a user can cause is one line
saying what to do, and ``horogen parse`` reads what a saved page states about itself."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from cli_support import horogen, one_error_line
from horogen.collect.run import site_today
from horogen.collect.settings import CollectSettings
from horogen.errors import ExitCode
from horogen.lake import Lake
from horogen.mirror.run import MirrorServer
from horogen.mirror.texts import horoscope_text
from horogen.schema import Category
from horogen.signs import Sign

DAY = dt.date(2026, 3, 14)
FIXTURES = Path(__file__).parents[1] / "fixtures" / "sites"


def texts(source: str, sign: Sign, category: Category, day: dt.date) -> str:
    """The mirror's texts without its occasional empty item (a partial day)."""
    return horoscope_text(source, sign, category, day) or f"Запасной текст для {sign.ru}."


@pytest.fixture(scope="module")
def server():
    with MirrorServer(texts=texts) as mirror:
        yield mirror


@pytest.fixture
def mirror(server):
    server.faults.clear()
    yield server
    server.faults.clear()


def collect(lake: Lake, mirror: MirrorServer, *sources: str) -> object:
    chosen = [part for source in sources for part in ("-s", source)]
    fast = {"HOROGEN_COLLECT__RETRIES": "1", "HOROGEN_COLLECT__READ_TIMEOUT": "0.5"}
    fast |= {"HOROGEN_COLLECT__BACKOFF_BASE": "0.01", "HOROGEN_COLLECT__BACKOFF_MAX": "0.05"}
    command = ["collect", "--date", str(DAY), "--lake", lake.uri, "--mirror", mirror.url]
    return horogen(*command, *chosen, env=fast)


# --- exit codes --------------------------------------------------------------------------


def test_success_is_0(lake, mirror):
    done = collect(lake, mirror, "74ru")
    assert done.returncode == ExitCode.SUCCESS == 0, done.stderr
    assert "74ru" in done.stdout and done.stderr == ""


def test_some_sources_failing_under_the_threshold_is_a_partial_failure_5(lake, mirror):
    mirror.faults.set("74ru", status=500)
    done = collect(lake, mirror, "74ru", "retrofm", "newsler")
    assert done.returncode == ExitCode.PARTIAL == 5, done.stdout + done.stderr
    assert "partial: 33% of source-days failed (collect.failure_threshold: 50%)" in done.stderr


def test_four_of_seven_sources_failing_is_a_failure_1_and_a_dead_site_costs_little(lake, mirror):
    mirror.faults.set("74ru", status=500)
    mirror.faults.set("retrofm", status=404)
    mirror.faults.set("rambler", layout="changed")  # a redesign even the fallback cannot read
    mirror.faults.set("ignio", hang=True)
    done = collect(lake, mirror)

    assert done.returncode == ExitCode.FAILURE == 1, done.stdout + done.stderr
    assert "failed: 57% of source-days failed" in done.stderr
    ignio = lake.read_json(f"reports/collect/date={DAY}/ignio.json")
    assert ignio["status"] == "failed" and ignio["not_attempted"] > 0
    assert mirror.log.count("ignio") < 8 * 2  # fewer than every feed's two attempts
    assert "page(s) not attempted: ignio failed 3 request(s) in a row" in done.stdout


def test_a_day_no_source_serves_is_a_failure_1(lake, mirror):
    # Against the live sites (no mirror setting): 74ru serves its today only.
    long_ago = site_today(CollectSettings()) - dt.timedelta(days=30)
    urls = json.dumps({"74ru": f"{mirror.url}/74ru"})
    done = horogen(
        "collect", "--date", str(long_ago), "-s", "74ru", "--lake", lake.uri,
        env={"HOROGEN_COLLECT__BASE_URLS": urls},
    )  # fmt: skip
    assert done.returncode == ExitCode.FAILURE, done.stdout + done.stderr
    assert f"no source serves {long_ago}" in done.stderr


def test_no_raw_data_for_a_date_is_a_data_error_4(lake):
    done = horogen("process", "--date", "2026-01-01", "--lake", lake.uri)
    assert done.returncode == ExitCode.DATA == 4
    assert one_error_line(done).startswith("no raw data for 2026-01-01")
    assert "run `horogen collect --date 2026-01-01` first" in done.stderr


@pytest.mark.parametrize(
    ("arguments", "says"),
    [
        (
            ["parse", "mailru", str(FIXTURES / "mailru" / "current.html"), "--sign", "ophiuchus"],
            "Invalid value for --sign: unknown sign 'ophiuchus'; expected one of: aries,",
        ),
        (["mirror", "--fault", "74ru=boom"], "unknown item 'boom'; expected SOURCE=ITEM"),
        (["mirror", "--fault", "nosuch=500"], "no source 'nosuch'; sources: 74ru, retrofm"),
        (["collect", "-s", "nosuch"], "unknown source(s) nosuch; known: 74ru, retrofm"),
        (["parse", "nosuch", "page.html"], "unknown source 'nosuch'; known: 74ru"),
        (["collect", "--date", "2026-13-01"], "Invalid value for '--date'"),
        (["nosuch"], "No such command 'nosuch'"),
    ],
)
def test_usage_errors_are_2_in_one_line(arguments, says, tmp_path):
    done = horogen(*arguments, cwd=tmp_path)
    assert done.returncode == ExitCode.USAGE == 2
    line = one_error_line(done)
    assert says in line
    assert line.endswith("--help`)")  # where to look


@pytest.mark.parametrize(
    ("toml", "says"),
    [
        ('lake = "x"\n[collect\nretries = 3\n', "is not valid TOML: Expected ']' at the end of a"),
        (
            "[collect]\nretries = -1\n",
            "collect.retries = -1: Input should be greater than or equal",
        ),
        ("[collect]\nretry = 3\n", "collect.retry is not a setting (misspelt?)"),
        ('[collect]\nsources = ["nosuch"]\n', "unknown source(s) nosuch"),
    ],
)
def test_configuration_errors_are_3_in_one_line(toml, says, tmp_path):
    (tmp_path / "horogen.toml").write_text(toml)
    done = horogen("sources", cwd=tmp_path)
    assert done.returncode == ExitCode.CONFIG == 3
    line = one_error_line(done)
    assert "horogen.toml" in line and says in line


def test_a_missing_settings_file_is_a_configuration_error(tmp_path):
    done = horogen("sources", env={"HOROGEN_CONFIG": str(tmp_path / "none.toml")})
    assert done.returncode == ExitCode.CONFIG
    assert "which is not a file" in one_error_line(done)


# --- logging -----------------------------------------------------------------------------


def test_quiet_and_verbose_set_what_is_printed(lake, mirror):
    mirror.faults.set("74ru", status=500)
    chosen = ["--date", str(DAY), "-s", "74ru", "--lake", lake.uri, "--mirror", mirror.url]
    quiet = horogen("-q", "collect", *chosen)
    verbose = horogen("-v", "collect", *chosen)
    assert quiet.returncode == verbose.returncode == ExitCode.FAILURE
    assert "HTTP Request: GET" not in quiet.stderr  # httpx's own log lines
    assert "HTTP Request: GET" in verbose.stderr
    both = horogen("-q", "-v", "sources")
    assert both.returncode == ExitCode.USAGE


# --- horogen parse: what a saved page states ----------------------------------------------


def parse(*arguments: str) -> tuple[object, list[dict]]:
    done = horogen("parse", *arguments)
    records = [json.loads(line) for line in done.stdout.splitlines()]
    return done, records


def test_a_saved_one_sign_page_is_read_from_its_heading_link_and_date():
    done, records = parse("mailru", str(FIXTURES / "mailru" / "saved_scorpio.html"))
    assert done.returncode == 0, done.stderr
    [record] = records
    assert (record["sign"], record["date"]) == ("scorpio", "2026-11-24")
    assert record["url"] == "https://horo.mail.ru/prediction/scorpio/today/"


def test_a_sign_page_of_a_site_whose_first_page_is_an_index():
    done, records = parse("astroscope", str(FIXTURES / "astroscope" / "sign_skorpion.html"))
    assert done.returncode == 0, done.stderr
    [record] = records
    assert (record["sign"], record["date"]) == ("scorpio", "2024-11-25")
    assert record["text"].startswith("Скорпионам день принесёт ясность")  # no "Скорпион (…)"
    done, records = parse("astroscope", str(FIXTURES / "astroscope" / "index.html"))
    assert (done.returncode, records) == (0, [])
    assert done.stderr.count("links to: https://astroscope.ru/horoskop/") == 12


def test_a_feed_gives_its_own_today_and_any_day_it_covers():
    feed = str(FIXTURES / "ignio" / "com.xml")
    done, records = parse("ignio", feed)
    assert done.returncode == 0, done.stderr
    assert len(records) == 12 and {r["date"] for r in records} == {"2026-11-25"}
    done, records = parse("ignio", feed, "--date", "2026-11-27")  # its "tomorrow02"
    assert {r["date"] for r in records} == {"2026-11-27"}
    assert records[0]["text"].startswith("Послезавтра Овнам")
    done, _ = parse("ignio", feed, "--date", "2026-12-25")
    assert done.returncode == ExitCode.FAILURE
    assert "the feed does not cover 2026-12-25" in one_error_line(done)


@pytest.mark.parametrize(
    ("source", "fixture", "date"),
    [
        ("74ru", "good.html", "2024-11-25"),  # the title's year, not the nearest 25 November
        ("newsler", "good.html", "2024-11-25"),
        ("rambler", "current_archive.html", "2025-03-03"),
    ],
)
def test_pages_are_for_the_day_they_state(source, fixture, date):
    done, records = parse(source, str(FIXTURES / source / fixture))
    assert done.returncode == 0, done.stderr
    assert records and {r["date"] for r in records} == {date}


@pytest.mark.parametrize(
    ("options", "says"),
    [
        (["--sign", "aries"], "the page is about Скорпион (scorpio), not Овен (aries) as given"),
        (["--date", "2026-11-25"], "is for 2026-11-24, not 2026-11-25 (--date)"),
        (
            ["--url", "https://horo.mail.ru/prediction/aries/today/"],
            "asked for Овен (aries), but its heading",
        ),
    ],
)
def test_options_win_and_a_contradiction_with_the_page_is_an_error(options, says):
    done, records = parse("mailru", str(FIXTURES / "mailru" / "saved_scorpio.html"), *options)
    assert (done.returncode, records) == (ExitCode.FAILURE, [])
    assert says in one_error_line(done)


def test_options_say_what_the_page_does_not():
    page = str(FIXTURES / "ignio" / "com.xml")
    done, records = parse(
        "ignio", page, "--url", "https://ignio.com/r/export/utf/xml/daily/lov.xml"
    )
    assert done.returncode == 0, done.stderr
    assert {r["category"] for r in records} == {"love"}


def test_a_page_that_does_not_parse_exits_1_with_the_reason():
    done, records = parse("rambler", str(FIXTURES / "rambler" / "changed.html"))
    assert (done.returncode, records) == (ExitCode.FAILURE, [])
    assert "cannot parse" in one_error_line(done)


def test_a_changed_layout_is_read_by_the_fallback_and_says_so():
    done, records = parse("newsler", str(FIXTURES / "newsler" / "changed.html"))
    assert done.returncode == 0, done.stderr
    assert records and all(record["text"] for record in records)
    assert "problem: found by the fallback, since" in done.stderr
