"""UTBMS codes: the litigation task code set, the activity codes and the expense codes.

From the ABA Section of Litigation's Uniform Task-Based Management System, Litigation Code Set
(https://www.americanbar.org/groups/litigation/resources/uniform_task_based_management_system/litigation_code_set/).
Phase codes (L100, L200, ...) name a phase, not a task: a line bills a task within it, so they
are not in ``LITIGATION_TASKS``. A pattern such as ``L[1-5][0-9]0`` would accept 21 codes that
are not in the set (the five phase codes and L170, L180, L270, ...).
"""

from __future__ import annotations

from types import MappingProxyType

LITIGATION_TASKS = MappingProxyType(
    {
        # L100 Case Assessment, Development and Administration
        "L110": "Fact Investigation/Development",
        "L120": "Analysis/Strategy",
        "L130": "Experts/Consultants",
        "L140": "Document/File Management",
        "L150": "Budgeting",
        "L160": "Settlement/Non-Binding ADR",
        "L190": "Other Case Assessment, Development and Administration",
        # L200 Pre-Trial Pleadings and Motions
        "L210": "Pleadings",
        "L220": "Preliminary Injunctions/Provisional Remedies",
        "L230": "Court Mandated Conferences",
        "L240": "Dispositive Motions",
        "L250": "Other Written Motions and Submissions",
        "L260": "Class Action Certification and Notice",
        # L300 Discovery
        "L310": "Written Discovery",
        "L320": "Document Production",
        "L330": "Depositions",
        "L340": "Expert Discovery",
        "L350": "Discovery Motions",
        "L390": "Other Discovery",
        # L400 Trial Preparation and Trial
        "L410": "Fact Witnesses",
        "L420": "Expert Witnesses",
        "L430": "Written Motions and Submissions",
        "L440": "Other Trial Preparation and Support",
        "L450": "Trial and Hearing Attendance",
        "L460": "Post-Trial Motions and Submissions",
        "L470": "Enforcement",
        # L500 Appeal
        "L510": "Appellate Motions and Submissions",
        "L520": "Appellate Briefs",
        "L530": "Oral Argument",
    }
)

ACTIVITIES = MappingProxyType(
    {
        "A101": "Plan and prepare for",
        "A102": "Research",
        "A103": "Draft/revise",
        "A104": "Review/analyze",
        "A105": "Communicate (in firm)",
        "A106": "Communicate (with client)",
        "A107": "Communicate (other outside counsel)",
        "A108": "Communicate (other external)",
        "A109": "Appear for/attend",
        "A110": "Manage data/files",
        "A111": "Other",
    }
)

EXPENSES = MappingProxyType(
    {
        "E101": "Copying",
        "E102": "Outside printing",
        "E103": "Word processing",
        "E104": "Facsimile",
        "E105": "Telephone",
        "E106": "Online research",
        "E107": "Delivery services/messengers",
        "E108": "Postage",
        "E109": "Local travel",
        "E110": "Out-of-town travel",
        "E111": "Meals",
        "E112": "Court fees",
        "E113": "Subpoena fees",
        "E114": "Witness fees",
        "E115": "Deposition transcripts",
        "E116": "Trial transcripts",
        "E117": "Trial exhibits",
        "E118": "Litigation support vendors",
        "E119": "Experts",
        "E120": "Private investigators",
        "E121": "Arbitrators/mediators",
        "E122": "Local counsel",
        "E123": "Other professionals",
        "E124": "Other",
    }
)
