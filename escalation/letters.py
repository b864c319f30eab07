# ruff: noqa: E501 - a paragraph of a letter's text is one line, as the administrator types it
"""The letters of suspensions (SPEC §6, issue 10): their merge fields and the council's default
texts, registered with ``qaf.letters``. An administrator changes the texts at ``/letters/``;
the services issue them with ``letters.issue_letter(SUSPENSION, suspension, actor=...,
context={...})``.

The default texts follow the seeds: source 000 §8 (the reasons, "will not impact contracts
already in place", the appeal to the Commercial and Quality Assurance Manager), source 003 §2.5
(a minimum period of at least six months to show sustained improvement) and the letter style of
source 003 Tables 4-5 (the decision and its reasons, what is expected, continued support, "please
confirm receipt"). The sign-off (the issuing manager's name and job title) is the PDF's.

A line whose fields are all empty is left out: the minimum period when there is none, the
restriction's details when placements are simply stopped.
"""

from __future__ import annotations

from datetime import date

from qaf import letters

SUSPENSION = "suspension"
SUSPENSION_LIFTED = "suspension_lifted"
APPEAL_OUTCOME = "appeal_outcome"

# A sample suspension, for the administrator's preview.
_SAMPLE = {
    "provider": "Sunrise Care Ltd",
    "service": "Sunrise House",
    "date": date(2026, 12, 3),
}
_APPROVED = {
    "restriction": "no new placements",
    "approved_by": "Maya Patel",
    "approved_by_title": "Commercial and Quality Support Manager",
}

letters.register(
    SUSPENSION,
    title="Suspension of new placements",
    fields={
        "provider": "The provider's name",
        "service": "The service's name",
        "service_address": "The service's address",
        "restriction": "The restriction: “no new placements” or “placing with restrictions”",
        "restriction_details": "What the restriction allows, when placing with restrictions",
        "reasons": "The reasons for the suspension (a list)",
        "actions_required": "The actions the provider must take for the suspension to end",
        "minimum_until": "The earliest date the suspension can end (empty when there is none)",
        "date": "The date the suspension starts",
        "proposed_by": "The officer who proposed the suspension",
        "approved_by": "The manager who approved it",
        "approved_by_title": "That manager's job title",
        "appeal_contact": "Who the provider writes to in order to appeal",
    },
    sample={
        **_SAMPLE,
        **_APPROVED,
        "service_address": "12 Mill Lane, Avonmere AV1 2BC",
        "restriction_details": "",
        "reasons": [
            "The Care Quality Commission rated the service Inadequate on 14 November 2026 and "
            "we have not received assurance that people are supported safely.",
            "An organisational safeguarding enquiry is open.",
        ],
        "actions_required": "- Send us your action plan for the concerns in the inspection "
        "report by 17 December 2026.\n- Complete the medicines audit and share its results.",
        "minimum_until": date(2027, 6, 3),
        "proposed_by": "Olivia Brown",
        "appeal_contact": "the Commercial and Quality Assurance Manager, quality@avonmere.gov.uk",
    },
    default_body="""Dear {{ provider }}

Service: {{ service }}
Address: {{ service_address }}

I am writing to confirm that from {{ date }} {{ council }} has restricted new placements with {{ service }}: {{ restriction }}.
{{ restriction_details }}

We have taken this decision for the following reasons:

{{ reasons }}

This suspension will not impact contracts already in place. It does not end any current placement or package of care, and it does not prevent the service from adding to or changing current packages of care or placements.

To end the suspension you will need to:

{{ actions_required }}

The suspension will remain in effect until these concerns have been addressed and we have written to you to confirm the change of status.

Because the service has not consistently met the expected standards, the suspension will remain in place until at least {{ minimum_until }}, even once the actions above are complete, so that you can show that the improvement is sustained.

The suspension was proposed by {{ proposed_by }} and approved by {{ approved_by }}, {{ approved_by_title }}.

If you disagree with this decision you can appeal. Send your appeal, with your reasons, through the provider portal on the page of {{ service }}, or in writing to {{ appeal_contact }}. A manager who did not approve the suspension will review it.

We will continue to work with you and your registered manager to support and monitor progress against the actions above. Please could you confirm receipt of this letter.""",
)

