"""Read PDF and Word documents without letting one hostile file take the crawl down.

PDFs are read with PDFium (pypdfium2): Chrome's PDF engine, fuzzed for years, and the one
that reads a PDF exported from Word (every word and space its own text-showing operation)
as lines of words, which pypdf's default extraction does not; `bench/pdf_text.py` measures
the candidates on the same files. PDFium lays out each page's text in reading order; lines
whose spacing is wider than the page's usual line step start a new paragraph.

A hostile document can still ask for gigabytes (a 3 MB stream that inflates to 1 GiB) or
minutes of CPU (millions of operators on a page), and zipfile inflates a whole entry before
cutting it to its declared size, so a .docx whose directory says 1 KB and whose data inflates
to 1 GiB costs 2 GB. So the crawl reads documents through a `DocumentReader`: one worker
process, started on first use and reused (a 5–50 page minutes PDF pays one pipe round trip),
whose address space is capped (RLIMIT_AS) and whose every document has a CPU-time budget,
checked between pages, with a wall-clock backstop that kills a worker that stops answering.
Only the first `max_pages` pages of a PDF are read. A document stopped part-way keeps the
text read so far, and the reason comes back as words for the admin.

Run as `python -m pipelines.documents MEMORY CPU_SECONDS MAX_PAGES`, this module is the
worker: it reads requests on stdin and answers in JSON on stdout.
"""

from __future__ import annotations

import io
import json
import os
import resource
import select
import signal
import struct
import subprocess
import sys
import time
import warnings
import zipfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import pypdfium2 as pdfium

MAX_PAGES = 2_000  # a 2,000-page agenda pack reads in seconds; the rest is noted as unread
MEMORY_LIMIT = 1 << 30  # bytes of address space for the worker; a normal read needs < 100 MB
CPU_SECONDS = 60.0  # per document, in the worker
MAX_DOCX_UNPACKED = 50 * 1024 * 1024  # all of a Word document's parts, inflated
MAX_DOCX_PARTS = 5_000  # a real .docx has tens
DOCX_CHUNK = 1 << 16
# A line further below the one before than this many times the page's line spacing starts a
# paragraph: Word's "6 pt after" on single-spaced 11 pt text is about 1.45 times.
PARAGRAPH_STEP = 1.25


class ExtractionError(Exception):
    """A document (or page) that yields no text, with the reason in words."""

    def __init__(self, url: str, reason: str):
        super().__init__(f"{url}: {reason}")
        self.url, self.reason = url, reason


# Reasons a document may read on a later download: cut off in transit, or an error page served
# under its name. Reasons not listed (encrypted, a scan, a bomb refused, over the time or
# memory budget) will be the same next time, and some cost a minute or a gigabyte to meet.
_DAMAGED = ("unreadable ", "damaged ", "PDF has no readable text")
_COSTLY = ("took over", "MiB of memory")


def damaged_download(reason: str) -> bool:
    """Whether a document that gave no text for `reason` is worth downloading again."""
    return reason.startswith(_DAMAGED) and not any(word in reason for word in _COSTLY)


class OutOfTime(BaseException):
    """The worker's CPU budget for one document ran out. A BaseException, so the libraries'
    own `except Exception` cannot swallow it."""


@dataclass
class DocumentText:
    pages: list[str]  # one per PDF page (so evidence cites its page); one for a Word document
    note: str | None = None  # what was not read, and why


@dataclass(frozen=True)
class ReadingLimits:
    memory: int = MEMORY_LIMIT
    cpu_seconds: float = CPU_SECONDS
    wall_seconds: float = 3 * CPU_SECONDS + 10  # the worker shares two cores with the crawl
    max_pages: int = MAX_PAGES


# --- PDF ------------------------------------------------------------------------------------


