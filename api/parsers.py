"""The API's body parsers: DRF's, refusing what PostgreSQL cannot store and what Python cannot nest.

Bodies are read here, when a view first asks for ``request.data``: after the caller has been
authenticated and allowed in, so an anonymous upload is refused unread (nothing is read by
middleware; pairing_portal.middleware caps the size from the Content-Length header alone).
"""

from django.http import QueryDict
from rest_framework import parsers
from rest_framework.exceptions import ParseError

from api.middleware import NUL_REFUSED

TOO_DEEP = "JSON parse error - the document is nested too deeply."
NOT_AN_OBJECT = "JSON parse error - the body must be a JSON object."


def refuse_nul(data) -> None:
    """ParseError if any key or text value of parsed data holds a NUL character (PostgreSQL's
    text cannot). Walked with a list, not recursion: its depth is the client's to choose."""
    pending = [data]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if "\x00" in item:
                raise ParseError(NUL_REFUSED)
        elif isinstance(item, QueryDict):
            pending.extend(key for key in item)
            pending.extend(value for _key, values in item.lists() for value in values)
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            # json gives up past Python's recursion limit; DRF catches only ValueError.
            raise ParseError(TOO_DEEP) from None
        if not isinstance(data, dict):
            # Every route reads named parameters, as Canvas's do; a list or a number has none.
            raise ParseError(NOT_AN_OBJECT)
        refuse_nul(data)
        return data


class FormParser(parsers.FormParser):
    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        refuse_nul(data)
        return data


class MultiPartParser(parsers.MultiPartParser):
    def parse(self, stream, media_type=None, parser_context=None):
        parsed = super().parse(stream, media_type, parser_context)
        refuse_nul(parsed.data)
        refuse_nul([upload.name or "" for upload in parsed.files.values()])
        return parsed
