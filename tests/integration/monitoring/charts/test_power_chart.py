"""The production-vs-control chart: real matplotlib, the installed Noto CJK font, PNG read back with Pillow, PDF
read back with pdfium (its text and a rendering)."""

from __future__ import annotations

import io
import math
from datetime import UTC, datetime, timedelta
from typing import cast

import pypdfium2 as pdfium
import pytest
from matplotlib.font_manager import FontEntry
from PIL import Image

from monitoring.charts import Curve, FontMissingError, PowerChart, Threshold, cjk_font, render_pdf, render_png
from monitoring.charts.fonts import find_cjk_font
from monitoring.charts.power import _with_breaks
from monitoring.errors import InvalidInputError

pytestmark = pytest.mark.integration
T0 = datetime(2026, 11, 28, 0, 0, tzinfo=UTC)  # 08:00 Beijing


def _chart(title: str = "如皋某化工 1号治理线", *, episode: bool = True) -> PowerChart:
    production = [(T0 + timedelta(minutes=i), 180.0) for i in range(240)]
    control = [(T0 + timedelta(minutes=i), 30.0 if i < 150 else 1.0) for i in range(240)]
    return PowerChart(
        title=title,
        start=T0,
        end=T0 + timedelta(hours=4),
        production=[Curve("MF0001 反应釜", production)],
        control=[Curve("TA001 活性炭", control)],
        episode_start=T0 + timedelta(minutes=155) if episode else None,
        thresholds=[Threshold("产污开机阈值 50 kW", 50, True), Threshold("治污开机阈值 10 kW", 10, False)],
    )


def _png(chart: PowerChart) -> Image.Image:
    image = Image.open(io.BytesIO(render_png(chart)))
    image.load()
    return image.convert("RGB")


def _title_strip(image: Image.Image) -> Image.Image:
    return image.crop((0, 0, image.width, 40))


def _pixels(image: Image.Image) -> list[tuple[int, int, int]]:
    return cast(list[tuple[int, int, int]], list(image.convert("RGB").get_flattened_data()))


def _ink(image: Image.Image) -> int:
    return sum(1 for r, g, b in _pixels(image) if r + g + b < 600)


def test_png_has_the_title_in_chinese_glyphs_not_boxes() -> None:
    # Missing glyphs all draw the same box: two titles of different characters would then look alike.
    a = _title_strip(_png(_chart("中中中中中中")))
    b = _title_strip(_png(_chart("国国国国国国")))
    assert _ink(a) > 200 and _ink(b) > 200
    assert a.tobytes() != b.tobytes()
    assert _png(_chart()).size == (1320, 780)


def test_the_episode_is_shaded() -> None:
    def pink(image: Image.Image) -> int:
        return sum(1 for r, g, b in _pixels(image) if r > 240 and 215 < g < 240 and 215 < b < 240)

    assert pink(_png(_chart())) > 20 * pink(_png(_chart(episode=False))) + 10_000


def test_output_is_byte_stable() -> None:
    assert render_png(_chart()) == render_png(_chart())
    assert render_pdf(_chart()) == render_pdf(_chart())


def test_pdf_is_one_page_with_real_chinese_text_and_ink() -> None:
    pdf = pdfium.PdfDocument(render_pdf(_chart()))
    assert len(pdf) == 1
    page = pdf[0]
    text = page.get_textpage().get_text_range()
    assert "如皋某化工 1号治理线" in text and "治污开机阈值 10 kW" in text and "告警时段" in text
    image = page.render(scale=0.5).to_pil().convert("RGB")
    assert _ink(image) > 2_000


def test_a_gap_breaks_the_line_instead_of_bridging_it() -> None:
    samples = [(T0, 5.0), (T0 + timedelta(minutes=1), 6.0), (T0 + timedelta(minutes=30), 7.0)]
    xs, ys = _with_breaks(Curve("p", samples, max_gap=timedelta(minutes=3)))
    assert len(xs) == 4 and math.isnan(ys[2]) and ys[3] == 7.0
    assert not any(math.isnan(y) for y in _with_breaks(Curve("p", samples[:2]))[1])


def test_the_installed_font_is_noto_sans_cjk() -> None:
    assert cjk_font().family == "Noto Sans CJK SC"


def test_a_font_list_cached_before_the_font_was_installed_is_rescanned(monkeypatch: pytest.MonkeyPatch) -> None:
    from matplotlib import font_manager

    # Given matplotlib's font list as cached before fonts-noto-cjk was installed (no CJK face in it)
    manager = font_manager.fontManager
    monkeypatch.setattr(manager, "ttflist", [e for e in manager.ttflist if "CJK" not in e.name])
    font_manager.FontManager._findfont_cached.cache_clear()
    cjk_font.cache_clear()
    try:
        # Then the chart's font is found by scanning the system's fonts again, in the manager the backends use
        assert cjk_font().family == "Noto Sans CJK SC"
        assert any("CJK" in e.name for e in manager.ttflist) and font_manager.fontManager is manager
        # ... and the title is drawn in its glyphs, not boxes
        a, b = _title_strip(_png(_chart("中中中中中中"))), _title_strip(_png(_chart("国国国国国国")))
        assert _pixels(a) != _pixels(b)
    finally:
        cjk_font.cache_clear()


def test_no_cjk_font_names_the_package_to_install() -> None:
    with pytest.raises(FontMissingError, match="fonts-noto-cjk"):
        find_cjk_font([FontEntry(fname="/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", name="DejaVu Sans")])


def test_a_window_that_ends_before_it_starts_is_refused() -> None:
    with pytest.raises(InvalidInputError):
        PowerChart("t", T0, T0, production=[], control=[])


def _blue(image: Image.Image) -> int:
    """Pixels of the production colour (#1f5fa8), anti-aliasing allowed."""
    return sum(1 for r, g, b in _pixels(image) if r < 90 and 70 < g < 130 and b > 140)


def _production_only(samples: list[tuple[datetime, float]]) -> PowerChart:
    return PowerChart("t", T0, T0 + timedelta(hours=4), production=[Curve("p", samples)], control=[])


def test_five_minute_readings_draw_a_line_along_the_whole_window() -> None:
    # Real terminals upload minute data every 5–10 minutes: a fixed 3-minute gap drew nothing at all.
    every_5 = [(T0 + timedelta(minutes=5 * i), 100.0) for i in range(49)]
    image = _png(_production_only(every_5))
    assert _blue(image) > 1_500  # 4 h of line across ~1,100 px, legend swatch only ~60
    xs, ys = _with_breaks(Curve("p", every_5))
    assert not any(math.isnan(y) for y in ys)
    # a real gap in 5-minute data (40 min) still breaks it
    holed = every_5[:10] + every_5[18:]
    assert sum(math.isnan(y) for y in _with_breaks(Curve("p", holed))[1]) == 1


def test_a_sample_standing_alone_gets_a_marker() -> None:
    alone = [(T0 + timedelta(minutes=m), 100.0) for m in (0, 60, 120, 180)]  # one an hour: no spacing to join
    with_breaks = [(T0 + timedelta(minutes=m), 100.0) for m in (0, 1, 2, 60, 120, 121, 122)]
    assert (
        _blue(_png(_production_only(with_breaks)))
        > _blue(_png(_production_only(with_breaks[:3] + with_breaks[4:]))) + 15
    )
    assert _blue(_png(_production_only(alone))) > 100
