"""Looking at a PDF as a reader would: pages rendered to images (pypdfium2), ink measured, glyphs told from tofu."""

from __future__ import annotations

from dataclasses import dataclass

import pypdfium2 as pdfium
from PIL import Image

SCALE = 2.0  # 144 dpi: a 10 pt glyph is about 20 px, enough to count its strokes


@dataclass
class Page:
    image: Image.Image  # greyscale
    text: str
    boxes: list[tuple[str, tuple[int, int, int, int]]]  # each char with its pixel box (left, top, right, bottom)


def read(pdf: bytes) -> list[Page]:
    doc = pdfium.PdfDocument(pdf)
    pages = []
    for page in doc:
        height = page.get_height()
        image = page.render(scale=SCALE).to_pil().convert("L")
        text = page.get_textpage()
        chars = text.get_text_range()
        boxes = []
        for i in range(text.count_chars()):
            left, bottom, right, top = text.get_charbox(i)
            box = (
                int(left * SCALE),
                int((height - top) * SCALE),
                int(right * SCALE) + 1,
                int((height - bottom) * SCALE) + 1,
            )
            boxes.append((chars[i] if i < len(chars) else "", box))
        pages.append(Page(image, chars, boxes))
    return pages


def ink(image: Image.Image, box: tuple[int, int, int, int] | None = None) -> float:
    """Share of dark pixels in the box (the whole page by default)."""
    region = image.crop(box) if box else image
    dark = sum(region.histogram()[:128])
    return dark / (region.width * region.height)


def heading(page: Page, title: str) -> int:
    """Where `title` is shown largest on the page (the heading, not a footer repeating it)."""
    found = [i for i in range(len(page.text)) if page.text.startswith(title, i)]
    assert found, f"{title!r} not in the page's text"
    return max(found, key=lambda i: page.boxes[i][1][3] - page.boxes[i][1][1])


def distinct_glyphs(page: Page, title: str) -> float:
    """Share of the distinct Chinese characters of the heading `title` whose drawn glyphs differ from each other.
    Real glyphs of different characters differ; tofu (a missing glyph's placeholder box) is the same for all."""
    start = heading(page, title)
    shapes: dict[str, bytes] = {}
    for ch, box in page.boxes[start : start + len(title)]:
        if "\u4e00" <= ch <= "\u9fff" and ch not in shapes:
            glyph = page.image.crop(box).resize((12, 12)).point(lambda v: 0 if v < 128 else 255)
            shapes[ch] = glyph.tobytes()
    return len(set(shapes.values())) / len(shapes)
