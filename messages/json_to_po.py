"""One-off converter: fold `messages/<locale>.json` catalogs into the gettext `.po` files.

The catalogs used to be JSON. Branches made before the move may still add or change JSON keys;
after merging such a branch, run (from the repository root)

    .venv/bin/python -m messages.json_to_po --since d7c028c
    git rm messages/en.json messages/nl.json

`--since REV` names the commit the JSON was last converted from: keys added since then are added
to the `.po` files, keys whose text changed since then are updated, keys removed since then are
removed. Without it only new keys are added; texts that differ are listed and left alone (the
`.po` files are the source of truth). A key that is a plural message in the `.po` file, or that
was removed from the `.po` files since REV, is never overwritten or brought back by a JSON text:
a change to it is reported as a CONFLICT so that someone edits it by hand.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from babel.messages.catalog import Catalog

from messages import SUPPORTED_LOCALES
from messages.po import empty_catalog, is_plural, parse, po_path, save

_JSON_DIR = Path(__file__).resolve().parent


def _json_at(revision: str, locale: str) -> dict[str, str]:
    """The JSON catalog of `locale` as it was at `revision` (empty if it did not exist)."""
    shown = subprocess.run(  # noqa: S603 - fixed git command, revision given by the operator
        ["git", "show", f"{revision}:messages/{locale}.json"],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
        cwd=_JSON_DIR.parent,
    )
    if shown.returncode != 0:
        return {}
    loaded: dict[str, str] = json.loads(shown.stdout)
    return loaded


def fold(catalog: Catalog, current: dict[str, str], base: dict[str, str] | None) -> list[str]:
    """Apply one language's JSON to its catalog; returns what was done, one line per key."""
    report: list[str] = []
    for key, text in current.items():
        message = catalog.get(key)
        changed_since = base is not None and base.get(key) != text
        if message is None and base is not None and key in base:
            # Deleted from the .po files on purpose since the base (a rewrite replaced it).
            if changed_since:
                report.append(f"CONFLICT {key}: removed from the .po, changed in JSON")
            continue
        if message is None:
            catalog.add(key, text)
            report.append(f"added {key}")
            continue
        if is_plural(message):
            if changed_since:
                report.append(f"CONFLICT {key}: plural in .po, changed in JSON; edit by hand")
            continue
        if message.string == text:
            continue
        if changed_since:
            message.string = text
            report.append(f"updated {key}")
        elif base is None:
            report.append(f"kept {key} (the .po text differs from the JSON)")
    for key in sorted(set(base or {}) - set(current)):
        if catalog.get(key) is not None:
            catalog.delete(key)
            report.append(f"removed {key}")
    return report


def main(argv: list[str] | None = None) -> int:
    """Fold every language's JSON into its `.po` file and print what changed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--since", help="the commit the JSON was last converted from")
    args = parser.parse_args(argv)
    for locale in SUPPORTED_LOCALES:
        source = _JSON_DIR / f"{locale}.json"
        if not source.exists():
            print(f"{locale}: no {source.name}, nothing to fold")
            continue
        current: dict[str, str] = json.loads(source.read_text(encoding="utf-8"))
        path = po_path(locale)
        catalog = (
            parse(path.read_text(encoding="utf-8"), locale)
            if path.exists()
            else empty_catalog(locale)
        )
        base = _json_at(args.since, locale) if args.since else None
        report = fold(catalog, current, base)
        save(catalog, locale)
        print(f"{locale}: changes: {len(report)}")
        for line in report:
            print(f"  {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
