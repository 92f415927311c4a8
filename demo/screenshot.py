"""Render a weekly HTML digest in headless Chromium: a PNG screenshot, or the DOM as parsed.

Why: the README shows pictures of a real digest, and they should come from a real browser
rather than be drawn by hand. The same calls let the tests prove the digest renders in an
actual HTML client (the header colour, the caveat, the evidence links) and fits a phone's
width (`measure`), not only that the template produced a string.

Usage (after `make demo`; the README's desktop and phone pictures):

    python -m demo.screenshot \
        demo-output/digests/<week>/adviser-westsouthwest-example-org.html demo/digest.png \
        --width 1200 --height 1000
    python -m demo.screenshot \
        demo-output/digests/<week>/adviser-westsouthwest-example-org.html \
        demo/digest-phone.png --width 390 --height 1280

Needs the `chromium` binary (Debian package `chromium`; `chromium-browser` elsewhere).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from html import escape, unescape
from pathlib import Path

CANDIDATES = ("chromium", "chromium-browser")
TIMEOUT = 90  # seconds; a cold first start of Chromium can take a while on a slow machine


class ChromiumMissing(RuntimeError):
    """No Chromium binary on PATH."""


def find_chromium() -> str:
    """The path of the Chromium binary, or ChromiumMissing with how to install it."""
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    raise ChromiumMissing(
        "Chromium not found on PATH (looked for: "
        + ", ".join(CANDIDATES)
        + "). Install it, e.g. `apt-get install chromium`."
    )


def _run(args: list[str], timeout: float) -> subprocess.CompletedProcess:
    """Run headless Chromium with a throwaway profile; raise if it fails.

    Chromium writes plenty of harmless noise to stderr (D-Bus, GPU, crash reporter), so
    stderr is only reported when the exit code says something went wrong."""
    binary = find_chromium()
    with tempfile.TemporaryDirectory(prefix="radar-chromium-") as profile:
        command = [
            binary,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--no-default-browser-check",
            f"--user-data-dir={profile}",
            *args,
        ]
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        raise RuntimeError(
            f"chromium exited {result.returncode}: {' '.join(command)}\n{result.stderr[-2000:]}"
        )
    return result


def _file_url(html_path: str | Path) -> str:
    """A file's URL, or the address itself when given one (a page `radar ui` serves)."""
    if str(html_path).startswith(("http://", "https://")):
        return str(html_path)
    return Path(html_path).resolve().as_uri()


def screenshot(
    html_path: str | Path,
    png_path: str | Path,
    width: int = 800,
    height: int = 1400,
    timeout: float = TIMEOUT,
) -> Path:
    """Screenshot the HTML file at a `width` x `height` window into `png_path`."""
    png = Path(png_path).resolve()
    png.parent.mkdir(parents=True, exist_ok=True)
    png.unlink(missing_ok=True)
    _run(
        [
            "--hide-scrollbars",
            f"--window-size={width},{height}",
            f"--screenshot={png}",
            _file_url(html_path),
        ],
        timeout,
    )
    if not png.is_file() or png.stat().st_size == 0:
        raise RuntimeError(f"chromium exited cleanly but wrote no screenshot at {png}")
    return png


def dump_dom(html_path: str | Path, timeout: float = TIMEOUT) -> str:
    """The DOM Chromium built from the HTML file, serialised (after any scripts had run)."""
    return _run(["--dump-dom", _file_url(html_path)], timeout).stdout


