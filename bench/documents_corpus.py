"""Synthetic help-centre content for ``bench.documents``: articles, FAQ entries and questions.

Every article is Markdown as a help centre writes it: a title, ``##``/``###`` sections worded
as tasks or questions, paragraphs, a bulleted and a numbered list, and a settings table, 300 to
1,500 words. Product names are made of syllables and the sentences are drawn from a few hundred
words, so passages differ from each other as a real help centre's do (shared support words,
distinct product and feature names). Everything comes from one seeded ``random.Random``: a run
with the same sizes measures the same content.
"""

from __future__ import annotations

import random
from dataclasses import dataclass


def _words(text: str, separator: str | None = None) -> list[str]:
    return text.split(separator)


SYLLABLES = _words(
    "zen tor vex lum qua bri nod sal kip mor tav fen rix ola dur pex sym hal cor vin "
    "tal ber gon mak nix pol ret sun wal yor"
)
FEATURES = _words(
    "night mode|auto backup|parental lock|guest network|battery saver|sleep timer|voice control|"
    "two-factor login|firmware update|cloud sync|usage report|storage plan|screen mirroring|"
    "payment method|delivery address|invoice download|order tracking|return label|gift card|"
    "loyalty points|data export|team invite|single sign-on|api token|webhook|audit log|"
    "notification sound|offline mode|dark theme|subtitle language|picture calibration|"
    "energy schedule|printer sharing|vpn profile|password reset|account deletion|refund request|"
    "warranty claim|spare parts|subscription pause",
    "|",
)
VERBS = _words(
    "turn on|turn off|set up|reset|change|remove|pause|restore|schedule|share|export|connect|"
    "update|cancel|check|limit",
    "|",
)
NOUNS = _words(
    "settings menu|home screen|mobile app|admin panel|control centre|account page|status light|"
    "power button|remote|dashboard|billing page|support portal|device list|profile|router|"
    "speaker|display|charger|sensor|hub|keyboard|camera|thermostat|printer",
    "|",
)
WORDS = _words(
    "open select press hold wait confirm choose enter tap scroll swipe save apply restart "
    "unplug plug sign review enable disable allow block keep move copy rename sort filter "
    "the your a this each every any new old main second default current previous next "
    "minutes seconds hours days weeks screen option list item button field tab window page "
    "message code email phone number name date time price plan order item parcel box label "
    "light sound signal cable port slot card battery charge level warning error notice "
    "quickly slowly safely automatically manually again first then later before after "
    "when until while if because so that which where only also still usually sometimes "
    "green amber red blue white steady blinking short long small large full empty local "
    "remote shared private public weekly monthly yearly daily hourly free paid extra "
    "technician courier warehouse store branch region country language currency invoice "
    "receipt refund credit balance discount coupon voucher fee tax limit quota contract"
)
QUESTION_STARTS = ("How do I", "How can I", "Can I", "Why can't I", "What happens when I")
CELLS = ("On", "Off", "Auto", "Weekly", "Daily", "Manual", "Shared", "Private", "5 min", "1 h")


@dataclass(frozen=True, slots=True)
class Article:
    """One generated article and the section headings a customer might ask by."""

    name: str  # a file-name stem: article-0001
    title: str
    markdown: str
    headings: tuple[str, ...]


class HelpCentre:
    """A seeded source of articles, FAQ entries and questions."""

    def __init__(self, seed: int = 19) -> None:
        self.random = random.Random(seed)

    def product(self) -> str:
        parts = self.random.randint(2, 3)
        return "".join(self.random.choice(SYLLABLES) for _ in range(parts)).capitalize()

    def sentence(self, *, extra: tuple[str, ...] = ()) -> str:
        pool = WORDS + list(extra) * 4
        words = [self.random.choice(pool) for _ in range(self.random.randint(8, 20))]
        return " ".join(words).capitalize() + "."

    def paragraph(self, extra: tuple[str, ...]) -> str:
        return " ".join(self.sentence(extra=extra) for _ in range(self.random.randint(2, 5)))

    def heading(self, product: str) -> str:
        start = self.random.choice(QUESTION_STARTS)
        verb, feature = self.random.choice(VERBS), self.random.choice(FEATURES)
        noun = self.random.choice(NOUNS)
        return f"{start} {verb} {feature} on the {product} {noun}?"

    def section(self, product: str, heading: str, level: int) -> list[str]:
        extra = (*heading.lower().rstrip("?").split()[-4:], product.lower())
        lines = [f"{'#' * level} {heading}", "", self.paragraph(extra), ""]
        kind = self.random.random()
        if kind < 0.35:
            lines += [f"- {self.sentence(extra=extra)}" for _ in range(self.random.randint(3, 6))]
        elif kind < 0.6:
            steps = self.random.randint(3, 7)
            lines += [f"{n}. {self.sentence(extra=extra)}" for n in range(1, steps + 1)]
        elif kind < 0.75:
            lines += self.table(product)
        lines += ["", self.paragraph(extra), ""]
        return lines

    def table(self, product: str) -> list[str]:
        rows = ["| Setting | Default | Where |", "| --- | --- | --- |"]
        for _ in range(self.random.randint(3, 6)):
            feature, cell = self.random.choice(FEATURES), self.random.choice(CELLS)
            rows.append(f"| {feature} | {cell} | {product} {self.random.choice(NOUNS)} |")
        return rows

    def article(self, number: int, *, min_words: int = 300, max_words: int = 1500) -> Article:
        product = self.product()
        title = f"{product} {self.random.choice(FEATURES)} guide"
        target = self.random.randint(min_words, max_words)
        lines = [f"# {title}", "", self.paragraph((product.lower(),)), ""]
        headings: list[str] = []
        while sum(len(line.split()) for line in lines) < target:
            heading = self.heading(product)
            headings.append(heading)
            level = 3 if len(headings) > 1 and self.random.random() < 0.3 else 2
            lines += self.section(product, heading, level)
        markdown = "\n".join(lines).rstrip() + "\n"
        return Article(f"article-{number:05d}", title, markdown, tuple(headings))

    def faq_entry(self) -> tuple[str, str]:
        """One FAQ question and answer about a product of its own."""
        product = self.product()
        question = self.heading(product)
        extra = tuple(question.lower().rstrip("?").split()[-4:])
        return question, self.paragraph(extra)

    def unsure_question(self, article: Article) -> str:
        """A loose question about an article: a few of a heading's words among others."""
        heading = self.random.choice(article.headings)
        kept = [w for w in heading.rstrip("?").split()[3:] if len(w) > 3]
        picked = self.random.sample(kept, min(2, len(kept)))
        filler = self.random.sample(WORDS, 3)
        return f"{' '.join(filler)} {' '.join(picked)}?".capitalize()
