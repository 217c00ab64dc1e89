"""Statistics for coordinators: activity per municipality and per group and month."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from api.auth import ApiActor
from api.problems import problem_responses
from api.schemas import GroupStatsOut, MonthStatsOut, MunicipalityStatsOut, StatsOut
from domain import stats
from erfa.deps import SessionDep

router = APIRouter(tags=["stats"])


@router.get("/stats", response_model=StatsOut, responses=problem_responses(401, 403, 422))
def get_stats(
    session: SessionDep,
    actor: ApiActor,
    start: Annotated[date | None, Query(alias="from")] = None,
    end: Annotated[date | None, Query(alias="to")] = None,
) -> StatsOut:
    """Coordinators only. `from` and `to` are dates, both included (default: the last
    twelve months, from the first of the month eleven months back up to today); at most
    ten years. Posts and new discussions count every month the period touches; resources
    and adoptions count those recorded within it; active officials are counted back from
    now, whatever the period; `open_flags`, `pending_join_requests` and `pending_signups`
    are what waits now."""
    view = stats.overview(session, actor, start=start, end=end)
    return StatsOut.model_validate(
        {
            "from": view.period.start,
            "to": view.period.end,
            "municipalities": [
                MunicipalityStatsOut(
                    slug=m.slug,
                    name=m.name,
                    active_30d=m.active_30d,
                    active_90d=m.active_90d,
                    posts=m.posts,
                    threads=m.threads,
                    resources=m.resources,
                    adoptions=m.adoptions,
                )
                for m in view.municipalities
            ],
            "groups": [
                GroupStatsOut(
                    slug=g.slug,
                    name=g.name,
                    months=[
                        MonthStatsOut(
                            month=m.label, posts=m.posts, new_discussions=m.new_discussions
                        )
                        for m in g.months
                    ],
                )
                for g in view.groups
            ],
            "open_flags": view.open_flags,
            "pending_join_requests": view.pending_join_requests,
            "pending_signups": view.pending_signups,
        }
    )
