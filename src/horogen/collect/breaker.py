"""A circuit breaker per site: a site that failed ``threshold`` requests in a row (each after
its retries) is not asked again in this run.

Without it a dead site costs every page's timeouts and retries (a hanging feed site: eight
feeds × five attempts × the read timeout); with it, about one request's retries. The
breaker never closes again within a run: the next run (the next day, a rerun) asks again.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Breaker:
    """Counts one site's failed requests in a row; ``threshold`` 0 never opens."""

    site: str
    threshold: int
    failures_in_a_row: int = 0
    reason: str | None = None  # why the breaker opened: set once it is open

    @property
    def open(self) -> bool:
        return self.reason is not None

    def succeeded(self) -> None:
        self.failures_in_a_row = 0

    def failed(self, reason: str) -> None:
        """A request failed after its retries because the site did not answer properly."""
        self.failures_in_a_row += 1
        if self.threshold and self.failures_in_a_row >= self.threshold and not self.open:
            count = self.failures_in_a_row
            self.reason = (
                f"{self.site} failed {count} request(s) in a row (last: {reason}); "
                "not asked again in this run"
            )
