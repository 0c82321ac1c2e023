"""Each site's mirror, one module per website (the inverse of ``collect/sites``)."""

from __future__ import annotations

from horogen.mirror.base import SiteMirror
from horogen.mirror.sites.astroscope import AstroscopeMirror
from horogen.mirror.sites.ignio import IgnioMirror
from horogen.mirror.sites.mailru import MailRuMirror
from horogen.mirror.sites.newsler import NewslerMirror
from horogen.mirror.sites.rambler import RamblerMirror
from horogen.mirror.sites.retrofm import RetroFMMirror
from horogen.mirror.sites.ru74 import Ru74Mirror

MIRRORS: dict[str, SiteMirror] = {
    mirror.source_id: mirror
    for mirror in (
        Ru74Mirror(),
        RetroFMMirror(),
        NewslerMirror(),
        AstroscopeMirror(),
        RamblerMirror(),
        MailRuMirror(),
        IgnioMirror(),
    )
}

__all__ = ["MIRRORS"]
