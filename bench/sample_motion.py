"""Two-page sample motions for the README tour: `python -m bench.sample_motion OUT TEXT [OUT TEXT]`
writes each OUT as a text-searchable PDF whose second page says TEXT."""

from __future__ import annotations

import sys

from reportlab.lib.pagesizes import letter
from reportlab.pdfgen import canvas


def write(path: str, second_page: str) -> None:
    drawing = canvas.Canvas(path, pagesize=letter)
    drawing.setTitle("Motion for summary judgment")
    for lines in (
        ["UNITED STATES DISTRICT COURT", "NORTHERN DISTRICT OF CALIFORNIA", "",
         "MOTION FOR SUMMARY JUDGMENT", "Case No. 3:24-cv-04411"],
        ["DECLARATION IN SUPPORT", second_page, "", "/s/ Jane Roe"],
    ):  # fmt: skip
        y = 720
        for line in lines:
            drawing.drawString(72, y, line)
            y -= 18
        drawing.showPage()
    drawing.save()


if __name__ == "__main__":
    pairs = sys.argv[1:]
    for at in range(0, len(pairs) - 1, 2):
        write(pairs[at], pairs[at + 1])
