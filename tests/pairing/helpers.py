from pairing.services import pairing_code_create


def new_code(student, by=None) -> str:
    """A fresh pairing code for ``student``, made by the student unless ``by`` says otherwise."""
    return pairing_code_create(student=student, by=by or student).code
