"""The lake on a real S3-protocol server (moto's standalone server on 127.0.0.1)."""

import datetime as dt

import boto3

from horogen import raw
from horogen.config import load_settings
from horogen.schema import Record


def test_s3_lake_round_trip(s3_endpoint: str, s3_bucket: str) -> None:
    settings = load_settings(
        lake=f"s3://{s3_bucket}/horogen", s3={"endpoint_url": s3_endpoint, "region": "us-east-1"}
    )
    lake = settings.open_lake()
    record = Record(
        date=dt.date(2026, 11, 25),
        sign="leo",
        category="love",
        source="newsler",
        text='Текст с "кавычками",\nи переносом',
        url="https://www.newsler.ru/horoscope/love",
        collected_at=dt.datetime(2026, 11, 25, 6, tzinfo=dt.UTC),
    )
    path = "raw/date=2026-11-25/newsler.csv"
    lake.write_bytes(path, raw.to_csv([record]))
    lake.write_json("reports/collect/date=2026-11-25/newsler.json", {"records": 1})

    assert raw.from_csv(lake.read_bytes(path)) == [record]
    assert lake.partitions("raw") == [dt.date(2026, 11, 25)]
    assert lake.files("reports") == ["reports/collect/date=2026-11-25/newsler.json"]
    assert lake.url(path) == f"s3://{s3_bucket}/horogen/{path}"

    # What landed is a plain object another S3 client reads as written.
    s3 = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    body = s3.get_object(Bucket=s3_bucket, Key=f"horogen/{path}")["Body"].read()
    assert body == raw.to_csv([record])

    lake.write_bytes(path, b"date,sign,category,source,text,url,collected_at\n")
    assert raw.from_csv(lake.read_bytes(path)) == []
