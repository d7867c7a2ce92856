"""Superset's interface in Vietnamese: compile the project's catalogue and install it into the
Superset package.

Superset 6.1 ships no Vietnamese. The catalogue ``superset/translations/vi/LC_MESSAGES/messages.po``
(msgids exactly as in the installed Superset's ``translations/messages.pot``, or, for the
few the frontend asks for but the .pot lacks, as its ``t("…")`` calls write them) is the
only source. Two files are compiled from it, into the installed package's
``superset/translations/vi/LC_MESSAGES/``, because that is where each reader looks:

- ``messages.json``, the browser's language pack (Jed format, as Superset's own
  ``fr/LC_MESSAGES/messages.json``): the page fetches it from ``/superset/language_pack/vi/``,
  which reads only that folder;
- ``messages.mo`` for the server (flask-babel: navbar and menus, server messages), read from
  the package's ``translations`` folder too (Flask-AppBuilder's ``BABEL_TRANSLATION_DIRECTORIES``
  default, relative to the app).

Why generated at install time rather than committed: the .mo is binary (no reviewable
diff) and both files are a pure function of the .po, so committing them would add a second
copy that can drift from the first; compiling takes well under a second with babel, which
the Superset environment has anyway. The files live in the installed package, not in the
repository, so whatever sets up or starts Superset installs them: ``scripts/bootstrap.sh``
after syncing the Superset environment (``make demo``, ``make test``, an image), and
``cchc.bi.provision`` at every start (a stale environment is corrected, never silently
English). Writing is idempotent: a file whose bytes are already right is left alone, and a
changed one is replaced atomically (a new file, never an in-place write: uv hard-links
installed files to its cache).

    python -m cchc.bi.translations install [--target DIR]   # compile and install if stale
    python -m cchc.bi.translations check [--target DIR]     # exit 1 when stale

Standard library and babel only (it runs in both environments).
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import json
import os
import re
import sys
import tempfile
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALE = "vi"
DOMAIN = "superset"
PLURAL_FORMS = "nplurals=1; plural=0;"
CATALOGUE = Path(__file__).resolve().parents[3] / "superset" / "translations" / LOCALE / "LC_MESSAGES" / "messages.po"
# Placeholders a translation must keep: %(name)s, %s, %d, %%, {name}.
PLACEHOLDER = re.compile(r"%\([A-Za-z_]\w*\)[sdfr]|%[sdfr%]|\{[^{}\s]*\}")
# The frontend's translation calls as the minified bundles write them: (0,x.t)("…") and
# (0,x.tn)("singular", "plural", n).
FRONTEND_CALL = re.compile(r'\(0,\s*[\w$]+\.tn?\)\(\s*"((?:[^"\\]|\\.)*)"')


def load(path: Path = CATALOGUE) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=LOCALE, domain="messages")


def translated(catalog: Catalog) -> list:
    """The catalogue's translated messages (header and empty msgstrs left out)."""
    return [m for m in catalog if m.id and (all(m.string) if isinstance(m.string, tuple) else m.string)]


def singular(message) -> str:  # type: ignore[no-untyped-def]
    return message.id[0] if isinstance(message.id, tuple) else message.id


def language_pack(catalog: Catalog) -> dict:
    """The browser's language pack: Jed's format, keyed by the singular msgid, a list of
    plural forms (one for Vietnamese) as value, like Superset's own packs."""
    header = {"domain": DOMAIN, "plural_forms": PLURAL_FORMS, "lang": LOCALE}
    messages = {singular(m): list(m.string) if isinstance(m.string, tuple) else [m.string]
                for m in translated(catalog)}
    return {"domain": DOMAIN, "locale_data": {DOMAIN: {"": header, **dict(sorted(messages.items()))}}}


def compile_json(catalog: Catalog) -> bytes:
    return json.dumps(language_pack(catalog), ensure_ascii=False, indent=1, sort_keys=False).encode("utf-8") + b"\n"


def compile_mo(catalog: Catalog) -> bytes:
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    return buffer.getvalue()


def compiled(po: Path = CATALOGUE) -> dict[str, bytes]:
    """File name -> bytes of what is installed for the catalogue ``po``."""
    catalog = load(po)
    return {"messages.json": compile_json(catalog), "messages.mo": compile_mo(catalog)}


def package_translations(python: Path | None = None) -> Path:
    """The installed Superset package's ``translations`` folder: this interpreter's (found
    without importing Superset, which would build its app), or that of ``python``."""
    if python is None:
        spec = importlib.util.find_spec("superset")
        if spec is None or not spec.submodule_search_locations:
            raise RuntimeError("Superset is not installed in this environment")
        return Path(list(spec.submodule_search_locations)[0]) / "translations"
    import subprocess

    out = subprocess.run([str(python), "-m", "cchc.bi.translations", "where"], capture_output=True, text=True,
                         check=True, env={**os.environ, "PYTHONPATH": str(CATALOGUE.parents[4] / "src")})
    return Path(out.stdout.strip())