letters.register(
    SUSPENSION_LIFTED,
    title="Suspension lifted",
    fields={
        "provider": "The provider's name",
        "service": "The service's name",
        "date": "The date the suspension ends",
        "restriction": "The restriction that is lifted",
        "lifted_reason": "Why the suspension is lifted",
        "approved_by": "The manager who approved the lifting",
        "approved_by_title": "That manager's job title",
    },
    sample={
        **_SAMPLE,
        **_APPROVED,
        "date": date(2027, 6, 3),
        "lifted_reason": "You have completed every action we asked for, and our follow-up "
        "visit on 20 May 2027 found that the improvements have been sustained.",
    },
    default_body="""Dear {{ provider }}

I am pleased to confirm that {{ council }} has lifted the suspension of {{ service }} ({{ restriction }}) from {{ date }}. We may make new placements with the service again.

We have lifted the suspension because:
{{ lifted_reason }}

The decision was approved by {{ approved_by }}, {{ approved_by_title }}. Our placement teams have been told that the restriction no longer applies.

Thank you for the work you and your staff have done. We will continue to monitor the quality of the service through our usual quality assurance processes. Please could you confirm receipt of this letter.""",
)

letters.register(
    APPEAL_OUTCOME,
    title="Outcome of your appeal against a suspension",
    fields={
        "provider": "The provider's name",
        "service": "The service's name",
        "date": "The date of the decision",
        "outcome": "The decision: “upheld” or “refused”",
        "decision_reason": "The reasons for the decision",
        "decided_by": "The manager who decided the appeal",
        "decided_by_title": "That manager's job title",
        "consequence": "What follows (appeal_consequence(): the suspension ends, or it stands "
        "and its actions still apply)",
    },
    sample={
        **_SAMPLE,
        "outcome": "upheld",
        "decision_reason": "The evidence you sent with your appeal shows that the medicines "
        "concerns had been resolved before the suspension was approved.",
        "decided_by": "Mo Khan",
        "decided_by_title": "Commercial and Quality Assurance Manager",
        "consequence": "The suspension of Sunrise House has ended: we may make new "
        "placements with the service again.",
    },
    default_body="""Dear {{ provider }}

We have considered your appeal against the suspension of new placements with {{ service }}. On {{ date }} {{ decided_by }}, {{ decided_by_title }}, a manager who did not approve the suspension, decided that your appeal is {{ outcome }}.

The reasons for this decision:
{{ decision_reason }}

{{ consequence }}

If you have any questions about this decision, please contact your quality officer. Please could you confirm receipt of this letter.""",
)


def appeal_consequence(*, upheld: bool, service: str) -> str:
    """The ``consequence`` of an appeal outcome letter (source 000 §8): an appeal upheld ends
    the suspension; one refused leaves it, and the actions required to lift it, in place."""
    if upheld:
        return (
            f"The suspension of {service} has ended: we may make new placements with the "
            "service again."
        )
    return (
        f"The suspension of {service} stays in place. The actions set out in our letter "
        "suspending new placements still apply, and the suspension will end once they have "
        "been completed and we have written to you to confirm it."
    )


# --- Escalation cases (source 003 §2.4-2.5, Appendix 1, Tables 4-5) ---------------------------

QUALITY_IMPROVEMENT_NOTICE = "quality_improvement_notice"
RECTIFICATION_NOTICE = "rectification_notice"
FINAL_WARNING_NOTICE = "final_warning_notice"
LETTER_OF_TERMINATION = "letter_of_termination"

