"""QA reviews (SPEC §6): toolkits, reviews, visit answers, information requests, reports."""

from reviews.models.information import (
    InformationRequest,
    InformationRequestItem,
    ItemStatus,
    RequestStatus,
)
from reviews.models.public import (
    SUMMARY_MAX_LENGTH,
    PublishedSummary,
    SummaryState,
)
from reviews.models.report import CommentResponse, ReportComment
from reviews.models.review import (
    IN_PROGRESS,
    Rag,  # qaf.rag.Rag, the one RAG of every app
    Review,
    ReviewKind,
    ReviewQuerySet,
    ReviewStatus,
)
from reviews.models.shared import SharedOutcome
from reviews.models.toolkit import Domain, Question, Standard, Toolkit, ToolkitStatus
from reviews.models.visit import Answer, Score, StandardNote

__all__ = [
    "IN_PROGRESS",
    "SUMMARY_MAX_LENGTH",
    "Answer",
    "CommentResponse",
    "Domain",
    "InformationRequest",
    "InformationRequestItem",
    "ItemStatus",
    "PublishedSummary",
    "Question",
    "Rag",
    "ReportComment",
    "RequestStatus",
    "Review",
    "ReviewKind",
    "ReviewQuerySet",
    "ReviewStatus",
    "Score",
    "SharedOutcome",
    "Standard",
    "StandardNote",
    "SummaryState",
    "Toolkit",
    "ToolkitStatus",
]
