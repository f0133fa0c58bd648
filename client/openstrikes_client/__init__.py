"""Typed Python client of the OpenStrikes dataset of military strike events.

    from openstrikes_client import Client, open_release
    client = Client("http://127.0.0.1:8000", release="0.1.0")
    for event in client.events.iter(country="IQ", strike_type="drone_strike"):
        print(event.id, event.date_start, event.casualties.killed)

`open_release(path)` answers the same queries offline over a downloaded release;
`sync(dir, client)` keeps such a copy current.
"""

from ._client import Actors, Client, Events
from ._download import Progress
from ._errors import (
    APIError,
    BadRequest,
    IntegrityError,
    NotFound,
    OpenStrikesError,
    RateLimited,
    ServerError,
    TransportError,
)
from ._filters import EventFilters, GroupKey, SortKey
from ._local import LocalRelease, open_release
from ._models import (
    Actor,
    ActorKind,
    AggregateRow,
    Aggregates,
    Attacker,
    Attribution,
    Casualties,
    CasualtyClaim,
    Change,
    Changes,
    ClaimFigures,
    CountRange,
    DatePrecision,
    Event,
    ExternalIds,
    GeoPrecision,
    Outcome,
    Page,
    Problem,
    Range,
    Relation,
    RelationType,
    Release,
    ReleaseFile,
    Releases,
    Report,
    Source,
    SourceType,
    Status,
    StrikeType,
    Target,
    TargetType,
    Withdrawal,
    WithdrawalReason,
)
from ._sync import SyncResult, sync
from ._transport import Retries
from ._version import __version__

__all__ = [
    "APIError",
    "Actor",
    "ActorKind",
    "Actors",
    "AggregateRow",
    "Aggregates",
    "Attacker",
    "Attribution",
    "BadRequest",
    "Casualties",
    "CasualtyClaim",
    "Change",
    "Changes",
    "ClaimFigures",
    "Client",
    "CountRange",
    "DatePrecision",
    "Event",
    "EventFilters",
    "Events",
    "ExternalIds",
    "GeoPrecision",
    "GroupKey",
    "IntegrityError",
    "LocalRelease",
    "NotFound",
    "OpenStrikesError",
    "Outcome",
    "Page",
    "Problem",
    "Progress",
    "Range",
    "RateLimited",
    "Relation",
    "RelationType",
    "Release",
    "ReleaseFile",
    "Releases",
    "Report",
    "Retries",
    "ServerError",
    "SortKey",
    "Source",
    "SourceType",
    "Status",
    "StrikeType",
    "SyncResult",
    "Target",
    "TargetType",
    "TransportError",
    "Withdrawal",
    "WithdrawalReason",
    "__version__",
    "open_release",
    "sync",
]