# Who each board letter is copied to, and what it encloses, as source 003 Tables 4-5 name them.
BOARD_MEMBERS = "Members of the Commissioning and Quality Board"
RECTIFICATION_COPIES = ("Registered Manager", BOARD_MEMBERS)
FINAL_WARNING_COPIES = ("Procurement Team", BOARD_MEMBERS, "Registered Manager")
TERMINATION_COPIES = ("Procurement Team", BOARD_MEMBERS, "Registered Manager")
POLICY_ENCLOSURE = ("Contract, Risk Management and Quality Policy",)

_CASE_SAMPLE = {**_SAMPLE, "meeting_date": date(2026, 11, 26)}

letters.register(
    QUALITY_IMPROVEMENT_NOTICE,
    title="Quality Improvement Notice",
    fields={
        "provider": "The provider's name",
        "service": "The service's name",
        "date": "The date of the notice",
        "concerns": "The quality concerns",
        "contact_on": "When we spoke to the provider about them",
        "lead": "The officer leading the case",
    },
    sample={
        **_SAMPLE,
        "concerns": "Medicines were not given as prescribed on three occasions in October, "
        "and care plans were not reviewed after falls.",
        "contact_on": date(2026, 11, 20),
        "lead": "Olivia Brown",
    },
    default_body="""Dear {{ provider }}

Quality Improvement Notice: {{ service }}

Further to our conversation on {{ contact_on }}, I am writing to tell you that {{ council }} has invoked its Contract, Quality and Risk Management Policy for {{ service }} and is issuing this formal Quality Improvement Notice. The concerns are:

{{ concerns }}

We will arrange a Quality Improvement Meeting with you, held at the service wherever possible, to discuss the concerns, your action plan and the support you may need. At that meeting our commissioning position with you will be decided, which may include the suspension of new placements or placing with restrictions.

Please send us an improvement plan identifying the tasks to be undertaken, who is responsible for each and the timescales for completion, unless these concerns are already addressed in a plan agreed with the Care Quality Commission.

If improvements are not made and sustained, the service may be referred to the Commissioning and Quality Board, which may issue a Rectification Notice or a Final Warning Notice.

Your contact for this case is {{ lead }}. Please could you confirm receipt of this letter.""",
)

letters.register(
    RECTIFICATION_NOTICE,
    title="Rectification Notice",
    fields={
        "provider": "The provider's name",
        "service": "The service's name",
        "date": "The date of the notice",
        "meeting_date": "The date of the board meeting that decided it",
        "concerns": "The headline concerns put to the board",
    },
    sample={
        **_CASE_SAMPLE,
        "concerns": "A series of Requires improvement inspection outcomes since 2023.",
    },
    default_body="""CONFIDENTIAL

Dear {{ provider }}

Rectification Notice: {{ service }}

In light of our ongoing quality improvement activity with {{ provider }}, a decision was taken at the Commissioning and Quality Board meeting on {{ meeting_date }} to formally issue a Rectification Notice reflecting the nature of the failures of care at {{ service }}:

{{ concerns }}

We would expect significant improvement by the next CQC inspection, which will be our measure of progress. Failure to make sustainable improvements will result in your service being discussed further by the Care Provider Commissioning and Quality Board. The Board will decide on any further action to be taken following non-compliance with an agreed rectification action plan and may issue a Final Warning Notice. You must be able to evidence sustained improvement to levels accepted by the Commissioning and Quality Board within a maximum of six months from being issued with a Final Warning Notice. Please be aware that if you are unable to evidence improvements as set out in the Final Warning Notice, the Commissioning and Quality Board may decide to notify you of a breach of contract and decide to terminate / decommission the service (Letter of Termination).

I have enclosed the joint contract, risk management and quality policy, which includes information about the Care Provider Commissioning and Quality Board for your reference. We will continue to work with you and your Registered Manager to support and monitor progress against expected improvements in line with our existing quality improvement mechanisms. Please could you confirm receipt of this letter.""",
)

