"""Queries on case studies. Every save appends a version; the caller commits."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import CaseStudy, CaseStudyVersion, utcnow

# What a version holds: the fields a person gives (not ids, nor timestamps).
STORY_FIELDS = (
    "title",
    "what_happened",
    "benefited",
    "benefited_key",
    "scale",
    "outcome",
    "links",
    "permalink",
    "happened_on",
    "consent",
    "consent_by",
    "consent_on",
)


@dataclass(frozen=True)
class Reader:
    """Who reads: a case study is theirs to see if shared beyond its project (`shared` consents),
    of one of their projects, or written by them."""

    user: str
    project_ids: tuple[int, ...]
    shared: tuple[str, ...]


def _snapshot(study: CaseStudy) -> dict[str, Any]:
    values = study.model_dump(include=set(STORY_FIELDS))
    return {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in values.items()}


async def save_case_study(session: AsyncSession, study: CaseStudy, *, by: str, now: datetime | None = None) -> CaseStudy:
    """Insert or update the study, and append what it now says as its next version."""
    study.updated_at = now or utcnow()
    if study.id is None:
        study.created_at = study.updated_at
    session.add(study)
    await session.flush()
    latest = await session.scalar(select(func.max(col(CaseStudyVersion.version))).where(col(CaseStudyVersion.case_study_id) == study.id))
    session.add(
        CaseStudyVersion(case_study_id=study.id, version=(latest or 0) + 1, value=_snapshot(study), author=by, created_at=study.updated_at)
    )
    await session.flush()
    return study


async def get_case_study(session: AsyncSession, *, workspace_id: int, study_id: int) -> CaseStudy | None:
    """A case study of this workspace only: ids typed or from buttons are never trusted across workspaces."""
    found = await session.exec(select(CaseStudy).where(col(CaseStudy.workspace_id) == workspace_id, col(CaseStudy.id) == study_id))
    return found.first()


async def list_case_studies(
    session: AsyncSession,
    *,
    workspace_id: int,
    project_id: int | None = None,
    scale: str | None = None,
    consent: tuple[str, ...] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int | None = None,
    reader: Reader | None = None,
    oldest_first: bool = False,
) -> list[CaseStudy]:
    """The workspace's case studies, newest first: of one project, one scale, given consents,
    created in [since, until), or that `reader` may see."""
    query = _filtered(select(CaseStudy), workspace_id, project_id, scale, reader)
    if consent is not None:
        query = query.where(col(CaseStudy.consent).in_(consent))
    if since is not None:
        query = query.where(col(CaseStudy.created_at) >= since)
    if until is not None:
        query = query.where(col(CaseStudy.created_at) < until)
    query = (
        query.order_by(col(CaseStudy.id)) if oldest_first else query.order_by(col(CaseStudy.happened_on).desc(), col(CaseStudy.id).desc())
    )
    if limit is not None:
        query = query.limit(limit)
    return list((await session.exec(query)).all())


async def count_case_studies(
    session: AsyncSession, *, workspace_id: int, project_id: int | None = None, scale: str | None = None, reader: Reader | None = None
) -> int:
    query = _filtered(select(func.count()).select_from(CaseStudy), workspace_id, project_id, scale, reader)
    return int(await session.scalar(query) or 0)


def _filtered(query: Any, workspace_id: int, project_id: int | None, scale: str | None, reader: Reader | None) -> Any:
    query = query.where(col(CaseStudy.workspace_id) == workspace_id)
    if project_id is not None:
        query = query.where(col(CaseStudy.project_id) == project_id)
    if scale is not None:
        query = query.where(col(CaseStudy.scale) == scale)
    if reader is not None:
        query = query.where(
            col(CaseStudy.consent).in_(reader.shared)
            | col(CaseStudy.project_id).in_(reader.project_ids)
            | (col(CaseStudy.author) == reader.user)
        )
    return query


async def case_study_versions(session: AsyncSession, *, study_id: int) -> list[CaseStudyVersion]:
    found = await session.exec(
        select(CaseStudyVersion).where(col(CaseStudyVersion.case_study_id) == study_id).order_by(col(CaseStudyVersion.version))
    )
    return list(found.all())
