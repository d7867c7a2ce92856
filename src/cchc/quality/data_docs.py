"""Great Expectations Data Docs that work offline and show local time.

GX 1.x's page templates (great_expectations/render/view/templates: index_page.j2, page.j2,
js_script_imports.j2, top_navbar.j2) load jQuery, Bootstrap, bootstrap-table, Font
Awesome, Vega and the GX logo from CDNs; offline, the index's table of validations (drawn
by bootstrap-table) stays empty. GX has no setting for local assets, and overriding its
templates would freeze copies that drift from the GX version installed. So GX builds the
site as it is, into a scratch folder, and `publish` then:

- copies the exact files those URLs name (from npm, with their licences, in
  `data_docs_vendor/`: `ASSETS` maps each URL to its file) to `static/vendor/` and points
  every page at them by relative path (so the site opens from disk or any web server);
  GX's logo from its own `static/images`, at the right depth (GX misses it for the
  favicon of validation pages); drops GX's footers that only link to its web site;
- rewrites the run time GX shows (UTC, or the machine's zone mislabelled "Z") as local
  time, dd/mm/yyyy, with its zone (settings.TIME_ZONE);
- fails (DataDocsError) if any http(s) URL is left in a page or stylesheet, e.g. a CDN a
  newer GX adds, or if a time GX shows is not the run's: add the file to `ASSETS`;
- only then replaces the published folder, so the served docs are never half-built.
"""

from __future__ import annotations

import os
import re
import shutil
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from ..settings import TIME_ZONE

VENDOR_DIR = Path(__file__).with_name("data_docs_vendor")
SITE_VENDOR_DIR = Path("static") / "vendor"
GX_IMAGES = "https://great-expectations-web-assets.s3.us-east-2.amazonaws.com/"
XML_NAMESPACES = ("http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink")

# CDN URL in GX's templates -> the same file (npm package@version, path) in data_docs_vendor/.
ASSETS = {
    "https://cdn.jsdelivr.net/npm/vega@5": "vega-5.33.1/vega.min.js",
    "https://cdn.jsdelivr.net/npm/vega-lite@5": "vega-lite-5.23.0/vega-lite.min.js",
    "https://cdn.jsdelivr.net/npm/vega-embed@6": "vega-embed-6.29.0/vega-embed.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css":
        "fontawesome-free-6.6.0/css/all.min.css",
    "https://code.jquery.com/jquery-3.7.1.min.js": "jquery-3.7.1/jquery.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js": "popper.js-1.12.9/popper.min.js",
    "https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js": "bootstrap-4.3.1/bootstrap.min.js",
    "https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css": "bootstrap-4.3.1/bootstrap.min.css",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.js": "bootstrap-table-1.19.1/bootstrap-table.min.js",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.css":
        "bootstrap-table-1.19.1/bootstrap-table.min.css",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/extensions/filter-control/bootstrap-table-filter-control.min.js":
        "bootstrap-table-1.19.1/bootstrap-table-filter-control.min.js",
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.css":
        "bootstrap-table-1.19.0/bootstrap-table-filter-control.css",
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.min.css":
        "bootstrap-table-1.19.0/bootstrap-table-filter-control.min.css",
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/js/bootstrap-datepicker.min.js":
        "bootstrap-datepicker-1.9.0/bootstrap-datepicker.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/css/bootstrap-datepicker.min.css":
        "bootstrap-datepicker-1.9.0/bootstrap-datepicker.min.css",
    "https://cdn.jsdelivr.net/npm/@forevolve/bootstrap-dark@1.1.0/dist/css/bootstrap-prefers-dark.css":
        "bootstrap-dark-1.1.0/bootstrap-prefers-dark.css",
}

URL = re.compile(r"https?://[^\s\"'()<>]+")
# Subresource-integrity attributes of the CDN tags: a local file is not fetched with CORS.
SRI = re.compile(r'\s(?:integrity|crossorigin)="[^"]*"')
GX_IMAGE = re.compile(re.escape(GX_IMAGES) + r"([\w.-]+)(?:\?[^\s\"')]*)?")
GX_IMAGE_IN_CSS = re.compile(r"url\(\s*['\"]?" + GX_IMAGE.pattern + r"['\"]?\s*\)")
# GX's footers (newsletter, how-to tutorials) only link to its web site.
EXTERNAL_FOOTER = re.compile(r"<footer\b(?:(?!</footer>).)*?https?://(?:(?!</footer>).)*</footer>", re.S)
# GX's relative links to its static/ folder (wrong depth for the favicon of validation pages).
GX_STATIC = re.compile(r"(?<=[\"'])(?:\./|(?:\.\./)+)static/([^\"']+)")
EXTERNAL_LINK = re.compile(r"<a\s[^>]*href=\"https?://[^\"]*\"[^>]*>(.*?)</a>", re.S)


