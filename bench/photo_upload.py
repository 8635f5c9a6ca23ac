"""What one photo upload costs the API before any storage: reading the multipart form, Pillow's check of the
whole image, the sha256. A noise JPEG near the 10 MB limit (the worst case: it barely compresses).

More: docs/api.md, "Terminals and photos". Run: python -m bench.photo_upload [--repeat 3]
"""

from __future__ import annotations

import argparse
import hashlib
import io
import time
from collections.abc import Callable

from PIL import Image
from urllib3 import encode_multipart_formdata

from miniprogram_api.chalicelib.forms import parse_form
from monitoring.photos.sniff import sniff_image


def _best_ms(fn: Callable[[], object], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    out = io.BytesIO()
    Image.effect_noise((3000, 2600), 120).convert("RGB").save(out, format="JPEG", quality=97)
    data = out.getvalue()
    body, _ = encode_multipart_formdata({"enterprise_id": "e1", "kind": "site", "file": ("a.jpg", data)})
    print(f"JPEG {len(data) / 1e6:.1f} MB, 3000×2600")
    for name, fn in (
        ("form parsing (split, headers by the email package)", lambda: parse_form(body)),
        ("Pillow check (verify + full decode)", lambda: sniff_image(data)),
        ("sha256", lambda: hashlib.sha256(data).hexdigest()),
    ):
        print(f"{name}: {_best_ms(fn, args.repeat):.0f} ms")


if __name__ == "__main__":
    main()
