"""The escalation letters' default texts (SPEC §7); an administrator edits them (qaf.letters)."""

from __future__ import annotations

from qaf import letters

COMMON = {"provider": "The provider's name", "service": "The service's name", "date": "Today"}

letters.register(
    "suspension",
    title="Suspension of new placements",
    default_body="Dear {{ provider }}\n\n{{ service }}: {{ restriction }}\n\nFrom {{ date }} the "
    "council is placing {{ restriction }} with {{ service }}, for these reasons:\n\n{{ reasons }}"
    "\n\n{{ restriction_details }}\n\nThis does not affect placements or packages of care "
    "already in place. To end it:\n\n{{ actions_required }}\n\nIt stays in force at least "
    "until {{ minimum_until }}.\n\nYou may appeal in the provider portal, or in writing to "
    "{{ appeal_contact }}.\n\nYours sincerely\n\n{{ approved_by }}\n{{ approved_by_title }}",
    fields=COMMON,
)
letters.register(
    "suspension_lifted",
    title="Suspension lifted",
    default_body="Dear {{ provider }}\n\nFrom {{ date }} the {{ restriction }} at {{ service }} "
    "is lifted: the council may place with you again.\n\n{{ lifted_reason }}\n\nYours "
    "sincerely\n\n{{ approved_by }}\n{{ approved_by_title }}",
    fields=COMMON,
)
letters.register(
    "appeal_outcome",
    title="Your appeal against the suspension",
    default_body="Dear {{ provider }}\n\nYour appeal about {{ service }} is {{ outcome }}.\n\n"
    "{{ decision_reason }}\n\nYours sincerely\n\n{{ decided_by }}\n{{ decided_by_title }}",
    fields=COMMON,
)
