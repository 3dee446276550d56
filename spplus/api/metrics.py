"""The API's request metrics for Prometheus: counts and latencies by route template and status."""

from __future__ import annotations

import time

from typing import Any

from fastapi import Depends, FastAPI, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest


def instrument(app: FastAPI, guard: Any = None) -> None:
    """Count and time every request; serve them at /metrics, behind ``guard`` (a FastAPI dependency: an
    operator's or the DITP's token), since route counts tell an anonymous caller who uses the engine."""
    registry = CollectorRegistry()
    requests = Counter("spplus_api_requests_total", "API requests", ["method", "route", "status"], registry=registry)
    latency = Histogram("spplus_api_request_seconds", "API request latency", ["method", "route"], registry=registry)

    @app.middleware("http")
    async def measure(request: Request, call_next):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        response = await call_next(request)
        route = request.scope.get("route")
        template = getattr(route, "path", "unmatched")  # the template, never the ids in the URL
        requests.labels(request.method, template, str(response.status_code)).inc()
        latency.labels(request.method, template).observe(time.perf_counter() - started)
        return response

    @app.get("/metrics", include_in_schema=False, dependencies=[Depends(guard)] if guard else [])
    async def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
