"""The deadlines of improvement plans, suspensions and escalation (SPEC §5), as settings of the
administrator's policy. A new deadline of these workflows is one more ``register`` here.

Read them with ``qaf.policy.due_date(name, start)`` / ``deadline(name)``; never a literal.
"""

from __future__ import annotations

from qaf import policy

IMPROVEMENT_PLAN_DAYS = policy.register(
    "improvement_plan_days",
    14,
    "Improvement plan submitted within",
    section=policy.ESCALATION,
).name
FINAL_WARNING_MONTHS = policy.register(
    "final_warning_months",
    6,
    "Final warning: improvement evidenced within",
    section=policy.ESCALATION,
    unit="months",
).name
SUSTAINABILITY_REVIEW_MONTHS = policy.register(
    "sustainability_review_months",
    6,
    "Sustainability review after leaving final warning",
    section=policy.ESCALATION,
    unit="months",
).name
# Source 003 Appendix 4: "a maximum timescale for improvement of 6 months from referral to the
# Board".
BOARD_REFERRAL_MONTHS = policy.register(
    "board_referral_months",
    6,
    "Referred to the board: improvement evidenced within",
    section=policy.ESCALATION,
    unit="months",
).name
BOARD_PAPERS_DAYS = policy.register(
    "board_papers_days",
    7,
    "Board papers issued at least this long before the meeting",
    section=policy.ESCALATION,
).name
# Source 001: a suspension in place longer than this suggests concern level 3.
SUSPENSION_CONCERN_MONTHS = policy.register(
    "suspension_concern_months",
    3,
    "Suggest concern level 3 for a suspension in place longer than",
    section=policy.ESCALATION,
    unit="months",
).name