letters.register(
    FINAL_WARNING_NOTICE,
    title="Final Warning Notice",
    fields={
        "provider": "The provider's name",
        "service": "The service's name",
        "date": "The date of the notice",
        "inspection_date": "The date of the latest inspection",
        "rating": "The latest overall rating",
        "areas": "The key questions rated below Good",
        "meeting_date": "The date of the board meeting that decided it",
        "improvement_due": "The date by which sustained improvement must be evidenced",
    },
    sample={
        **_CASE_SAMPLE,
        "inspection_date": date(2026, 9, 14),
        "rating": "Inadequate",
        "areas": "Safe, Well-led",
        "improvement_due": date(2027, 6, 3),
    },
    default_body="""CONFIDENTIAL

Dear {{ provider }}

Final Warning Notice: {{ service }}

{{ service }} was inspected by the Care Quality Commission on {{ inspection_date }} and found to be {{ rating }} overall and in the areas of {{ areas }}.

Consequently, a decision was taken at the Commissioning and Quality Board meeting on {{ meeting_date }} to formally issue a Final Warning Notice reflecting the serious nature of the failures of care and the service's inspection outcome history.

You must be able to evidence sustained improvement to levels accepted by the Commissioning and Quality Board within a maximum of six months from being issued with this Final Warning Notice, that is by {{ improvement_due }}. Please be aware that if you are unable to evidence improvements as set out in this Final Warning Notice, the Commissioning and Quality Board may decide to notify you of a breach of contract and decide to terminate / decommission the service (Letter of Termination).

I have enclosed the joint contract, risk management and quality policy, which includes information about the Care Provider Commissioning and Quality Board for your reference. We will continue to work with you and your staff to support and monitor progress against expected improvements in line with our existing quality assurance processes. Please confirm receipt of this letter.""",
)

letters.register(
    LETTER_OF_TERMINATION,
    title="Letter of Termination",
    fields={
        "provider": "The provider's name",
        "service": "The service's name",
        "date": "The date of the letter",
        "meeting_date": "The date of the board meeting that decided it",
        "final_warning_on": "When the Final Warning Notice was issued",
    },
    sample={**_CASE_SAMPLE, "final_warning_on": date(2026, 5, 20)},
    default_body="""CONFIDENTIAL

Dear {{ provider }}

Letter of Termination: {{ service }}

On {{ final_warning_on }} we issued you with a Final Warning Notice for {{ service }}. You have not been able to evidence sustained improvement to the levels accepted by the Commissioning and Quality Board. At its meeting on {{ meeting_date }} the Board decided that you are in breach of contract and that {{ council }} will terminate its contracting arrangements for {{ service }} and decommission the service from {{ date }}.

We will arrange to meet with you to discuss the arrangements. All the people using the service and their families will be written to, to explain the situation, what we will do and how we will support them. They, and the key people in their lives, will be supported to find alternative service provision.

An exception will be agreed for anyone who chooses to continue receiving care and support from you, as long as you remain registered with the Care Quality Commission and the person fully understands what this means. We will keep our safeguarding oversight and statutory responsibilities for the people who stay.

Please could you confirm receipt of this letter.""",
)


# --- Quality Improvement Meetings (source 003 Table 1) ------------------------------------------

QIM_INVITATION = "qim_invitation"

