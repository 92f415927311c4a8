"""Read PDF and Word documents without letting one hostile file take the crawl down.

pypdf bounds each stream (a FlateDecode stream stops at 75 MB) but not a whole document: a
1.4 MB PDF whose twenty pages each inflate to 70 MB keeps every decoded page and passed
1.4 GB when measured; `reader.pages` reads every page object before the first (16 s and
430 MB for 90,000 pages) and refuses a tree of over 100,000; and a page can take seconds of
CPU. zipfile inflates a whole entry before cutting it to its declared size, so a .docx
whose directory says 1 KB and whose data inflates to 1 GiB costs 2 GB.

So the crawl reads documents through a `DocumentReader`: one worker process, started on
first use and reused (a 5–50 page minutes PDF pays one pipe round trip), whose address
space is capped (RLIMIT_AS) and whose every document has a CPU-time budget, with a
wall-clock backstop that kills a worker that stops answering. Only the first `max_pages`
pages of a PDF are read, walking the page tree no further than that. A document stopped
part-way keeps the text read so far, and the reason comes back as words for the admin.

Run as `python -m pipelines.documents MEMORY CPU_SECONDS MAX_PAGES`, this module is the
worker: it reads requests on stdin and answers in JSON on stdout.
"""

from __future__ import annotations

import io
import json
import logging
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
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from pypdf import PageObject, PdfReader
from pypdf.errors import LimitReachedError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

MAX_PAGES = 2_000  # a 2,000-page agenda pack reads in about 20 s; the rest is noted as unread
MEMORY_LIMIT = 1 << 30  # bytes of address space for the worker; a normal read needs < 100 MB
CPU_SECONDS = 60.0  # per document, in the worker
MAX_DOCX_UNPACKED = 50 * 1024 * 1024  # all of a Word document's parts, inflated
MAX_DOCX_PARTS = 5_000  # a real .docx has tens
DOCX_CHUNK = 1 << 16
_INHERITED = ("/Resources", "/MediaBox", "/CropBox", "/Rotate")  # page attributes from /Pages
_TREE_ENTRIES_PER_PAGE = 20  # give up on a page tree that is mostly empty branches


class ExtractionError(Exception):
    """A document (or page) that yields no text, with the reason in words."""

    def __init__(self, url: str, reason: str):
        super().__init__(f"{url}: {reason}")
        self.url, self.reason = url, reason


# Reasons a document may read on a later download: cut off in transit, or an error page served
# under its name. Reasons not listed (encrypted, a scan, a bomb refused, over the time or
# memory budget) will be the same next time, and some cost a minute or a gigabyte to meet.
_DAMAGED = ("unreadable ", "damaged ", "PDF has no page tree", "PDF has no readable text")
_COSTLY = ("took over", "MiB of memory")


def damaged_download(reason: str) -> bool:
    """Whether a document that gave no text for `reason` is worth downloading again."""
    return reason.startswith(_DAMAGED) and not any(word in reason for word in _COSTLY)


class OutOfTime(BaseException):
    """The worker's CPU budget for one document ran out. A BaseException, so the libraries'
    own `except Exception` (pypdf skips a bad font that way) cannot swallow it."""


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


def first_pages(reader: PdfReader, limit: int) -> Iterator[PageObject]:
    """The document's first `limit` pages in order, walking the page tree only as far as
    that. Each /Pages node is entered once (a cycle or a shared branch is not followed
    again) and at most 100 deep; a tree of mostly empty branches is given up on."""
    root = reader.root_object.get("/Pages")
    if root is None or not isinstance(root.get_object(), DictionaryObject):
        raise ExtractionError("", "PDF has no page tree")
    stack: list[tuple[Iterator[Any], dict[str, Any]]] = [(iter([root]), {})]
    entered: set[int] = set()
    found = entries = 0
    while stack and found < limit:
        kids, inherited = stack[-1]
        kid = next(kids, None)
        if kid is None:
            stack.pop()
            continue
        entries += 1
        if entries > _TREE_ENTRIES_PER_PAGE * limit + 1_000:
            return
        node = kid.get_object()
        if not isinstance(node, DictionaryObject) or not node:
            continue
        if node.get("/Type") == "/Pages" or ("/Kids" in node and node.get("/Type") != "/Page"):
            if id(node) in entered or len(stack) > 100:
                continue
            entered.add(id(node))
            inherit = {**inherited, **{key: node[key] for key in _INHERITED if key in node}}
            children = node.get("/Kids", ArrayObject()).get_object()
            stack.append((iter(children if isinstance(children, ArrayObject) else ()), inherit))
            continue
        if isinstance(kid, IndirectObject):
            page = PageObject(reader, kid)
        else:
            page = PageObject(reader)
            page.update(node)
        for key, value in inherited.items():
            if key not in page:
                page[NameObject(key)] = value
        found += 1
        yield page


