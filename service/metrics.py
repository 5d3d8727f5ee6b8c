"""Prometheus metrics on a per-app CollectorRegistry (no global state shared between apps)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

__all__ = ["Metrics"]


class Metrics:
    """Documents by backend and outcome, latency, model tokens, requests, failures, queue depth."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.documents = Counter("trialx_documents", "Documents processed", ["backend", "outcome"], registry=r)
        self.doc_latency = Histogram("trialx_document_seconds", "Time to extract one document", ["backend"],
                                     registry=r, buckets=(.001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60))
        self.tokens = Counter("trialx_model_tokens", "Model tokens", ["kind"], registry=r)
        self.requests = Counter("trialx_http_requests", "HTTP requests", ["method", "route", "status"], registry=r)
        self.req_latency = Histogram("trialx_http_request_seconds", "HTTP request latency", ["route"], registry=r)
        self.failures = Counter("trialx_failures", "Documents that ended in an error line", ["code"], registry=r)
        self.queue_depth = Gauge("trialx_queue_depth", "Documents pending or running", registry=r)
