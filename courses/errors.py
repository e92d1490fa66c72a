class CourseError(Exception):
    """A rule about courses or enrollments was broken; the message is for people."""

    OTHER_INSTITUTION = "That person belongs to another institution than the course."

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
