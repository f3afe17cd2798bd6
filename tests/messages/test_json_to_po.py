"""The one-off converter folds JSON catalogs into the `.po` files without losing anyone's edits."""

from __future__ import annotations

from babel.messages.catalog import Catalog, Message

from messages.json_to_po import fold
from messages.po import empty_catalog, forms_of


def _get(catalog: Catalog, key: str) -> Message:
    found = catalog.get(key)
    assert found is not None, key
    return found


def _catalog() -> Catalog:
    catalog = empty_catalog("en")
    catalog.add("kept", "Rewritten on this branch")
    catalog.add("same", "Same text")
    catalog.add(("counted", "counted"), ("Once.", "{count} times."))
    catalog.add("gone", "Removed elsewhere")
    return catalog


def test_new_keys_are_added_and_differing_texts_kept_without_a_base() -> None:
    catalog = _catalog()
    report = fold(catalog, {"kept": "Old JSON text", "same": "Same text", "new": "New"}, None)
    assert _get(catalog, "new").string == "New"
    assert _get(catalog, "kept").string == "Rewritten on this branch"
    assert report == ["kept kept (the .po text differs from the JSON)", "added new"]


def test_changes_since_the_base_are_applied_and_plural_ones_reported() -> None:
    catalog = _catalog()
    base = {"kept": "Old JSON text", "counted": "{count} time(s)", "gone": "Removed elsewhere"}
    current = {"kept": "Old JSON text", "counted": "{count} go(es)", "new": "New"}
    report = fold(catalog, current, base)
    assert _get(catalog, "kept").string == "Rewritten on this branch"
    assert forms_of(_get(catalog, "counted")) == ("Once.", "{count} times.")
    assert catalog.get("gone") is None
    assert _get(catalog, "new").string == "New"
    assert report == [
        "CONFLICT counted: plural in .po, changed in JSON; edit by hand",
        "added new",
        "removed gone",
    ]


def test_keys_removed_from_the_po_since_the_base_stay_removed() -> None:
    catalog = _catalog()
    base = {"dropped": "Old", "reworded": "Old"}
    report = fold(catalog, {"dropped": "Old", "reworded": "New"}, base)
    assert catalog.get("dropped") is None and catalog.get("reworded") is None
    assert report == ["CONFLICT reworded: removed from the .po, changed in JSON"]


def test_a_text_changed_since_the_base_replaces_the_po_text() -> None:
    catalog = _catalog()
    report = fold(catalog, {"same": "Improved"}, {"same": "Same text"})
    assert _get(catalog, "same").string == "Improved"
    assert report == ["updated same"]
