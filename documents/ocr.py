"""OCR with Debian's Tesseract (`tesseract-ocr`), one page image at a time.

An image goes to `tesseract stdin stdout` as a quickly compressed grayscale PNG: no temporary
file, and Tesseract read a PNG page about a third faster than the same page as PNM here, so the
pipeline adds little to Tesseract's own time. OpenMP threads are limited to one per process unless
the environment says otherwise: several OCR jobs share a worker's cores, and Tesseract's maintainers
found its OpenMP use inefficient for recognition (tesseract-ocr/tesseract issue 3744).
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess

from PIL import Image

from documents.errors import UnreadableError

# Resolution rendered PDF pages and unlabelled images are given to Tesseract at.
OCR_DPI = 300
OCR_TIMEOUT_SECONDS = 120


class OcrUnavailableError(RuntimeError):
    """Tesseract is not installed (scripts/install and the Dockerfile install it)."""


def tesseract_command() -> str:
    found = shutil.which("tesseract")
    if found is None:
        raise OcrUnavailableError("tesseract is not installed (apt-get install tesseract-ocr)")
    return found


def ocr_image(image: Image.Image, *, dpi: int = OCR_DPI, language: str = "eng") -> str:
    """The text Tesseract reads in `image`."""
    buffer = io.BytesIO()
    image.convert("L").save(buffer, "PNG", compress_level=1, dpi=(dpi, dpi))
    env = {**os.environ}
    env.setdefault("OMP_THREAD_LIMIT", "1")
    command = [tesseract_command(), "stdin", "stdout", "-l", language, "--dpi", str(dpi)]
    result = subprocess.run(
        command,
        input=buffer.getvalue(),
        capture_output=True,
        env=env,
        timeout=OCR_TIMEOUT_SECONDS,
        check=False,
    )
    if result.returncode != 0:
        message = result.stderr.decode("utf-8", "replace").strip().splitlines()
        raise UnreadableError(f"OCR failed: {message[-1] if message else result.returncode}")
    return result.stdout.decode("utf-8", "replace")
