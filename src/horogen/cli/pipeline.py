"""`horogen demo`: the whole pipeline on this machine, offline."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer

from horogen.cli.app import LakeOption, app, console, settings_from
from horogen.cli.collect import print_report
from horogen.collect.run import site_today
from horogen.pipeline import collect_step, last_days


@app.command("demo")
def demo_command(
    days: Annotated[int, typer.Option(min=1, help="How many days to backfill.")] = 30,
    lake: LakeOption = None,
) -> None:
    """Run the pipeline end to end on this machine: start the mirror of the seven sites,
    collect the last DAYS days into the lake and report."""
    settings = settings_from(lake)
    window = last_days(days, until=site_today(settings.collect) - dt.timedelta(days=1))
    console.rule(f"1/1 collect {window[0]} … {window[-1]} from the embedded mirror")
    print_report(collect_step(settings, window))
    console.print(f"raw data: {settings.open_lake().url('raw')}")
