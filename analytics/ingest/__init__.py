"""One importer per publication; each validates the whole file, then writes it in one transaction."""

from analytics.ingest.common import ImportRejected, ImportResult, Problem

__all__ = ["ImportRejected", "ImportResult", "Problem"]
