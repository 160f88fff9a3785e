"""Cross-carrier journeys: one parcel, several legs (Cainiao -> USPS ...), one merged story.

The planner is written once as a generator (it yields ``(carrier, number)`` to track and
receives the :class:`TrackingInfo` or the error), and driven by the sync and async clients.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any

import attrs

from ._enums import TrackingStatus
from ._exceptions import CarrierError
from ._identify import is_valid_s10, normalize_number
from ._models import RelatedNumber, TrackingEvent, TrackingInfo

if TYPE_CHECKING:
    from ._client import AsyncClient, Client

__all__ = ["Journey", "JourneyEvent", "JourneyLeg", "JourneyPlanner"]


@attrs.frozen(kw_only=True)
class JourneyLeg:
    """One carrier's part of a journey: its info, or the error that stopped it.

    ``relation`` says how the leg was found (``"start"``, ``"last_mile"``, ``"s10_shared"`` ...).
    """

    carrier: str
    tracking_number: str
    relation: str = "start"
    info: TrackingInfo | None = None
    error: CarrierError | None = attrs.field(default=None, eq=False)


@attrs.frozen(kw_only=True)
class JourneyEvent:
    """A tracking event in a merged journey, tagged with the leg it came from."""

    carrier: str
    tracking_number: str
    event: TrackingEvent


@attrs.frozen(kw_only=True)
class Journey:
    """A parcel followed across carriers.

    ``events`` merges every leg's events, de-duplicated and oldest first; ``status`` is the
    current status of the journey (the latest event's, across legs).

    .. versionadded:: 0.1
    """

    tracking_number: str
    legs: tuple[JourneyLeg, ...]
    events: tuple[JourneyEvent, ...]
    status: TrackingStatus

    @property
    def failed_legs(self) -> tuple[JourneyLeg, ...]:
        """Legs that could not be tracked."""
        return tuple(leg for leg in self.legs if leg.error is not None)


Step = Generator[tuple[str, str], "TrackingInfo | CarrierError", Journey]


class JourneyPlanner:
    """Finds and tracks a journey's legs breadth first: bounded, loop-free."""

    def __init__(self, *, max_legs: int = 4) -> None:
        if max_legs < 1:
            raise ValueError("max_legs must be >= 1")
        self.max_legs = max_legs

    def plan(self, client: Client | AsyncClient, number: str, carrier: str | None) -> Step:
        """The journey as a generator of ``(carrier, number)`` tracking requests."""
        start = normalize_number(number)
        first = client._resolve(start, carrier).code
        queue: list[tuple[str, str, str]] = [(first, start, "start")]
        if carrier is None and is_valid_s10(start):
            # An S10 item is tracked by the origin post and by the destination post.
            for claim in client.identify(start):
                if claim.carrier != first:
                    queue.append((claim.carrier, start, "s10_shared"))
        seen: set[tuple[str, str]] = set()
        legs: list[JourneyLeg] = []
        while queue and len(legs) < self.max_legs:
            code, tracking_number, relation = queue.pop(0)
            if (code, tracking_number) in seen:
                continue
            seen.add((code, tracking_number))
            outcome = yield (code, tracking_number)
            if isinstance(outcome, CarrierError):
                legs.append(
                    JourneyLeg(
                        carrier=code,
                        tracking_number=tracking_number,
                        relation=relation,
                        error=outcome,
                    )
                )
                continue
            legs.append(JourneyLeg(carrier=code, tracking_number=tracking_number, relation=relation, info=outcome))
            for related in outcome.related_numbers:
                target = self._carrier_for(client, related)
                if target is None:
                    legs.append(
                        JourneyLeg(
                            carrier=related.carrier or "?",
                            tracking_number=related.tracking_number,
                            relation=related.relation,
                            error=_unknown(related),
                        )
                    )
                    continue
                queue.append((target, normalize_number(related.tracking_number), related.relation))
        return _merge(start, legs)

    @staticmethod
    def _carrier_for(client: Client | AsyncClient, related: RelatedNumber) -> str | None:
        if related.carrier and related.carrier in client.registry:
            return related.carrier
        claims = client.identify(related.tracking_number)
        return claims[0].carrier if claims else None

    def run_sync(self, client: Client, number: str, carrier: str | None) -> Journey:
        """Drive :meth:`plan` with a sync client, under one deadline for the whole journey."""
        deadline_at = client._deadline_at()
        steps = self.plan(client, number, carrier)
        try:
            code, tracking_number = next(steps)
            while True:
                outcome: Any
                remaining = deadline_at - client._clock()
                try:
                    if remaining <= 0:
                        raise _journey_timeout(client, code)
                    outcome = client.with_options(deadline=remaining).track(tracking_number, carrier=code)
                except CarrierError as err:
                    outcome = err
                code, tracking_number = steps.send(outcome)
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]

    async def run_async(self, client: AsyncClient, number: str, carrier: str | None) -> Journey:
        """Drive :meth:`plan` with an async client, under one deadline for the whole journey."""
        deadline_at = client._deadline_at()
        steps = self.plan(client, number, carrier)
        try:
            code, tracking_number = next(steps)
            while True:
                outcome: Any
                remaining = deadline_at - client._clock()
                try:
                    if remaining <= 0:
                        raise _journey_timeout(client, code)
                    outcome = await client.with_options(deadline=remaining).track(tracking_number, carrier=code)
                except CarrierError as err:
                    outcome = err
                code, tracking_number = steps.send(outcome)
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]


def _journey_timeout(client: Client | AsyncClient, code: str) -> CarrierError:
    from ._exceptions import APITimeoutError

    return APITimeoutError(
        f"the journey's {client.deadline:g}s deadline passed before this leg could be tracked",
        carrier=code,
        operation="track",
    )


def _unknown(related: RelatedNumber) -> CarrierError:
    from ._exceptions import UnknownCarrierError

    return UnknownCarrierError(
        f"no installed carrier tracks {related.tracking_number!r}",
        carrier=related.carrier,
        number=related.tracking_number,
    )


def _merge(number: str, legs: list[JourneyLeg]) -> Journey:
    seen: set[tuple[Any, ...]] = set()
    merged: list[JourneyEvent] = []
    for leg in legs:
        if leg.info is None:
            continue
        for event in leg.info.events:
            key = (event.occurred_at, event.status, " ".join(event.description.lower().split()))
            if key in seen:
                continue
            seen.add(key)
            merged.append(JourneyEvent(carrier=leg.carrier, tracking_number=leg.tracking_number, event=event))
    merged.sort(key=lambda e: e.event.occurred_at)
    if merged:
        status = merged[-1].event.status
    else:
        infos = [leg.info for leg in legs if leg.info is not None]
        status = infos[-1].status if infos else TrackingStatus.UNKNOWN
    return Journey(tracking_number=number, legs=tuple(legs), events=tuple(merged), status=status)