def target_dir(translations: Path) -> Path:
    return translations / LOCALE / "LC_MESSAGES"


def stale(target: Path, po: Path = CATALOGUE) -> list[str]:
    """The files under ``target`` missing or different from what ``po`` compiles to."""
    return [name for name, data in compiled(po).items()
            if not (target / name).is_file() or (target / name).read_bytes() != data]


def install(target: Path, po: Path = CATALOGUE) -> list[str]:
    """Compile ``po`` into ``target`` (created if needed); returns the files written."""
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for name, data in compiled(po).items():
        path = target / name
        if path.is_file() and path.read_bytes() == data:
            continue
        fd, tmp = tempfile.mkstemp(dir=target, prefix=f".{name}.")
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
        written.append(name)
    return written


# --- checks shared by the tests --------------------------------------------------------

def placeholders(text: str) -> Counter:
    return Counter(PLACEHOLDER.findall(text))


def placeholder_errors(catalog: Catalog) -> list[str]:
    """Translated messages whose every form does not keep the placeholders of its msgid
    (a plural form may drop the count's, as gettext allows, but not the others)."""
    errors = []
    for message in translated(catalog):
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = placeholders(ids[-1])
        errors += [f"{ids[0]!r}: {form!r}" for form in forms if placeholders(form) != wanted]
    return errors


def superset_msgids(translations: Path) -> set[str]:
    """The singular msgids of the installed Superset's ``messages.pot``."""
    with (translations / "messages.pot").open("rb") as handle:
        return {singular(m) for m in read_po(handle) if m.id}


def frontend_msgids(translations: Path) -> set[str]:
    """The strings the installed frontend bundles pass to ``t()`` / ``tn()``: the .pot of
    6.1 misses a few that the pages show ("Search by")."""
    found = set()
    for bundle in (translations.parent / "static" / "assets").glob("*.js"):
        for literal in FRONTEND_CALL.findall(bundle.read_text(encoding="utf-8", errors="replace")):
            try:
                found.add(json.loads(f'"{literal}"'))
            except ValueError:  # an escape JSON does not know (\x..): not a message of ours
                continue
    return found


def _collapse(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _pattern(msgid: str) -> re.Pattern | None:
    """A msgid with placeholders as a regular expression for a whole shown string, when
    enough literal text remains to make a match meaningful ("Search %s records")."""
    parts = PLACEHOLDER.split(_collapse(msgid))
    if len(parts) == 1 or sum(len(re.findall(r"[A-Za-z]", p)) for p in parts) < 4:
        return None
    return re.compile(".+?".join(re.escape(p) for p in parts) + r"\Z")


def untranslated(shown: Iterable[str], msgids: set[str], catalog: Catalog) -> list[str]:
    """The shown strings that are one of Superset's English ``msgids`` (exactly, whitespace
    collapsed, or with its placeholders filled) and not deliberately kept as they are by
    the catalogue ("SQL"). Strings without two consecutive Latin letters ("22", ":") are
    never messages; our data (Vietnamese names and figures) is never an English msgid."""
    kept = {_collapse(singular(m)) for m in translated(catalog)
            if (m.string[0] if isinstance(m.string, tuple) else m.string) == singular(m)}
    exact = {_collapse(m) for m in msgids if re.search(r"[A-Za-z]{2}", m)} - kept
    patterns = [p for p in map(_pattern, sorted(exact)) if p is not None]
    found = []
    for text in shown:
        text = _collapse(text)
        if text in exact or any(p.match(text) for p in patterns):
            found.append(text)
    return sorted(set(found))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Install Superset's Vietnamese catalogue")
    parser.add_argument("action", choices=("install", "check", "where"))
    parser.add_argument("--target", type=Path, help="folder of messages.json/.mo (default: the installed Superset's)")
    parser.add_argument("--po", type=Path, default=CATALOGUE)
    args = parser.parse_args(argv)
    if args.action == "where":
        print(package_translations())
        return 0
    target = args.target or target_dir(package_translations())
    if args.action == "check":
        missing = stale(target, args.po)
        print(f"{target}: " + (f"stale {', '.join(missing)}" if missing else "up to date"))
        return 1 if missing else 0
    written = install(target, args.po)
    print(f"{target}: " + (f"installed {', '.join(written)}" if written else "up to date"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
