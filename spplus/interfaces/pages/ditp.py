"""Pages: ditp (issue 13) — being built."""

from __future__ import annotations

from fastapi import APIRouter

from .kit import Kit


def routes(kit: Kit) -> APIRouter:
    return APIRouter(include_in_schema=False)