# The page goes, as it is, into an iframe `width` px wide: headless Chromium will not make a
# window narrower than 500 px for --dump-dom, but an iframe is a viewport of its own, so the
# page's media queries and layout see exactly `width`. A script in the outer page (never in
# the mail) reads the layout and writes it into the DOM, which --dump-dom carries out.
FRAME = """<!DOCTYPE html><html><head><meta charset="utf-8"></head>
<body style="margin:0"><iframe id="page" width="%(width)d" height="%(height)d"
style="border:0;display:block;width:%(width)dpx;height:%(height)dpx" srcdoc="%(srcdoc)s"></iframe>
<script>
document.getElementById("page").addEventListener("load", function () {
  var doc = this.contentDocument, root = doc.documentElement, right = 0, widest = "";
  doc.querySelectorAll("body *").forEach(function (el) {
    var box = el.getBoundingClientRect();
    if (box.width && box.right > right) { right = box.right; widest = el.tagName; }
  });
  var out = document.createElement("pre");
  out.id = "radar-measure";
  out.textContent = JSON.stringify({
    innerWidth: this.contentWindow.innerWidth, clientWidth: root.clientWidth,
    scrollWidth: root.scrollWidth, right: Math.ceil(right), widest: widest,
    viewport: (doc.querySelector('meta[name="viewport"]') || {}).content || null,
    svgs: Array.from(doc.querySelectorAll("svg")).map(function (svg) {
      var box = svg.getBoundingClientRect();
      return {cls: svg.getAttribute("class") || "", width: box.width, height: box.height,
              right: box.right};
    }),
    links: Array.from(doc.querySelectorAll("a[href]")).filter(function (a) {
      var box = a.getBoundingClientRect();
      return box.width > 0 && box.height > 0;
    }).map(function (a) { return a.getAttribute("href"); })
  });
  document.body.appendChild(out);
});
</script></body></html>"""


def measure_url(url: str, width: int, height: int = 900, timeout: float = TIMEOUT) -> dict:
    """`measure` for a page a server answers (such as `radar ui`'s council page): its HTML
    is fetched and measured with a `<base>` naming the server, so its stylesheets load."""
    import urllib.request

    with urllib.request.urlopen(url, timeout=timeout) as response:
        html = response.read().decode("utf-8")
    html = html.replace("<head>", f'<head><base href="{escape(url, quote=True)}">', 1)
    with tempfile.TemporaryDirectory(prefix="radar-measure-") as folder:
        page = Path(folder) / "page.html"
        page.write_text(html, encoding="utf-8")
        return measure(page, width, height, timeout)


def measure(html_path: str | Path, width: int, height: int = 900, timeout: float = TIMEOUT) -> dict:
    """How the page lays out in a viewport `width` px wide: that viewport's inner width, the
    document's visible (clientWidth) and full (scrollWidth) widths, the right edge of the
    furthest-right element, and the viewport meta's content. A page that fits has
    scrollWidth and right within clientWidth: nothing is cut off on the right. `svgs`: each
    SVG's class and rendered size (a chart drawn at 0 x 0 is no chart); `links`: the href of
    each link drawn at a real size (HTML or SVG), in document order."""
    html = Path(html_path).read_text(encoding="utf-8")
    frame = FRAME % {"width": width, "height": height, "srcdoc": escape(html, quote=True)}
    with tempfile.TemporaryDirectory(prefix="radar-measure-") as folder:
        page = Path(folder) / "frame.html"
        page.write_text(frame, encoding="utf-8")
        dom = _run(
            [f"--window-size={max(width, 800) + 50},{height + 50}", "--dump-dom", _file_url(page)],
            timeout,
        ).stdout
    found = re.search(r'<pre id="radar-measure">(.*?)</pre>', dom, re.DOTALL)
    if not found:
        raise RuntimeError(f"chromium did not run the measuring script:\n{dom[-500:]}")
    return json.loads(unescape(found.group(1)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m demo.screenshot",
        description="Screenshot an HTML digest with headless Chromium (for the README).",
    )
    parser.add_argument("html", type=Path, help="the digest HTML, e.g. demo-output/digests/...")
    parser.add_argument("png", type=Path, help="where to write the PNG, e.g. demo/digest.png")
    parser.add_argument("--width", type=int, default=800, help="window width (default 800)")
    parser.add_argument("--height", type=int, default=1400, help="window height (default 1400)")
    args = parser.parse_args(argv)
    if not args.html.is_file():
        parser.error(f"no such file: {args.html}")
    try:
        png = screenshot(args.html, args.png, width=args.width, height=args.height)
    except (ChromiumMissing, RuntimeError, subprocess.TimeoutExpired) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(png)
    return 0


if __name__ == "__main__":
    sys.exit(main())
