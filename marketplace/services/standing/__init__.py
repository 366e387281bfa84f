"""Standing orders: one package, one module per concern; this is what the rest of Qhatu uses.

- `schedule`: schedules, cut-offs and the calendar's closed days (`plan`, `Planned`);
- `occurrences`: one delivery with its changes, prices and state (`Delivery`);
- `changes`: creating, editing, pausing, cancelling; skipping or changing one delivery;
- `due`: which deliveries are due, in batches of one association and one day;
- `fair_share`: how short stock is shared within a batch;
- `placement`: a batch becomes orders, through the same steps as a checkout;
- `messages`: what a placed batch tells buyers and promoters;
- `reminders`: reminders before cut-offs, price-change notices;
- `demand`: what the coming weeks need, for promoters;
- `queries`: standing orders loaded for lists and pages.
"""

from .changes import (
    cancel,
    change_delivery,
    create_standing_order,
    pause,
    resume,
    skip_delivery,
    update_standing_order,
)
from .demand import DemandRow, DemandWeek, calendar_changes, demand_ahead, recent_shortfalls
from .due import (
    Due,
    batches_of,
    due_deliveries,
    find_due,
    record_failure,
    resume_finished_pauses,
)
from .fair_share import Claim, share_stock
from .occurrences import (
    DELIVERY_STATE_LABELS,
    DELIVERY_STATE_TONES,
    Delivery,
    DeliveryLine,
    delivery_on,
    effective_quantities,
    ensure_occurrences,
    past_deliveries,
    upcoming_deliveries,
)
from .placement import PlacementReport, place_batch
from .queries import list_standing_orders, next_delivery_dates, standing_order_with_details
from .reminders import notify_price_changes, send_reminders
from .schedule import (
    DEFAULT_LEAD_DAYS,
    DEMAND_WEEKS,
    UPCOMING_WEEKS,
    Planned,
    Schedule,
    cutoff_at,
    describe_schedule,
    earliest_start,
    lead_days_for,
    lima_date_of,
    plan,
    schedule_dates,
)

__all__ = [
    "DEFAULT_LEAD_DAYS",
    "DELIVERY_STATE_LABELS",
    "DELIVERY_STATE_TONES",
    "DEMAND_WEEKS",
    "UPCOMING_WEEKS",
    "Claim",
    "DemandRow",
    "DemandWeek",
    "Delivery",
    "DeliveryLine",
    "Due",
    "PlacementReport",
    "Planned",
    "Schedule",
    "batches_of",
    "calendar_changes",
    "cancel",
    "change_delivery",
    "create_standing_order",
    "cutoff_at",
    "delivery_on",
    "demand_ahead",
    "describe_schedule",
    "due_deliveries",
    "earliest_start",
    "effective_quantities",
    "ensure_occurrences",
    "find_due",
    "lead_days_for",
    "lima_date_of",
    "list_standing_orders",
    "next_delivery_dates",
    "notify_price_changes",
    "past_deliveries",
    "pause",
    "place_batch",
    "plan",
    "recent_shortfalls",
    "record_failure",
    "resume",
    "resume_finished_pauses",
    "schedule_dates",
    "send_reminders",
    "share_stock",
    "skip_delivery",
    "standing_order_with_details",
    "update_standing_order",
    "upcoming_deliveries",
]
