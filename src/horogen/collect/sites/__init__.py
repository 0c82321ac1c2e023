"""The source adapters, one module per website."""

from __future__ import annotations

from horogen.collect.base import Source
from horogen.collect.sites.astroscope import Astroscope
from horogen.collect.sites.ignio import Ignio
from horogen.collect.sites.mailru import MailRu
from horogen.collect.sites.newsler import Newsler
from horogen.collect.sites.rambler import Rambler
from horogen.collect.sites.retrofm import RetroFM
from horogen.collect.sites.ru74 import Ru74

SOURCES: dict[str, type[Source]] = {
    cls.id: cls for cls in (Ru74, RetroFM, Newsler, Astroscope, Rambler, MailRu, Ignio)
}

__all__ = ["SOURCES"]
