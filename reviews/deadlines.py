"""The deadlines of the review workflows (SPEC §5), as settings of the administrator's policy.

Read them with ``qaf.policy.due_date(name, start)`` / ``deadline(name)``; never a literal.
"""

from __future__ import annotations

from qaf import policy

INFORMATION_REQUEST_DAYS = policy.register(
    "information_request_days",
    28,
    "Information request answer due after",
    section=policy.REVIEWS,
).name
PROVIDER_COMMENT_DAYS = policy.register(
    "provider_comment_days",
    14,
    "Provider comments on a draft report due after",
    section=policy.REVIEWS,
).name