def page_text(page: pdfium.PdfPage) -> str:
    """A page's text in PDFium's reading order, one line per line of print, with a blank line
    where the gap above a line is wider than the page's line spacing (a new paragraph or a
    heading) or the text jumps up (a new column). Two lines both in a larger type (a title
    over two lines) are allowed a proportionally larger step."""
    textpage = page.get_textpage()
    try:
        text = textpage.get_text_range()
        lines, index = [], 0
        for line in text.split("\r\n"):
            if line.strip():
                _, bottom, _, top = textpage.get_charbox(index, loose=True)
                lines.append((line.rstrip(), bottom, top - bottom))
            index += len(line) + 2  # PDFium's generated "\r\n" are characters of the page
    finally:
        textpage.close()
    steps = [above[1] - below[1] for above, below in zip(lines, lines[1:], strict=False)]
    spacing = line_spacing(steps)
    usual_height = sorted(height for _, _, height in lines)[len(lines) // 2] if lines else 0
    out = []
    for number, (line, _, height) in enumerate(lines):
        if number and spacing:
            step = steps[number - 1]
            both = min(height, lines[number - 1][2]) / usual_height if usual_height else 1
            if step > PARAGRAPH_STEP * spacing * max(1.0, both) or step < 0:
                out.append("")
        out.append(line)
    return "\n".join(out)


def line_spacing(steps: list[float]) -> float | None:
    """The page's line spacing: the smallest baseline-to-baseline step (to the half point)
    that recurs (at least twice, and in at least 15% of steps), so wrapped lines measure it
    even on a page of short paragraphs; None when nothing recurs (every line its own)."""
    rounded = Counter(round(step * 2) / 2 for step in steps if step > 0)
    enough = max(2, 0.15 * len(steps))
    recurring = [step for step, count in rounded.items() if count >= enough]
    return min(recurring) if recurring else None


def _pdfium_problem(exc: BaseException) -> str:
    return str(exc).removeprefix("Failed to load document ").strip("().") or type(exc).__name__


class PdfReading:
    """One PDF read page by page, so that a read stopped part-way (time, memory) keeps the
    pages read so far and can say where it stopped."""

    def __init__(self, data: bytes, url: str):
        self.url = url
        self.pages: list[str] = []
        self.problems: list[str] = []  # pages that could not be read, and why
        self.stopped: str | None = None
        try:
            # An empty user password is the common "protected from editing" kind: PDFium
            # opens those without one. Anything else needs a password we do not have.
            self.document: pdfium.PdfDocument | None = pdfium.PdfDocument(data)
            self.total = len(self.document)
        except pdfium.PdfiumError as exc:
            reason = f"unreadable PDF ({_pdfium_problem(exc)})"
            if "password" in str(exc).lower():
                reason = "PDF is encrypted (it needs a password to open)"
            raise ExtractionError(url, reason) from None

    def read(self, max_pages: int) -> None:
        assert self.document is not None
        for number in range(1, min(self.total, max_pages) + 1):
            try:
                page = self.document[number - 1]
                try:
                    self.pages.append(page_text(page).strip())
                finally:
                    page.close()
            except pdfium.PdfiumError as exc:  # one bad page is not the whole document
                self.pages.append("")
                self.problems.append(f"page {number}: {_pdfium_problem(exc)}")
        if self.total > max_pages:
            self.stopped = f"PDF has {self.total:,} pages; read the first {max_pages:,}"

    def stop(self, why: str) -> None:
        """End the reading early (called when the time or memory ran out)."""
        self.document = None  # what PDFium holds is what ran out; let it go before answering
        of = f" of {self.total:,}" if self.total else ""
        self.stopped = f"{why}; stopped at page {len(self.pages) + 1}{of}"

    def result(self) -> DocumentText:
        """The text read, or an ExtractionError saying why there is none."""
        if not any(self.pages):
            if self.stopped and not self.pages:
                raise ExtractionError(self.url, f"unreadable PDF ({self.stopped})")
            details = "; ".join(filter(None, [self.stopped, *self.problems[:3]]))
            if details:
                raise ExtractionError(self.url, f"PDF has no readable text ({details})")
            if not self.pages:
                raise ExtractionError(self.url, "unreadable PDF (it has no pages)")
            pages = f"{len(self.pages)} page{'s' if len(self.pages) != 1 else ''}"
            raise ExtractionError(self.url, f"PDF has no text layer ({pages}; a scan?)")
        notes = [self.stopped] if self.stopped else []
        if self.problems:
            notes.append(f"{len(self.problems)} unreadable page(s): {self.problems[0]}")
        return DocumentText(self.pages, "; ".join(notes) or None)


def extract_pdf(data: bytes, url: str, max_pages: int = MAX_PAGES) -> DocumentText:
    """Text of each of the first `max_pages` pages of a PDF, read in this process."""
    reading = PdfReading(data, url)
    reading.read(max_pages)
    return reading.result()


def pdf_pages(data: bytes, max_pages: int = MAX_PAGES) -> tuple[list[str], str | None]:
    """(page texts, note) of a trusted PDF, in this process: for benchmarks and tools."""
    document = extract_pdf(data, "", max_pages)
    return document.pages, document.note


# --- Word -----------------------------------------------------------------------------------


def checked_docx_archive(data: bytes, url: str) -> bytes:
    """The document's zip rebuilt from what its parts really inflate to, read in chunks and
    refused past MAX_DOCX_UNPACKED in all, so python-docx never meets a hostile entry.

    zipfile inflates a whole entry before cutting it to its declared size (a size lie costs
    all it inflates to), and believes many directory records that point at one compressed
    block (an overlapping bomb); chunked reads are bounded, and a lie fails its checksum."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        entries = archive.infolist()
        if len(entries) > MAX_DOCX_PARTS:
            raise ExtractionError(url, f"Word document has {len(entries):,} parts; refused")
        declared = sum(info.file_size for info in entries)
        if declared > MAX_DOCX_UNPACKED:
            raise ExtractionError(url, f"document unpacks to {declared:,} bytes; refused")
        rebuilt, unpacked = io.BytesIO(), 0
        with zipfile.ZipFile(rebuilt, "w") as copy:
            for name, info in archive.NameToInfo.items():  # a repeated name: the last wins
                with archive.open(info) as part, copy.open(name, "w") as target:
                    try:
                        while chunk := part.read(DOCX_CHUNK):
                            unpacked += len(chunk)
                            if unpacked > MAX_DOCX_UNPACKED:
                                reason = f"document unpacks to over {MAX_DOCX_UNPACKED:,} bytes"
                                raise ExtractionError(url, f"{reason}; refused")
                            target.write(chunk)
                    except zipfile.BadZipFile as exc:
                        # A whole archive whose parts lie about their sizes (a truncated
                        # download has no central directory and fails above): final.
                        reason = f"Word document's parts do not match their stated sizes ({exc})"
                        raise ExtractionError(url, f"{reason}; refused") from None
    return rebuilt.getvalue()


def extract_docx(data: bytes, url: str) -> str:
    """Text of a Word document's paragraphs and tables (committee reports are often .docx)."""
    import docx

    try:
        document = docx.Document(io.BytesIO(checked_docx_archive(data, url)))
        parts = [p.text for p in document.paragraphs if p.text.strip()]
        for table in document.tables:
            for row in table.rows:
                parts.append(" | ".join(cell.text.strip() for cell in row.cells))
    except ExtractionError:
        raise
    except Exception as exc:  # noqa: BLE001 - hostile input: any parser error means unreadable
        reason = f"unreadable Word document ({type(exc).__name__}: {exc})"
        raise ExtractionError(url, reason) from None
    return "\n".join(parts)


# --- the worker and its client --------------------------------------------------------------

_LENGTH = struct.Struct("!Q")


def _send(stream: IO[bytes], payload: bytes) -> None:
    stream.write(_LENGTH.pack(len(payload)))
    stream.write(payload)
    stream.flush()


def _read_exactly(fd: int, size: int, deadline: float | None) -> bytes:
    """`size` bytes from a pipe, or TimeoutError at `deadline`, or EOFError if it closed."""
    chunks, left = [], size
    while left:
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
                raise TimeoutError
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _receive(fd: int, deadline: float | None = None) -> bytes:
    (size,) = _LENGTH.unpack(_read_exactly(fd, _LENGTH.size, deadline))
    return _read_exactly(fd, size, deadline)


def _out_of_time(signum: int, frame: Any) -> None:
    raise OutOfTime


def _answer(request: dict[str, Any], data: bytes, limits: ReadingLimits) -> dict[str, Any]:
    """Read one document under the CPU budget; an answer with `restart` asks to be replaced
    (after a MemoryError the heap is not worth trusting)."""
    url, reading = request["url"], None
    signal.setitimer(signal.ITIMER_PROF, limits.cpu_seconds)
    try:
        if request["kind"] == "docx":
            return {"pages": [extract_docx(data, url)]}
        reading = PdfReading(data, url)
        reading.read(limits.max_pages)
    except ExtractionError as exc:
        return {"error": exc.reason}
    except OutOfTime:
        if reading is None:
            return {"error": f"reading took over {limits.cpu_seconds:g} s of CPU time; stopped"}
        reading.stop(f"reading took over {limits.cpu_seconds:g} s of CPU time")
    except MemoryError:
        if reading is None:
            megabytes = limits.memory >> 20
            return {
                "error": f"reading needs over {megabytes:,} MiB of memory; stopped",
                "restart": True,
            }
        reading.stop(f"reading needs over {limits.memory >> 20:,} MiB of memory")
        try:
            return {**_pages(reading), "restart": True}
        except MemoryError:
            return {"error": reading.stopped, "restart": True}
    except Exception as exc:  # noqa: BLE001 - whatever else a hostile document does
        return {"error": f"unreadable document ({type(exc).__name__}: {exc})"}
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
    return _pages(reading)


def _pages(reading: PdfReading) -> dict[str, Any]:
    try:
        document = reading.result()
    except ExtractionError as exc:
        return {"error": exc.reason}
    return {"pages": document.pages, "note": document.note}


def serve(limits: ReadingLimits) -> None:
    """The worker's loop: one request (a JSON header, then the document's bytes) at a time,
    until the crawl closes the pipe."""
    resource.setrlimit(resource.RLIMIT_AS, (limits.memory, limits.memory))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the crawl; the crawl stops us
    signal.signal(signal.SIGPROF, _out_of_time)
    warnings.simplefilter("ignore")
    replies = sys.stdout.buffer
    sys.stdout = sys.stderr  # anything a library prints must not corrupt the replies
    requests = sys.stdin.buffer.fileno()
    while True:
        try:
            request = json.loads(_receive(requests))
            data = _receive(requests)
        except EOFError:
            return
        try:
            answer = _answer(request, data, limits)
        except OutOfTime:  # the budget ran out just as the answer was ready
            answer = {"error": f"reading took over {limits.cpu_seconds:g} s of CPU time"}
        del data
        if resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 > 0.8 * limits.memory:
            # Near the limit: libraries report a failed allocation in their own words (lxml:
            # "unknown error"), so name the memory, and start the next document afresh.
            answer["restart"] = True
            if "error" in answer and "memory" not in answer["error"]:
                answer["error"] = (
                    f"reading needs over {limits.memory >> 20:,} MiB of memory; stopped"
                )
        try:
            _send(replies, json.dumps(answer).encode())
        except BrokenPipeError:  # the crawl has gone
            return
        if answer.get("restart"):
            return


class DocumentReader:
    """The crawl's side of the worker: one document at a time (callers serialise), the
    worker started on first use and replaced after a document killed or exhausted it."""

    def __init__(self, limits: ReadingLimits | None = None):
        self.limits = limits or ReadingLimits()
        self._worker: subprocess.Popen[bytes] | None = None

    def _start(self) -> subprocess.Popen[bytes]:
        if self._worker is None or self._worker.poll() is not None:
            self._stop()
            limits = self.limits
            self._worker = subprocess.Popen(
                [sys.executable, "-m", "pipelines.documents", str(limits.memory),
                 str(limits.cpu_seconds), str(limits.max_pages)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                cwd=Path(__file__).resolve().parent.parent,
            )  # fmt: skip
        return self._worker

    def read(self, kind: str, data: bytes, url: str) -> DocumentText:
        """Text of a "pdf" or "docx" document; ExtractionError with the reason otherwise."""
        worker = self._start()
        assert worker.stdin is not None and worker.stdout is not None
        deadline = time.monotonic() + self.limits.wall_seconds
        try:
            _send(worker.stdin, json.dumps({"kind": kind, "url": url}).encode())
            _send(worker.stdin, data)
            answer = json.loads(_receive(worker.stdout.fileno(), deadline))
        except TimeoutError:
            self._stop(kill=True)
            seconds = f"{self.limits.wall_seconds:g}"
            raise ExtractionError(url, f"reading took over {seconds} s; stopped") from None
        except (OSError, EOFError, ValueError):  # it died, or answered nonsense
            code, peak = self._stop()
            if peak > 0.8 * self.limits.memory:
                # PDFium aborts when an allocation fails under the cap: say it was memory.
                why = f"reading needs over {self.limits.memory >> 20:,} MiB of memory; stopped"
                raise ExtractionError(url, why) from None
            why = f"killed by signal {-code}" if code and code < 0 else f"exit code {code}"
            raise ExtractionError(url, f"the document reader died reading it ({why})") from None
        if answer.get("restart"):
            self._stop()
        if "error" in answer:
            raise ExtractionError(url, answer["error"])
        return DocumentText(answer["pages"], answer.get("note"))

    def _stop(self, kill: bool = False) -> tuple[int | None, int]:
        """End the worker (closing its pipe, then killing it if it does not go) and reap it,
        so its peak memory counts in the crawl's own: (its exit code, its peak RSS in bytes)."""
        worker, self._worker = self._worker, None
        if worker is None:
            return None, 0
        if kill:
            worker.kill()
        for pipe in (worker.stdin, worker.stdout):
            try:
                if pipe is not None:
                    pipe.close()
            except OSError:
                pass
        deadline = time.monotonic() + 2
        while True:
            try:
                pid, status, usage = os.wait4(worker.pid, os.WNOHANG)
            except ChildProcessError:  # reaped already (Popen.poll in _start)
                return worker.returncode, 0
            if pid:
                worker.returncode = os.waitstatus_to_exitcode(status)
                return worker.returncode, usage.ru_maxrss * 1024  # KiB on Linux
            if time.monotonic() > deadline:
                worker.kill()
                deadline = float("inf")
            time.sleep(0.01)

    def close(self) -> None:
        self._stop()


if __name__ == "__main__":
    memory, cpu_seconds, max_pages = sys.argv[1:4]
    serve(ReadingLimits(int(memory), float(cpu_seconds), max_pages=int(max_pages)))
