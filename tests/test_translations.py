"""Superset's Vietnamese catalogue: the .po, what is compiled from it, its installation in
the Superset environment, and the check the browser coverage test applies."""

from __future__ import annotations

import gettext
import importlib.util
import io
import json
import os
import subprocess
import unicodedata
from pathlib import Path

import pytest
from conftest import ROOT

from cchc.bi import translations as tr

SUPERSET_PYTHON = Path(os.environ.get("CCHC_VENV_ROOT", ROOT / ".venv")) / "superset" / "bin" / "python"
POT_NOTE = "Not in Superset 6.1's messages.pot"


@pytest.fixture(scope="module")
def catalog():
    return tr.load()


@pytest.fixture(scope="module")
def superset_translations() -> Path:
    """The installed Superset's translations folder (the Superset environment's)."""
    return tr.package_translations(SUPERSET_PYTHON)


def test_catalogue_is_a_complete_vietnamese_po(catalog):
    assert catalog.locale_identifier == "vi"
    assert catalog.plural_forms == tr.PLURAL_FORMS
    messages = [m for m in catalog if m.id]
    assert len(messages) >= 300
    assert tr.translated(catalog) == messages, "every entry has its Vietnamese text"
    assert not [m.id for m in messages if m.fuzzy]
    # The strings of the issue (#15) are there.
    shown = {tr.singular(m): m.string for m in messages}
    assert shown["Filters and controls"] == "Bộ lọc và điều khiển"
    assert {"Show entries per page", "entries per page", "Search by", "No results", "N/A"} <= set(shown)


def test_text_is_nfc_utf8():
    text = tr.CATALOGUE.read_bytes().decode("utf-8")
    assert unicodedata.normalize("NFC", text) == text


def test_translations_keep_the_placeholders(catalog):
    assert tr.placeholder_errors(catalog) == []


def test_placeholder_check_catches_a_lost_or_renamed_placeholder():
    from babel.messages.catalog import Catalog

    bad = Catalog(locale="vi")
    bad.add("Search %s records", "Tìm bản ghi")
    bad.add("%(rows)d rows returned", "Trả về %(row)d dòng")
    bad.add(("%s row", "%s rows"), ("%s dòng",))  # fine: one form, the placeholder kept
    assert len(tr.placeholder_errors(bad)) == 2


def test_msgids_are_supersets_own(catalog, superset_translations):
    """Every msgid is one of the installed Superset's: in its messages.pot, or, marked
    so in the catalogue, a string its frontend passes to t()."""
    pot = tr.superset_msgids(superset_translations)
    frontend = tr.frontend_msgids(superset_translations)
    assert len(pot) > 4000 and len(frontend) > 3000
    outside = {tr.singular(m): m for m in tr.translated(catalog) if tr.singular(m) not in pot}
    assert set(outside) <= frontend, sorted(set(outside) - frontend)
    assert all(any(POT_NOTE in c for c in m.auto_comments) for m in outside.values()), sorted(outside)


def test_language_pack_is_jed_like_supersets_own(catalog, superset_translations):
    pack = json.loads(tr.compile_json(catalog))
    french = json.loads((superset_translations / "fr" / "LC_MESSAGES" / "messages.json").read_text(encoding="utf-8"))
    assert pack.keys() == french.keys() and pack["domain"] == french["domain"] == "superset"
    data = pack["locale_data"]["superset"]
    assert data[""] == {"domain": "superset", "plural_forms": tr.PLURAL_FORMS, "lang": "vi"}
    assert data["Filters and controls"] == ["Bộ lọc và điều khiển"]
    assert data["%s option"] == ["%s lựa chọn"]  # a plural: one form in Vietnamese
    assert len(data) - 1 == len(tr.translated(catalog))


def test_mo_answers_gettext_as_the_po_says(catalog):
    mo = gettext.GNUTranslations(io.BytesIO(tr.compile_mo(catalog)))
    for message in tr.translated(catalog):
        if isinstance(message.id, tuple):
            assert mo.ngettext(*message.id, 3) == message.string[0]
        else:
            assert mo.gettext(message.id) == message.string
    assert mo.info()["language"] == "vi"


def test_compilation_is_deterministic():
    assert tr.compiled() == tr.compiled()


def test_install_writes_only_what_changed(tmp_path):
    target = tmp_path / "vi" / "LC_MESSAGES"
    assert tr.stale(target) == ["messages.json", "messages.mo"]
    assert tr.install(target) == ["messages.json", "messages.mo"]
    assert tr.install(target) == [] and tr.stale(target) == []
    assert {p.name for p in target.iterdir()} == {"messages.json", "messages.mo"}  # no temporary left
    (target / "messages.mo").write_bytes(b"stale")
    assert tr.stale(target) == ["messages.mo"]
    check = [str(SUPERSET_PYTHON), "-m", "cchc.bi.translations", "check", "--target", str(target)]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    assert subprocess.run(check, env=env, capture_output=True).returncode == 1
    assert tr.install(target) == ["messages.mo"]
    assert subprocess.run(check, env=env, capture_output=True).returncode == 0


def test_the_superset_environment_has_the_catalogue_installed(superset_translations):
    """What scripts/bootstrap.sh (and every Superset start) installs equals what the
    generator makes from the committed .po."""
    assert tr.stale(tr.target_dir(superset_translations)) == [], \
        "run scripts/bootstrap.sh superset (or `python -m cchc.bi.translations install` in .venv/superset)"


def test_superset_config_offers_vietnamese_by_default():
    spec = importlib.util.spec_from_file_location("superset_config_under_test", ROOT / "superset" / "superset_config.py")
    config = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(config)
    assert config.BABEL_DEFAULT_LOCALE == "vi"
    assert list(config.LANGUAGES) == ["vi", "en"]


def test_bootstrap_installs_the_catalogue_with_the_superset_environment():
    """The environment setup runs the installer (its result: the installed-catalogue test)."""
    script = (ROOT / "scripts" / "bootstrap.sh").read_text(encoding="utf-8")
    assert "-m cchc.bi.translations install" in script


# --- the check of shown strings (used by the browser test) ------------------------------

def test_untranslated_flags_only_english_superset_messages(catalog):
    msgids = {"Filters and controls", "Search %s records", "No results", "22", "SQL", "Modified %s",
              "Show\n entries per page", "%s - %s"}
    shown = ["Filters and controls", "Bộ lọc và điều khiển", "Search 14 records", "Tìm trong 14 bản ghi",
             "22", "SQL", "Show entries per page", "Xã Kỳ Lạc", "12 - 13", "Modified a minute ago", " No  results "]
    assert tr.untranslated(shown, msgids, catalog) == [
        "Filters and controls", "Modified a minute ago", "No results", "Search 14 records", "Show entries per page"]
