"""The widget's default colours meet WCAG AA: text at least 4.5:1 against what it sits on.

The pairs are read from the CSS in ``static/widget.js`` (the string literals of ``var CSS``), so
a colour changed there is checked here; each ratio is printed (run with ``-s`` to see them).
"""

from __future__ import annotations

import re

from bot.channels.webchat.app import STATIC

AA_TEXT = 4.5
SOURCE = (STATIC / "widget.js").read_text()


def css() -> str:
    block = SOURCE[SOURCE.index("var CSS =") : SOURCE.index("function el(")]
    return "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', block))


def rule(selector: str, prop: str) -> str:
    """The value of ``prop`` in the rule whose selector list is exactly ``selector``."""
    for selectors, body in re.findall(r"([^{}]+)\{([^{}]*)\}", css()):
        if selectors.strip() == selector:
            for name, value in re.findall(r"([a-z-]+):([^;]+)", body):
                if name == prop:
                    return value.strip()
    raise AssertionError(f"no {prop} in {selector}")


def rgb(colour: str) -> tuple[float, float, float]:
    if colour == "var(--a)":  # the accent: data-colour, else the default in the script
        found = re.search(r': "(#[0-9a-fA-F]{6})";', SOURCE)
        assert found is not None
        colour = found.group(1)
    digits = colour.lstrip("#")
    if len(digits) == 3:
        digits = "".join(d * 2 for d in digits)
    r, g, b = (int(digits[i : i + 2], 16) for i in (0, 2, 4))
    return float(r), float(g), float(b)


def luminance(colour: tuple[float, float, float]) -> float:
    def linear(c: float) -> float:
        c /= 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in colour)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def ratio(one: tuple[float, float, float], two: tuple[float, float, float]) -> float:
    high, low = sorted((luminance(one), luminance(two)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def faded(colour: tuple[float, float, float], opacity: float) -> tuple[float, float, float]:
    """A colour drawn at ``opacity`` over the white panel."""
    return tuple(opacity * c + (1 - opacity) * 255 for c in colour)  # type: ignore[return-value]


def test_default_text_colours_meet_wcag_aa() -> None:
    panel_text, panel = rgb(rule(".panel", "color")), rgb(rule(".panel", "background"))
    bubble = rgb(rule(".bot,.agent,.notice", "background"))
    wait = float(rule(".wait", "opacity"))
    pairs = {
        "launcher": (rgb(rule(".launch", "color")), rgb(rule(".launch", "background"))),
        "header": (rgb(rule("header", "color")), rgb(rule("header", "background"))),
        "panel text": (panel_text, panel),
        "visitor's message": (panel_text, rgb(rule(".you", "background"))),
        "bot's message": (panel_text, bubble),
        "notice": (rgb(rule(".notice", "color")), bubble),
        "small print on a bubble": (rgb(rule(".small", "color")), bubble),
        "answer being written": (faded(panel_text, wait), faded(bubble, wait)),
        "buttons": (
            rgb(rule(".row button,.menu button", "color")),
            rgb(rule(".row button,.menu button", "background")),
        ),
        "message box": (rgb(rule("textarea", "color")), panel),
        "send button": (rgb(rule("form button", "color")), rgb(rule("form button", "background"))),
    }
    ratios = {name: round(ratio(*pair), 2) for name, pair in pairs.items()}
    for name, value in ratios.items():
        print(f"contrast {name}: {value}:1")
    assert {name: v for name, v in ratios.items() if v < AA_TEXT} == {}
