"""Charts as files (PNG, PDF) for evidence packages and reports: matplotlib with a CJK font (fonts-noto-cjk)."""

from monitoring.charts.fonts import CJK_FAMILIES, FontMissingError, cjk_font, cjk_rc
from monitoring.charts.power import Curve, PowerChart, Threshold, render_pdf, render_png

__all__ = [
    "CJK_FAMILIES",
    "Curve",
    "FontMissingError",
    "PowerChart",
    "Threshold",
    "cjk_font",
    "cjk_rc",
    "render_pdf",
    "render_png",
]
