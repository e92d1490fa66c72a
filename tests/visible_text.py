"""What a person sees on a page: its text nodes and the attributes a screen reader reads."""

from html.parser import HTMLParser


class VisibleText(HTMLParser):
    """Text nodes and the attributes read aloud; not scripts, nor <output> (codes and tokens are
    made at random, so they differ between the two renderings anyway)."""

    READ_ALOUD = ("title", "aria-label", "placeholder", "alt")

    def __init__(self):
        super().__init__()
        self.texts: list[str] = []
        self.language = None
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "html":
            self.language = attributes.get("lang")
        if tag in ("script", "style", "output"):
            self._hidden += 1
        for name in self.READ_ALOUD:
            self._add(attributes.get(name))
        if tag == "input" and attributes.get("type") in ("submit", "button", "reset"):
            self._add(attributes.get("value"))

    def handle_endtag(self, tag):
        if tag in ("script", "style", "output"):
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden:
            self._add(data)

    def _add(self, text):
        text = " ".join((text or "").split())
        if text:
            self.texts.append(text)


def visible(response) -> VisibleText:
    assert response.status_code < 500, response.content[:500]
    parser = VisibleText()
    parser.feed(response.content.decode())
    return parser
