"""Counting a campaign's deliveries by status and reason: one GROUP BY, shared by the run's progress bar
(`dispatcher.run_counts`) and the campaign's results (`results.selectors.campaign_stats`)."""

from dataclasses import dataclass, field

from django.db.models import Count, QuerySet

from ..models import Delivery


@dataclass
class DeliveryTally:
    counts: dict[str, int] = field(default_factory=lambda: {"pending": 0, "sent": 0, "skipped": 0, "failed": 0})
    by_status_reason: dict[tuple[str, str], int] = field(default_factory=dict)

    def reasons(self, *statuses: str) -> dict[str, int]:
        """How many of these statuses each reason accounts for (a blank reason included)."""
        found: dict[str, int] = {}
        for (status, reason), n in self.by_status_reason.items():
            if status in statuses:
                found[reason] = found.get(reason, 0) + n
        return found


def delivery_tally(deliveries: QuerySet[Delivery]) -> DeliveryTally:
    tally = DeliveryTally()
    for row in deliveries.order_by().values("status", "reason").annotate(n=Count("id")):
        tally.counts[row["status"]] += row["n"]
        tally.by_status_reason[(row["status"], row["reason"])] = row["n"]
    return tally