class DataDocsError(RuntimeError):
    """The built Data Docs would not work offline or would show a wrong time."""


def site_config(base_directory: Path) -> dict:
    """The GX Data Docs site building into `base_directory` (the scratch folder)."""
    return {
        "class_name": "SiteBuilder",
        "site_index_builder": {"class_name": "DefaultSiteIndexBuilder", "show_how_to_buttons": False},
        "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(base_directory)},
    }


def local_label(moment: datetime) -> str:
    """A time as the pages show it: local, dd/mm/yyyy, with its zone."""
    local = moment.astimezone(ZoneInfo(TIME_ZONE))
    offset = local.strftime("%z")
    return f"{local:%d/%m/%Y %H:%M:%S} (UTC{offset[:3]}:{offset[3:]}, {TIME_ZONE})"


def gx_time_labels(run_time: datetime) -> dict[str, str]:
    """How GX writes the run time in its pages -> the local label. GX's index shows it in
    the machine's zone (tzlocal, "%Y-%m-%d %H:%M:%S %Z"); a validation page shows the
    run_id's time as dumped (machine's zone) followed by a literal "Z"."""
    from dateutil.parser import parse
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.render.renderer.site_index_page_renderer import SiteIndexPageRenderer

    dumped = parse(RunIdentifier(run_name="-", run_time=run_time).to_json_dict()["run_time"])
    label = local_label(run_time)
    return {SiteIndexPageRenderer._get_formatted_datetime(run_time): label} | {
        f"{moment:%Y-%m-%dT%H:%M:%S}{fraction}Z": label for moment in (dumped, run_time) for fraction in ("", f".{moment:%f}")}


def publish(build_dir: Path, docs_dir: Path, run_time: datetime) -> Path:
    """Make the site GX built in `build_dir` self-contained, in local time, then move it to
    `docs_dir` (replacing the previous site). Returns the index page."""
    vendor = build_dir / SITE_VENDOR_DIR
    shutil.copytree(VENDOR_DIR, vendor, dirs_exist_ok=True)
    labels = gx_time_labels(run_time)
    shown = set()
    for page in sorted(build_dir.rglob("*")):
        if page.suffix not in {".html", ".css"} or vendor in page.parents:
            continue
        text = page.read_text(encoding="utf-8")
        fixed = _self_contained(text, page, build_dir)
        for gx_text, label in labels.items():
            if gx_text in fixed:
                shown.add(page)
                fixed = fixed.replace(gx_text, label)
        if fixed != text:
            page.write_text(fixed, encoding="utf-8")
        left = [url for url in URL.findall(fixed) if url not in XML_NAMESPACES]
        if left:
            raise DataDocsError(f"{page}: external URL(s) left in Data Docs {sorted(set(left))}: vendor them "
                                f"in {VENDOR_DIR.name}/ and add them to cchc.quality.data_docs.ASSETS")
    runs = [p for p in build_dir.glob("validations/**/*.html")] + [build_dir / "index.html"]
    if not set(runs) <= shown:
        raise DataDocsError(f"the run time is not shown as GX {sorted(labels)} in {sorted(set(runs) - shown)}: "
                            "GX changed how it writes times (cchc.quality.data_docs.gx_time_labels)")
    _replace(build_dir, docs_dir)
    return docs_dir / "index.html"


def _self_contained(text: str, page: Path, root: Path) -> str:
    def relative(target: Path) -> str:
        return Path(os.path.relpath(target, page.parent)).as_posix()

    for url, file in ASSETS.items():
        text = re.sub(re.escape(url) + r"(?=[\"'])", relative(root / SITE_VENDOR_DIR / file), text)

    def image(match: re.Match, *, css: bool = False) -> str:
        local = root / "static" / "images" / match.group(1)
        if local.exists():
            return f"url('{relative(local)}')" if css else relative(local)
        if css:
            return "none"  # a GX image it does not ship (dark-mode logo background)
        return match.group(0)

    text = GX_STATIC.sub(lambda m: relative(root / "static" / m.group(1)), text)
    text = GX_IMAGE_IN_CSS.sub(lambda m: image(m, css=True), text)
    text = GX_IMAGE.sub(image, text)
    text = EXTERNAL_FOOTER.sub("", text)
    text = EXTERNAL_LINK.sub(r"\1", text)
    return SRI.sub("", text)


def _replace(build_dir: Path, docs_dir: Path) -> None:
    old = docs_dir.with_name(docs_dir.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if docs_dir.exists():
        docs_dir.replace(old)
    build_dir.replace(docs_dir)
    shutil.rmtree(old, ignore_errors=True)
