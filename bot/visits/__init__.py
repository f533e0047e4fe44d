"""Site-visit booking (预约考察): staff publish slots, a tenant who left a lead books one in the chat.

The chat side runs in the gateway, before Rasa (chat.py): its buttons carry
payloads Rasa never sees, so the booking needs no retraining. Bookings and
slots live in bot/models.py (VisitSlot, VisitBooking); booking.py changes
them, calendar.py writes the .ics, the console pages are bot/console/visits.py.
"""

from __future__ import annotations

# The intent the turn log records for a turn the gateway answered with the booking flow (stats count it apart).
VISIT_INTENT = "visit_booking"
