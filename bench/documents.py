"""What document processing costs: OCR pages/min against Tesseract alone, and text extraction.

    python -m bench.documents                    # 6 scanned pages x 3 runs; a 500-page PDF x 3
    python -m bench.documents --ocr-pages 3 --repeat 1 --api-sizes 1,20

`ocr`: the same scanned pages are read (a) by `documents.text` from an image-only PDF (PDFium
renders each page at 300 dpi, the page goes to `tesseract stdin stdout`, the next page renders
meanwhile) and (b) by the `tesseract` command alone on the same page images (the JPEG streams the
PDF holds, written out as files, passed --dpi 300 as the PDF says), one process per page as a
script would run it. Both run with the same OMP_THREAD_LIMIT (documents/ocr.py sets 1 unless the
environment sets it). Target: (a) >= 0.8x (b). `text`: seconds to extract every page of a
500-page text-layer PDF through `documents.text` (no OCR needed). Medians of `--repeat` runs;
wrap in `flock /tmp/bench.lock` on a shared machine. Prints the figures and writes
bench/results/documents.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pikepdf
from reportlab.lib.pagesizes import letter
from reportlab.pdfgen import canvas

from documents.content_types import ContentType
from documents.text import extract_text
from domain.redaction import scan_text
from tests.documents.files import page_image

RESULTS = Path(__file__).parent / "results"

PAGE_TEXT = (
    "UNITED STATES DISTRICT COURT\n"
    "NORTHERN DISTRICT OF CALIFORNIA\n"
    "Jane Roe, Plaintiff, v. Acme Corp., Defendant.\n"
    "Case No. 3:24-cv-04411\n"
    "DECLARATION OF JANE ROE IN SUPPORT OF\n"
    "MOTION TO COMPEL PRODUCTION OF DOCUMENTS\n"
    "1. I am the plaintiff in this action and make\n"
    "this declaration of my own personal knowledge.\n"
    "2. On March 3 I asked Defendant for the records\n"
    "of my account, page {page}, and none came.\n"
)


def _scans(folder: Path, pages: int) -> tuple[Path, list[Path]]:
    """An image-only PDF of `pages` scanned pages, and the very images it holds as JPEG files."""
    images = [page_image(PAGE_TEXT.format(page=n + 1)).convert("RGB") for n in range(pages)]
    pdf = folder / "scans.pdf"
    images[0].save(pdf, "PDF", resolution=300, save_all=True, append_images=images[1:])
    jpegs = []
    with pikepdf.open(pdf) as scanned:
        for n, page in enumerate(scanned.pages, start=1):
            [image] = page.get_images().values()
            jpeg = folder / f"page-{n}.jpg"
            jpeg.write_bytes(image.read_raw_bytes())  # the page's DCT stream is a JPEG file
            jpegs.append(jpeg)
    return pdf, jpegs


def _tesseract_alone(images: list[Path]) -> float:
    env = {**os.environ}
    env.setdefault("OMP_THREAD_LIMIT", "1")
    tesseract = shutil.which("tesseract") or "tesseract"
    began = time.perf_counter()
    for image in images:
        subprocess.run(
            [tesseract, str(image), "stdout", "-l", "eng", "--dpi", "300"],
            capture_output=True,
            env=env,
            check=True,
        )
    return time.perf_counter() - began


def _through_documents(pdf: Path) -> float:
    began = time.perf_counter()
    pages = extract_text(pdf, ContentType.PDF)
    elapsed = time.perf_counter() - began
    assert all(page.ocr for page in pages)
    return elapsed


def _text_pdf(path: Path, pages: int) -> Path:
    drawing = canvas.Canvas(str(path), pagesize=letter)
    for page in range(pages):
        lines = drawing.beginText(72, 720)
        lines.setFont("Times-Roman", 12)
        for line in range(45):
            lines.textLine(f"Page {page + 1}, line {line + 1}: the records of the account show no")
        drawing.drawText(lines)
        drawing.showPage()
    drawing.save()
    return path


def bench_ocr(folder: Path, pages: int, repeat: int) -> dict[str, Any]:
    pdf, images = _scans(folder, pages)
    ours, alone = [], []
    for _ in range(repeat):
        alone.append(_tesseract_alone(images))
        ours.append(_through_documents(pdf))
    ours_ppm = pages * 60 / statistics.median(ours)
    alone_ppm = pages * 60 / statistics.median(alone)
    return {
        "pages": pages,
        "repeat": repeat,
        "documents_text_pages_per_min": round(ours_ppm, 1),
        "tesseract_alone_pages_per_min": round(alone_ppm, 1),
        "ratio": round(ours_ppm / alone_ppm, 3),
        "target_ratio": 0.8,
        "omp_thread_limit": os.environ.get("OMP_THREAD_LIMIT", "1"),
    }


def bench_text(folder: Path, pages: int, repeat: int) -> dict[str, Any]:
    pdf = _text_pdf(folder / "long.pdf", pages)
    runs, scans = [], []
    for _ in range(repeat):
        began = time.perf_counter()
        extracted = extract_text(pdf, ContentType.PDF)
        runs.append(time.perf_counter() - began)
        assert len(extracted) == pages
        assert not any(page.ocr for page in extracted)
        # The FRCP 5.2(a) scan the redaction step runs over every page (domain.redaction).
        began = time.perf_counter()
        found = [f for page in extracted for f in scan_text(page.text)]
        scans.append(time.perf_counter() - began)
    return {
        "pages": pages,
        "repeat": repeat,
        "seconds": round(statistics.median(runs), 3),
        "frcp52_scan_seconds": round(statistics.median(scans), 3),
        "frcp52_findings": len(found),
    }


# --- API upload/download MB/s (issue 11 item 7) -------------------------------------------------
# Files of 1, 20 and 200 MB through POST /engagements/{id}/documents and GET /documents/{id}/content
# of a real `docketflow dev` stack (its API process, PostgreSQL, blob store under its home), against
# a plain file copy on the same disk in the same run; the API process's peak RSS above idle during
# the 200 MB upload, sampled every 20 ms from /proc.


def _rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


class _PeakRss:
    def __init__(self, pid: int) -> None:
        self.pid, self.peak, self._stop = pid, 0, threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, _rss_kb(self.pid))
            time.sleep(0.02)

    def __enter__(self) -> _PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def _big_pdf(path: Path, megabytes: int) -> Path:
    """A valid PDF of about `megabytes` MB: a page of text plus an incompressible image stream."""
    pdf = pikepdf.new()
    pdf.add_blank_page()
    noise = pikepdf.Stream(pdf, os.urandom(megabytes * 1024 * 1024))
    pdf.pages[0].obj["/PieceInfo"] = pikepdf.Dictionary(Noise=noise)
    pdf.save(path)
    return path


def bench_api(folder: Path, sizes: list[int], repeat: int) -> dict[str, Any]:
    from tests.dev_process import dev_stack

    results: dict[str, Any] = {"sizes_mb": sizes, "runs": {}}
    with dev_stack() as stack:
        stack.wait_ready(240)
        api_pid = stack.pids()["api"]
        with httpx.Client(base_url=stack.api, timeout=600) as http:
            token = http.post(
                "/auth/token", data={"username": "maria", "password": "docketflow-demo"}
            ).json()["access_token"]
            http.headers["Authorization"] = f"Bearer {token}"
            firm = next(f for f in http.get("/firms").json() if f["name"] == "Hale & Morrow LLP")
            engagement = http.post(
                "/engagements",
                json={
                    "firm_id": firm["id"], "template": "draft-qc-efile", "title": "Bench upload",
                    "matter_ref": "BENCH-1",
                    "inputs": {"court": "SDNY", "case_number": "1:24-cv-05567",
                               "document_type": "motion"},
                },
            ).json()  # fmt: skip
            for size in sizes:
                source = _big_pdf(folder / f"in-{size}.pdf", size)
                nbytes = source.stat().st_size
                runs: dict[str, list[float]] = {"upload": [], "download": [], "copy": []}
                peak_kb = 0
                for _ in range(repeat):
                    idle_kb = _rss_kb(api_pid)
                    with _PeakRss(api_pid) as rss, source.open("rb") as handle:
                        started = time.perf_counter()
                        answer = http.post(
                            f"/engagements/{engagement['id']}/documents",
                            files={"file": ("bench.pdf", handle, "application/pdf")},
                            data={"kind": "draft", "title": "Bench"},
                        )
                        runs["upload"].append(time.perf_counter() - started)
                    answer.raise_for_status()
                    peak_kb = max(peak_kb, rss.peak - idle_kb)
                    target = folder / "out.pdf"
                    started = time.perf_counter()
                    content = f"/documents/{answer.json()['id']}/content"
                    with http.stream("GET", content) as got, target.open("wb") as out:
                        for piece in got.iter_bytes(1 << 20):
                            out.write(piece)
                    runs["download"].append(time.perf_counter() - started)
                    assert target.stat().st_size == nbytes
                    started = time.perf_counter()
                    shutil.copyfile(source, folder / "copy.pdf")
                    os.sync()
                    runs["copy"].append(time.perf_counter() - started)
                mb = nbytes / 1e6
                median = {k: statistics.median(v) for k, v in runs.items()}
                results["runs"][str(size)] = {
                    "bytes": nbytes,
                    "upload_mb_s": round(mb / median["upload"], 1),
                    "download_mb_s": round(mb / median["download"], 1),
                    "copy_mb_s": round(mb / median["copy"], 1),
                    "upload_vs_copy": round(median["copy"] / median["upload"], 2),
                    "download_vs_copy": round(median["copy"] / median["download"], 2),
                    "api_peak_rss_above_idle_mb": round(peak_kb / 1024, 1),
                }
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ocr-pages", type=int, default=6)
    parser.add_argument("--text-pages", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--api-sizes", default="1,20,200", help="MB per file; '' skips the API")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-documents-", dir="/tmp") as scratch:
        folder = Path(scratch)
        ocr = bench_ocr(folder, args.ocr_pages, args.repeat)
        print(
            f"ocr   documents.text {ocr['documents_text_pages_per_min']} pages/min, "
            f"tesseract alone {ocr['tesseract_alone_pages_per_min']} pages/min, "
            f"ratio {ocr['ratio']} (target >= 0.8)"
        )
        text = bench_text(folder, args.text_pages, args.repeat)
        print(
            f"text  {text['pages']}-page text-layer PDF in {text['seconds']} s (median); "
            f"FRCP 5.2 scan of its pages {text['frcp52_scan_seconds']} s"
        )
        sizes = [int(x) for x in args.api_sizes.split(",") if x]
        api = bench_api(folder, sizes, args.repeat) if sizes else {}
        for size, row in api.get("runs", {}).items():
            print(
                f"api   {size:>3} MB: upload {row['upload_mb_s']} MB/s "
                f"({row['upload_vs_copy']}x copy), download {row['download_mb_s']} MB/s "
                f"({row['download_vs_copy']}x copy), copy {row['copy_mb_s']} MB/s, "
                f"API peak +{row['api_peak_rss_above_idle_mb']} MB"
            )
    RESULTS.mkdir(exist_ok=True)
    result = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "ocr": ocr,
        "text_extraction": text,
        "api": api,
    }
    (RESULTS / "documents.json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
