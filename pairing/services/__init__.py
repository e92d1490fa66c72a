"""Every pairing rule, once: codes, observer links, linked enrollments and observer sign-up.

Pages, the API, the SIS import and commands all call these functions; none of them repeats a rule.
The modules: codes (who may make, see and revoke codes; making them), redemption (spending a code,
limits on guessing, sign-up), spend (a redemption's writes, in two statements), links (observer
links and their enrollments), enrollments (students enrolled, observers following; course-only
observers), enrollments_many (their set-wise form, for roster imports), exports (school-wide
code exports made by the background worker), people (everything held about one person) and locks
(the one lock order).
"""

from pairing.services.codes import (
    may_export_pairing_codes,
    pair_with_observer_note,
    pairing_code_create,
    pairing_code_refusal,
    pairing_codes_active_count,
    pairing_codes_create_for_course,
    pairing_codes_revoke_all,
    pairing_codes_revoke_refusal,
)
from pairing.services.enrollments import (
    course_observer_add,
    course_observer_remove,
    enrollment_upsert,
)
from pairing.services.enrollments_many import EnrollmentWanted, enrollments_upsert_many
from pairing.services.links import (
    may_manage_observers_of,
    may_remove_observer_link,
    observer_focus_remember,
    observer_link_create,
    observer_link_create_by_admin,
    observer_link_remove,
    observer_links_create_many,
    observer_links_remove_many,
    observers_clear,
    students_may_remove_observers,
)
from pairing.services.people import person_data_export
from pairing.services.redemption import (
    PairingPaused,
    ProofOfWorkRequired,
    observer_sign_up,
    pairing_code_redeem,
    redemption_challenge,
    redemption_proof_purpose,
)

__all__ = [
    "EnrollmentWanted",
    "PairingPaused",
    "ProofOfWorkRequired",
    "course_observer_add",
    "course_observer_remove",
    "enrollment_upsert",
    "enrollments_upsert_many",
    "may_export_pairing_codes",
    "may_manage_observers_of",
    "may_remove_observer_link",
    "pair_with_observer_note",
    "observer_focus_remember",
    "observer_link_create",
    "observer_link_create_by_admin",
    "observer_link_remove",
    "observer_links_create_many",
    "observer_links_remove_many",
    "observer_sign_up",
    "observers_clear",
    "pairing_code_create",
    "pairing_code_redeem",
    "pairing_code_refusal",
    "pairing_codes_active_count",
    "pairing_codes_create_for_course",
    "pairing_codes_revoke_all",
    "pairing_codes_revoke_refusal",
    "person_data_export",
    "redemption_challenge",
    "redemption_proof_purpose",
    "students_may_remove_observers",
]
