"""When to train a new version: the retraining policy of the daily loop."""

from __future__ import annotations

import datetime as dt
import io

import pyarrow.parquet as pq
from pydantic import BaseModel

from horogen.lake import Lake
from horogen.layout import PROCESSED, processed_path
from horogen.model.registry import VersionInfo
from horogen.model.store import ModelStore
from horogen.train.data import DataWindow
from horogen.train.settings import TrainSettings


class RetrainDecision(BaseModel):
    """Whether to train on ``day``, why, and on which window."""

    due: bool
    reason: str
    window: DataWindow


def retrain_due(
    lake: Lake, settings: TrainSettings, models: ModelStore, day: dt.date
) -> RetrainDecision:
    """Whether to train a new version on ``day``: when there is no champion, or when the
    newest data any version was trained on (the champion's, or a newer version's that the
    gate turned down) ends ``retrain_every_days`` or more before ``day``, or when
    ``retrain_min_new_rows`` processed rows arrived after it. So a challenger the gate
    rejected is not trained again the next day on the same data. The window to train on
    is ``window_days`` up to ``day``."""
    window = DataWindow(day - dt.timedelta(days=settings.window_days - 1), day)

    def decision(due: bool, reason: str) -> RetrainDecision:
        return RetrainDecision(due=due, reason=reason, window=window)

    registry = models.registry
    champion = registry.champion()
    if champion is None:
        return decision(True, "there is no champion yet")
    latest = max(
        (version for version in (champion, registry.newest()) if version is not None),
        key=lambda version: _data_end(version) or dt.date.min,
    )
    data_end = _data_end(latest)
    if data_end is None:
        return decision(True, f"the champion (version {champion.version}) names no data window")
    trained = f"version {latest.version}" + (" (the champion)" if latest is champion else "")
    age = (day - data_end).days
    if age >= settings.retrain_every_days:
        return decision(
            True, f"the newest data, {trained}'s, ends {data_end}, {age} days before {day}"
        )
    new_rows = processed_rows(lake, after=data_end, until=day)
    if new_rows >= settings.retrain_min_new_rows:
        return decision(True, f"{new_rows} new processed rows since {trained}'s data ({data_end})")
    return decision(
        False,
        f"{trained} has data up to {data_end}: {age} of {settings.retrain_every_days} days, "
        f"{new_rows} of {settings.retrain_min_new_rows} new rows",
    )


def processed_rows(lake: Lake, *, after: dt.date, until: dt.date) -> int:
    """Rows in the processed partitions of the days after ``after`` up to ``until`` (read
    from the parquet footers)."""
    rows = 0
    for day in lake.partitions(PROCESSED):
        if after < day <= until and lake.exists(processed_path(day)):
            footer = pq.ParquetFile(io.BytesIO(lake.read_bytes(processed_path(day)))).metadata
            rows += footer.num_rows
    return rows


def _data_end(version: VersionInfo) -> dt.date | None:
    """The last day of a version's ``data_window`` tag (``start..end``)."""
    try:
        return dt.date.fromisoformat(version.tags.get("data_window", "").split("..")[1])
    except (IndexError, ValueError):
        return None