letters.register(
    QIM_INVITATION,
    title="Quality Improvement Meeting",
    fields={
        "provider": "The provider's name",
        "service": "The service's name",
        "date": "The date of the letter",
        "meeting_date": "The date of the meeting",
        "meeting_time": "The time the meeting starts",
        "address": "Where the meeting is held (the service's address, wherever possible)",
        "chair": "The chair: a designated member of the quality assurance team",
        "required_attendees": "Who from the provider must attend",
        "other_attendees": "The other attendees (“The Meeting will also include …”)",
        "follow_up": "“follow-up ” for a follow-up meeting, else nothing",
    },
    sample={
        "provider": "Sunrise Care Ltd",
        "service": "Sunrise House",
        "date": date(2026, 12, 3),
        "meeting_date": date(2026, 12, 17),
        "meeting_time": "10:30",
        "address": "Sunrise House, 12 Mill Lane, Avonmere AV1 2BC",
        "chair": "Olivia Brown",
        "required_attendees": "The Company owner/Chief Officer and the Nominated Individual; "
        "the Registered Manager",
        "other_attendees": "a district nurse and a representative of the ICB",
        "follow_up": "",
    },
    default_body="""Dear {{ provider }}

Quality Improvement Meeting: {{ provider }} ({{ service }})

Further to our recent phone conversation I am writing to confirm the {{ follow_up }}Quality Improvement Meeting (QIM) I explained during our discussions, which will be held:

On {{ meeting_date }}
At {{ meeting_time }}
At {{ address }}

At the QIM, which {{ chair }} will Chair, we will discuss the quality issues reported and the impact these may have on service delivery. Attendees will hope to understand more about the reasons for the quality concerns and agree how we can support you to improve these to an acceptable level. We will discuss your Action Plans or support you in their development as necessary.

It is an expectation that the Company owner/Chief Officer and the Nominated Individual will be informed of the QIM. We also expect the Company owner and/or a senior manager from organisations undergoing Quality Improvement to attend the meeting, in addition to the Registered Manager.
Who must attend: {{ required_attendees }}
The Meeting will also include {{ other_attendees }}.

After full discussion of the quality concerns our commissioning position with you will be determined:

- 1. Suspension of new placements, placing with restrictions or no further action
- 2. Sharing concerns with users of service and their families

Following the QIM if improvements are not sustained a referral will be made to the Board to consider whether to apply a Rectification Notice or Final Warning Notice, as outlined in the Joint Contract, Risk Management and Quality Policy.

The agenda for the meeting is enclosed. Should you require any clarification or have any questions, please contact me either by phone or email, using my details at the top of this letter.""",
)


# --- Revocation (source 000 §8, 003 §2.4-2.5) -------------------------------------------------

REVOCATION = "revocation"
REVOCATION_APPEAL_OUTCOME = "revocation_appeal_outcome"
# Source 000 §8: "The provider can appeal the revocation in writing to the Assistant Director of
# Commissioning, at commissioning@bathnes.gov.uk" (or in the portal).
REVOCATION_APPEAL_CONTACT = "the Assistant Director of Commissioning, commissioning@bathnes.gov.uk"
# Source 003 Tables 4-5 copy the board's letters to the registered manager, the procurement team
# and the members of the board; the Letter of Termination follows them.
REVOCATION_COPIES = (
    "cc. the Registered Manager of the service; the Procurement Team; the members of the "
    "Commissioning and Quality Board"
)
# Source 003 §2.5: "An exception will be agreed for anyone who chooses to continue receiving
# care and support from the provider, as long as the provider remains CQC registered and that the
# person fully understands what this means."
REVOCATION_EXCEPTION = (
    "An exception will be agreed for anyone who chooses to continue receiving care and support "
    "from you, as long as the service remains registered with the regulator and the person fully "
    "understands what this means. Best interest meetings, with family members or friends (or an "
    "advocate) and professionals, will be held for anyone unable to make this decision."
)

