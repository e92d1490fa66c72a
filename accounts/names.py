"""How Canvas derives a user's sortable and short names from the full name."""


def sortable_name_for(name: str) -> str:
    """'Sam Q. Student' -> 'Student, Sam Q.'; a one-word name stays as it is."""
    parts = name.split()
    if len(parts) < 2:
        return name.strip()
    return f"{parts[-1]}, {' '.join(parts[:-1])}"


def short_name_for(name: str) -> str:
    return name.strip()


def first_and_last_name(sortable_name: str) -> tuple[str, str]:
    """Split 'Student, Sam Q.' into ('Sam Q.', 'Student'); a name without a comma is all last name."""
    last, _, first = sortable_name.partition(",")
    return first.strip(), last.strip()
