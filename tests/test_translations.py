"""Simplified Chinese: our own pages speak it to a zh-CN phone, and the catalogue misses no string.

The catalogue is locale/zh_Hans/LC_MESSAGES/django.po, compiled to the committed django.mo
(`make messages` regenerates both). The completeness test re-runs makemessages on a throwaway copy of
the project, so a new gettext string without its translation fails here, with the list of what is missing.
"""

import gettext
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests import factories

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "locale"
PO = LOCALE / "zh_Hans" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-CN,zh;q=0.9,en;q=0.5"}
# What `make messages` leaves out of the scan, and what a copy of the project need not carry.
IGNORED = (".venv", "var", "tests", "bench")
NOT_COPIED = (".venv", "var", ".git", "staticfiles", "*.egg-info", "__pycache__", ".pytest_cache", ".ruff_cache",
              "node_modules")


# --- (a) pages rendered for Accept-Language: zh-CN ---


def _page(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_login_page_is_in_chinese(client, db):
    page = _page(client.get("/accounts/login/", **ZH))
    assert '<html lang="zh-hans">' in page
    assert "跳到正文" in page  # base.html: "Skip to content"
    assert "Skip to content" not in page


def test_join_page_of_an_invite_is_in_chinese(client, brand):
    group = factories.make_group(brand, "Glow Club", rules="Be kind.")
    invite = factories.make_invite(brand, group=group)
    page = _page(client.get(f"/join/{invite.token}/", **ZH))
    for chinese in ("名成员", "群规", "你的姓名", "同意品牌在此与我聊天", "向我发送优惠和促销信息（可选）",
                    "加入", "在其他手机上加入过？"):
        assert chinese in page, chinese
    for english in ("Group rules", "Your name", "Joined on another phone?", "Let the brand chat with me here"):
        assert english not in page, english


def test_dashboard_of_an_owner_is_in_chinese(login, brand, owner):
    client = login(owner)
    page = _page(client.get(f"/b/{brand.slug}/", **ZH))
    for chinese in ("概览", "门店", "活跃客户", "邀请转化漏斗", "客户", "设置", "所有者", "退出登录"):
        assert chinese in page, chinese
    for english in ("Active team members", "Overview", "Sign out"):
        assert english not in page, english


def test_english_stays_the_default(client, db):
    page = _page(client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9"))
    assert "Skip to content" in page and "跳到正文" not in page


# --- (b) the catalogue is complete, valid and compiled ---


def _unquote(text: str) -> str:
    return re.sub(r'\\(.)', lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), text[1:-1])


def parse_po(text: str) -> list[dict]:
    """The entries of a .po file: msgid, msgid_plural, msgstr (a list), flags; obsolete (#~) entries dropped."""
    entries, entry, field = [], None, None
    for line in [*text.splitlines(), ""]:
        line = line.strip()
        if not line:
            if entry is not None and "msgid" in entry:
                entries.append(entry)
            entry, field = None, None
            continue
        if line.startswith("#~"):
            continue
        if entry is None:
            entry = {"flags": set(), "msgstr": {}}
        if line.startswith("#,"):
            entry["flags"].update(flag.strip() for flag in line[2:].split(","))
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            if isinstance(field, int):
                entry["msgstr"][field] += _unquote(line)
            else:
                entry[field] += _unquote(line)
        else:
            keyword, _, value = line.partition(" ")
            match = re.fullmatch(r"msgstr\[(\d+)\]", keyword)
            if match or keyword == "msgstr":
                field = int(match.group(1)) if match else 0
                entry["msgstr"][field] = _unquote(value)
            else:
                field = keyword
                entry[field] = _unquote(value)
    for entry in entries:
        entry["msgstr"] = [entry["msgstr"][i] for i in sorted(entry["msgstr"])]
    return entries


def _problems(entries: list[dict]) -> list[str]:
    problems = []
    for entry in entries:
        if entry["msgid"] == "":
            if "fuzzy" in entry["flags"]:
                problems.append("the header is marked fuzzy (then gettext ignores the charset and plural forms)")
            continue
        label = repr(entry["msgid"])
        if "fuzzy" in entry["flags"]:
            problems.append(f"fuzzy: {label}")
        elif not entry["msgstr"] or not all(entry["msgstr"]):
            problems.append(f"untranslated: {label}")
    return problems


def test_catalogue_header_is_chinese_with_one_plural_form():
    header = next(e for e in parse_po(PO.read_text(encoding="utf-8")) if e["msgid"] == "")["msgstr"][0]
    assert "Language: zh_Hans\n" in header
    assert "Plural-Forms: nplurals=1; plural=0;\n" in header
    assert "charset=UTF-8" in header


def test_committed_mo_matches_the_po():
    """compilemessages was run after the last edit of the .po (CI machines may lack msgfmt)."""
    with MO.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)._catalog
    stale = []
    for entry in parse_po(PO.read_text(encoding="utf-8")):
        if not entry["msgid"] or "fuzzy" in entry["flags"]:
            continue
        if "msgid_plural" in entry:
            got = [compiled.get((entry["msgid"], i)) for i in range(len(entry["msgstr"]))]
        else:
            got = [compiled.get(entry["msgid"])]
        if got != entry["msgstr"]:
            stale.append(repr(entry["msgid"]))
    assert not stale, "django.mo is stale; run `make messages`. Differs for:\n" + "\n".join(stale)


def test_every_string_is_translated(tmp_path):
    """Run makemessages (as `make messages` does) on a copy of the project; nothing may be left untranslated."""
    if not shutil.which("xgettext") or not shutil.which("msgmerge"):
        pytest.skip("xgettext/msgmerge not installed (Debian package gettext): cannot extract the strings")
    copy = tmp_path / "project"
    shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(*NOT_COPIED), symlinks=True)
    before = PO.read_bytes()
    command = [sys.executable, "manage.py", "makemessages", "-l", "zh_Hans", *(f"--ignore={d}" for d in IGNORED)]
    result = subprocess.run(command, cwd=copy, capture_output=True, text=True, timeout=300,
                            env={**os.environ, "DJANGO_SETTINGS_MODULE": "privtraffic.settings.base"})
    assert result.returncode == 0, result.stdout + result.stderr
    assert PO.read_bytes() == before, "makemessages wrote into the checkout instead of the copy"

    extracted = copy / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
    entries = parse_po(extracted.read_text(encoding="utf-8"))
    assert len(entries) > 100, f"only {len(entries)} entries extracted: makemessages found no sources?"
    problems = _problems(entries)
    print("\n".join(problems))
    assert not problems, (f"{len(problems)} msgid(s) of locale/zh_Hans need a translation (run `make messages`, "
                          "translate, run it again):\n" + "\n".join(problems))

    if shutil.which("msgfmt"):
        check = subprocess.run(["msgfmt", "--check-format", "--check-header", "-o", "/dev/null", str(extracted)],
                               capture_output=True, text=True)
        assert check.returncode == 0, check.stderr

    uses_js_gettext = any("gettext(" in path.read_text(encoding="utf-8", errors="replace")
                          for path in (ROOT / "static").rglob("*.js"))
    if uses_js_gettext:
        djangojs = LOCALE / "zh_Hans" / "LC_MESSAGES" / "djangojs.po"
        assert djangojs.exists(), "static JS calls gettext(): add the djangojs catalogue (`make messages`)"