def declared_page_count(reader: PdfReader) -> int | None:
    """The page count the document states (/Count), read without walking the page tree."""
    try:
        count = reader.root_object["/Pages"].get_object()["/Count"]
    except Exception:  # noqa: BLE001 - a missing or damaged /Count is only not known
        return None
    return int(count) if isinstance(count, int) and count >= 0 else None


def _problem(exc: BaseException) -> str:
    if isinstance(exc, LimitReachedError):
        return f"beyond pypdf's safety limits: {exc}"
    return f"{type(exc).__name__}: {exc}"


class PdfReading:
    """One PDF read page by page, so that a read stopped part-way (time, memory) keeps the
    pages read so far and can say where it stopped."""

    def __init__(self, data: bytes, url: str):
        self.url = url
        self.pages: list[str] = []
        self.problems: list[str] = []  # pages that could not be read, and why
        self.stopped: str | None = None
        try:
            self.reader: PdfReader | None = PdfReader(io.BytesIO(data))
            if self.reader.is_encrypted and not self.reader.decrypt(""):
                # An empty user password is the common "protected from editing" kind, and
                # readable; anything else needs a password we do not have.
                raise ExtractionError(url, "PDF is encrypted (it needs a password to open)")
            self.total = declared_page_count(self.reader)
        except (ExtractionError, MemoryError):
            raise
        except Exception as exc:  # noqa: BLE001 - pypdf on hostile input raises anything
            raise ExtractionError(url, f"unreadable PDF ({_problem(exc)})") from None

    def read(self, max_pages: int) -> None:
        assert self.reader is not None
        try:
            for number, page in enumerate(first_pages(self.reader, max_pages + 1), start=1):
                if number > max_pages:
                    more = self.total and self.total > max_pages
                    total = f"{self.total:,}" if more else f"more than {max_pages:,}"
                    self.stopped = f"PDF has {total} pages; read the first {max_pages:,}"
                    return
                try:
                    self.pages.append((page.extract_text() or "").strip())
                except MemoryError:
                    raise
                except Exception as exc:  # noqa: BLE001 - one bad page is not the whole document
                    self.pages.append("")
                    self.problems.append(f"page {number}: {_problem(exc)}")
        except ExtractionError as exc:
            raise ExtractionError(self.url, exc.reason) from None
        except MemoryError:
            raise
        except Exception as exc:  # noqa: BLE001 - a damaged page tree ends the reading there
            self.stop(f"the page tree is damaged ({_problem(exc)})")

    def stop(self, why: str) -> None:
        """End the reading early (called when the time or memory ran out)."""
        self.reader = None  # what pypdf holds is what ran out; let it go before answering
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
                        reason = f"{exc}: its parts do not match their stated sizes"
                        raise ExtractionError(url, f"damaged Word document ({reason})") from None
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
    logging.getLogger("pypdf").setLevel(logging.ERROR)  # hostile files warn by the thousand
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
            code = self._stop()
            why = f"killed by signal {-code}" if code and code < 0 else f"exit code {code}"
            raise ExtractionError(url, f"the document reader died reading it ({why})") from None
        if answer.get("restart"):
            self._stop()
        if "error" in answer:
            raise ExtractionError(url, answer["error"])
        return DocumentText(answer["pages"], answer.get("note"))

    def _stop(self, kill: bool = False) -> int | None:
        """End the worker (closing its pipe, then killing it if it does not go) and reap it,
        so its peak memory counts in the crawl's own."""
        worker, self._worker = self._worker, None
        if worker is None:
            return None
        if kill:
            worker.kill()
        for pipe in (worker.stdin, worker.stdout):
            try:
                if pipe is not None:
                    pipe.close()
            except OSError:
                pass
        try:
            return worker.wait(timeout=2)
        except subprocess.TimeoutExpired:
            worker.kill()
            return worker.wait()

    def close(self) -> None:
        self._stop()


if __name__ == "__main__":
    memory, cpu_seconds, max_pages = sys.argv[1:4]
    serve(ReadingLimits(int(memory), float(cpu_seconds), max_pages=int(max_pages)))