letters.register(
    REVOCATION,
    title="Revocation: termination of placements and packages of care",
    fields={
        "provider": "The provider's name",
        "service": "The service's name",
        "service_address": "The service's address",
        "reasons": "The reasons for the revocation (a list)",
        "details": "The concerns, in the council's words",
        "meeting_on": "The date of the meeting with the provider",
        "board_meeting_on": "The date of the board meeting that decided it",
        "date": "The date the revocation takes effect",
        "people_plan": "The plan for telling the people supported and their families",
        "transfer_plan": "The plan for transferring their care to other providers",
        "exception": "The exception for people who choose to stay (source 003 §2.5)",
        "appeal_contact": "Who the provider writes to in order to appeal",
        "decided_by": "The manager who issues the revocation",
        "decided_by_title": "That manager's job title",
        "copies": "Who receives a copy",
    },
    sample={
        **_SAMPLE,
        "service_address": "12 Mill Lane, Avonmere AV1 2BC",
        "reasons": [
            "B&NES Council or the hosting authority have identified systematic safeguarding "
            "concerns that are causing or likely to cause harm to individuals",
        ],
        "details": "Three safeguarding enquiries in six months found the same failures in "
        "medicines management and night staffing.",
        "meeting_on": date(2026, 11, 12),
        "board_meeting_on": date(2026, 11, 26),
        "people_plan": "We will write to each person supported and their family this week, and "
        "hold a joint meeting at the service on 10 December 2026.",
        "transfer_plan": "A social worker will agree a new provider with each person by "
        "31 January 2027; care moves only once the new provider is ready.",
        "exception": REVOCATION_EXCEPTION,
        "appeal_contact": REVOCATION_APPEAL_CONTACT,
        "decided_by": "Maya Patel",
        "decided_by_title": "Commercial and Quality Assurance Manager",
        "copies": REVOCATION_COPIES,
    },
    default_body="""Dear {{ provider }}

Service: {{ service }}
Address: {{ service_address }}

Following our meeting with you on {{ meeting_on }}, at which we discussed our intention to terminate our placements and packages of care with {{ service }}, the necessary assurance was not provided. On {{ board_meeting_on }} the Commissioning and Quality Board decided to revoke our commissioning of the service. From {{ date }} {{ council }} will terminate the current placements and packages of care and put in place alternative care arrangements for the people affected.

We have taken this decision, after exhausting all other options, for the following reasons:

{{ reasons }}

{{ details }}

How we will tell the people supported and their families:
{{ people_plan }}

How we will arrange the transfer of their care to other providers:
{{ transfer_plan }}

{{ exception }}

We ask you to work with us so that every person's move is safe and well planned, and to keep providing their care until it has moved.

You can appeal this decision in writing to {{ appeal_contact }}, or through the provider portal on the page of {{ service }}.

Please could you confirm receipt of this letter.

{{ copies }}""",
)

letters.register(
    REVOCATION_APPEAL_OUTCOME,
    title="Outcome of your appeal against a revocation",
    fields={
        "provider": "The provider's name",
        "service": "The service's name",
        "date": "The date of the decision",
        "outcome": "The decision: “upheld” or “refused”",
        "decision_reason": "The reasons for the decision",
        "decided_by": "The manager who decided the appeal",
        "decided_by_title": "That manager's job title",
        "consequence": "What follows: the service's commissioning is restored, or the "
        "revocation stands",
    },
    sample={
        **_SAMPLE,
        "outcome": "refused",
        "decision_reason": "The evidence sent does not show that the safeguarding concerns have "
        "been addressed.",
        "decided_by": "Mo Khan",
        "decided_by_title": "Assistant Director of Commissioning",
        "consequence": "The revocation stands: the transfer of care continues as planned.",
    },
    default_body="""Dear {{ provider }}

We have considered your appeal against the revocation of our commissioning of {{ service }}. On {{ date }} {{ decided_by }}, {{ decided_by_title }}, decided that your appeal is {{ outcome }}.

The reasons for this decision:
{{ decision_reason }}

{{ consequence }}

Please could you confirm receipt of this letter.""",
)


def revocation_appeal_consequence(*, upheld: bool, service: str) -> str:
    if upheld:
        return (
            f"The revocation of {service} is overturned: the service's commissioning is "
            "restored as it was before the revocation."
        )
    return (
        f"The revocation of {service} stands: the transfer of care continues as set out in "
        "our letter."
    )
