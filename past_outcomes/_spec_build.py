"""Building an :class:`~past_outcomes.instrument.Instrument` from parsed spec data, step by step.

:func:`build_instrument` runs one named step per part of a spec, in the order the parts may
refer to each other: the header and ``sources``, then ``items`` (with ``response`` defaults
and missing codes), ``scales`` (from items, or sums of earlier scales), ``classifications``
(cutoffs, bands, item flags, criteria, counts), ``change`` criteria and ``responders``. Each
step checks every key of its part through :class:`~past_outcomes._spec_checks.SpecChecker`
and resolves every reference (an item number, a scale id, a classification id) to the typed
object or output column it names, so that the scoring engine never reads a name apart.
"""

from __future__ import annotations

import math
from typing import Any

from past_outcomes._spec_build_change import ChangeSpecBuilder
from past_outcomes._spec_checks import (
    ANSWER_LABEL_KEYS,
    BAND_KEYS,
    CLASSIFICATION_KEYS,
    ITEM_KEYS,
    LEVEL_KEYS,
    PRORATION_KEYS,
    REQUIRE_KEYS,
    RESPONSE_KEYS,
    SCALE_KEYS,
    TOP_KEYS,
    describe_value,
)
from past_outcomes._spec_yaml import fmt_number as _fmt
from past_outcomes._spec_yaml import key_text
from past_outcomes.errors import short_repr
from past_outcomes.instrument import (
    BOOLEAN_TYPES,
    CLASSIFICATION_TYPES,
    COLUMN_SUB_ID_PATTERN,
    CRITERIA_MATCHES,
    DIRECTIONS,
    ID_PATTERN,
    MAX_ITEM_NUMBER,
    MAX_TEXT_LENGTH,
    SCALE_METHODS,
    SUB_ID_PATTERN,
    AnswerLabel,
    Band,
    Classification,
    Instrument,
    Item,
    Level,
    Proration,
    Requirement,
    Scale,
)

#: The keys each classification type needs (besides id, type, source, label, note).
_CLASSIFICATION_NEEDS = {
    "cutoff": {"scale", "operator", "value"},
    "bands": {"scale", "bands"},
    "item_flag": {"item", "operator", "value"},
    "criteria": {"require"},
    "count": {"items", "count_values", "operator", "value"},
    "levels": {"levels", "otherwise"},
}
#: What a scale or classification id must be (it names an output column ``<id>_<sub>``).
_COLUMN_SUB_ID_RULE = "snake_case, not ending in _<digits> (which names an item column)"
#: Optional keys of some classification types (besides id, type, source, label, note).
_CLASSIFICATION_OPTIONAL = {"count": {"count_missing"}, "criteria": {"match"}}


def build_instrument(raw: Any, source: str) -> Instrument:
    """The :class:`Instrument` that the parsed spec ``raw`` (read from ``source``) declares."""
    return _Builder(source).build(raw)


class _Builder(ChangeSpecBuilder):
    """Turns a parsed YAML mapping into an :class:`Instrument`, one named step per part."""

    inst_id: str
    items: dict[int, Item]
    scales: dict[str, Scale]  # by output column
    scale_ids: dict[str, Scale]  # by id
    classifications: dict[str, Classification]

    # -- the whole spec ----------------------------------------------------------------------
    def build(self, raw: Any) -> Instrument:
        top, direction = self.build_header(raw)
        response = self.check_keys(top["response"], RESPONSE_KEYS, "response")
        self.check_source(response["source"], "response.source")
        items = self.build_items(top["items"], response)
        self.items = {it.n: it for it in items}
        missing_codes: tuple = ()
        if "missing_codes" in response:
            missing_codes = self.build_missing_codes(response["missing_codes"], items)
        answer_labels = self.build_answer_labels(response.get("labels"), items)
        self.scales = self.build_scales(top["scales"], direction)
        self.classifications = self.build_classifications(top.get("classifications", []))
        self.check_unique_columns(items)
        change = self.build_change(top.get("change", []))
        rules, primary = self.build_responders(top.get("responders"))
        return Instrument(
            id=self.inst_id,
            name=top["name"],
            short_name=top.get("short_name", self.inst_id.upper()),
            sources=dict(self.sources),
            licence=top["licence"],
            recall_period=top["recall_period"],
            administration=top["administration"],
            default_direction=direction,
            items=tuple(items),
            scales=self.scales,
            classifications=self.classifications,
            change=change,
            responder_rules=rules,
            primary_responder_rule=primary,
            missing_codes=tuple(float(v) for v in missing_codes),
            answer_labels=answer_labels,
            version=top.get("version", ""),
            note=top.get("note"),
            path=self.source,
        )

    def build_header(self, raw: Any) -> tuple[dict, str]:
        """The top-level mapping checked and its direction; sets the id and the sources."""
        if not isinstance(raw, dict):
            got = "an empty document" if raw is None else describe_value(raw)
            self.fail(
                "",
                f"a spec must be a YAML mapping of keys (id, name, sources, items, scales, ...); "
                f"got {got}. See instruments/README.md.",
            )
        top = self.check_keys(raw, TOP_KEYS, "")
        self.inst_id = self.ident(
            "id",
            top["id"],
            ID_PATTERN,
            "lower-case letters and digits starting with a letter, words joined by single "
            "underscores (phq9, cssrs_screen)",
        )
        direction = self.check_choice("direction", top["direction"], DIRECTIONS)
        self.sources = {}
        for key, text in top["sources"].items():
            where = f"sources.{key_text(key)}"
            self.ident(where, key, SUB_ID_PATTERN, "a snake_case source key")
            self.text(where, text, limit=MAX_TEXT_LENGTH)
            self.sources[key] = text
        if not self.sources:
            self.fail("sources", "must cite at least one source")
        return top, direction

    def check_unique_columns(self, items: list[Item]) -> None:
        columns = [it.column for it in items] + list(self.scales) + list(self.classifications)
        dupes = {c for c in columns if columns.count(c) > 1}
        if dupes:
            self.fail("", f"output column(s) {', '.join(sorted(dupes))} are defined more than once")
        added = {f"{self.inst_id}_n_answered", f"{self.inst_id}_prorated"}
        added |= {f"{c}_prorated" for c, s in self.scales.items() if s.proration is not None}
        taken = sorted(added & set(columns))
        if taken:
            self.fail(
                "",
                f"output column(s) {', '.join(taken)} are also columns that scoring adds "
                "(<id>_n_answered, <id>_prorated, <scale>_prorated); rename the scale or "
                "classification",
            )

    # -- items -------------------------------------------------------------------------------
    def build_items(self, raw_items: list, response: dict) -> list[Item]:
        if not raw_items:
            self.fail("items", "must list at least one item")
        items: list[Item] = []
        seen: set[int] = set()
        for i, node in enumerate(raw_items):
            items.append(self.build_item(node, f"items[{i}]", response, seen))
            seen.add(items[-1].n)
        return items

    def build_item(self, node: Any, path: str, response: dict, earlier: set[int]) -> Item:
        """One item; its answers default to the ``response`` block's."""
        self.check_keys(node, ITEM_KEYS, path)
        n = node["n"]
        if n < 1:
            self.fail(f"{path}.n", f"item numbers start at 1; got {short_repr(n)}")
        self.number(f"{path}.n", n, integer=True, maximum=MAX_ITEM_NUMBER)
        if n in earlier:
            self.fail(f"{path}.n", f"duplicate item number {n}")
        if "values" in node:
            values, where = node["values"], f"{path}.values"
        else:
            values, where = response.get("values"), "response.values"
        if values is not None:
            values = tuple(sorted(self.number_list(values, where)))
            if len(set(values)) != len(values):
                self.fail(where, "lists a value twice")
            if len(values) < 2:
                self.fail(where, "must list at least two allowed answers")
            lo, hi = values[0], values[-1]
        else:
            lo = node.get("min", response.get("min"))
            hi = node.get("max", response.get("max"))
            if lo is None or hi is None:
                self.fail(path, "needs min and max (on the item or in 'response') or values")
            if lo >= hi:
                self.fail(path, f"min must be below max; got {_fmt(lo)} and {_fmt(hi)}")
        integer = node.get("integer", response.get("integer", True))
        if integer and values is None and not (float(lo).is_integer() and float(hi).is_integer()):
            self.fail(
                path,
                f"an integer item needs whole-number min and max; got {_fmt(lo)} and "
                f"{_fmt(hi)} (set integer: false for a continuous answer)",
            )
        return Item(
            n=n,
            column=f"{self.inst_id}_{n}",
            label=node["label"],
            min=float(lo),
            max=float(hi),
            integer=integer,
            values=None if values is None else tuple(float(v) for v in values),
            reverse=node.get("reverse", False),
            required=node.get("required", True),
            note=node.get("note"),
        )

    def build_missing_codes(self, raw: Any, items: list[Item]) -> tuple:
        codes = self.number_list(raw, "response.missing_codes")
        for j, code in enumerate(codes):
            for it in items:
                if it.values is not None:
                    allowed = float(code) in it.values
                else:
                    allowed = it.min <= code <= it.max and (
                        not it.integer or float(code).is_integer()
                    )
                if allowed:
                    self.fail(
                        f"response.missing_codes[{j}]",
                        f"{_fmt(code)} is also an allowed answer to item {it.n} "
                        f"({it.allowed_text()}); a missing code must not be a valid answer",
                    )
        return codes

    def build_answer_labels(self, raw: Any, items: list[Item]) -> tuple[AnswerLabel, ...]:
        """``response.labels``: each value an allowed answer of every item, each value and
        each label (compared without case and extra spaces) listed once."""
        if raw is None:
            return ()
        if not raw:
            self.fail("response.labels", "must list at least one {value, label}")
        out: list[AnswerLabel] = []
        seen_values: set[float] = set()
        seen_labels: set[str] = set()
        for j, node in enumerate(raw):
            where = f"response.labels[{j}]"
            self.check_keys(node, ANSWER_LABEL_KEYS, where)
            value, label = float(node["value"]), node["label"]
            for it in items:
                ok = value in it.values if it.values is not None else it.min <= value <= it.max
                if not ok or (it.integer and not value.is_integer()):
                    self.fail(
                        f"{where}.value",
                        f"must be an allowed answer of every item; {_fmt(value)} is not an "
                        f"answer to item {it.n} ({it.allowed_text()})",
                    )
            key = " ".join(label.split()).casefold()
            if value in seen_values or key in seen_labels:
                self.fail(
                    where, f"repeats the value {_fmt(value)} or the label {short_repr(label)}"
                )
            seen_values.add(value)
            seen_labels.add(key)
            out.append(AnswerLabel(value, label))
        return tuple(out)

    # -- scales ------------------------------------------------------------------------------
    def build_scales(self, raw_scales: list, direction: str) -> dict[str, Scale]:
        if not raw_scales:
            self.fail("scales", "must define at least one scale")
        self.scales, self.scale_ids = {}, {}
        for i, node in enumerate(raw_scales):
            scale = self.build_scale(node, f"scales[{i}]", direction)
            self.scales[scale.column] = self.scale_ids[scale.id] = scale
        return self.scales

    def build_scale(self, node: Any, path: str, direction: str) -> Scale:
        """One scale: its parts (items or earlier scales), range, proration and direction."""
        self.check_keys(node, SCALE_KEYS, path)
        sid = self.ident(f"{path}.id", node["id"], COLUMN_SUB_ID_PATTERN, _COLUMN_SUB_ID_RULE)
        if f"{self.inst_id}_{sid}" in self.scales:
            self.fail(f"{path}.id", f"duplicate scale id {short_repr(sid)}")
        method = self.check_choice(f"{path}.method", node["method"], SCALE_METHODS)
        self.check_source(node["source"], f"{path}.source")
        sdir = self.check_choice(f"{path}.direction", node.get("direction", direction), DIRECTIONS)
        factor = float(
            self.number(
                f"{path}.factor", node.get("factor", 1.0), minimum=0, exclusive_minimum=True
            )
        )
        if method == "sum_of_scales":
            parts = self.scale_of_scales(node, path, factor)
        else:
            parts = self.scale_of_items(node, path, method, factor)
        lo, hi = _clean(parts["range"][0]), _clean(parts["range"][1])
        proration = None
        if "proration" in node:
            proration = self.build_proration(
                node["proration"], f"{path}.proration", parts["n_parts"], (lo, hi)
            )
        if "range" in node:
            self.check_declared_range(node["range"], f"{path}.range", lo, hi)
        weights = parts["weights"]
        return Scale(
            id=sid,
            column=f"{self.inst_id}_{sid}",
            label=node["label"],
            method=method,
            source=node["source"],
            items=parts["items"],
            item_columns=tuple(f"{self.inst_id}_{n}" for n in parts["items"]),
            weights=None if weights is None else tuple(float(x) for x in weights),
            factor=factor,
            scales=parts["scales"],
            proration=proration,
            range=(lo, hi),
            integer_valued=parts["integer_valued"],
            direction=sdir,
            note=node.get("note"),
        )

    def scale_of_scales(self, node: dict, path: str, factor: float) -> dict[str, Any]:
        """A ``sum_of_scales`` scale: the earlier scales it sums, its range and items."""
        if "items" in node or "weights" in node:
            self.fail(path, "a sum_of_scales scale lists 'scales', not 'items' or 'weights'")
        if "scales" not in node:
            self.fail(f"{path}.scales", "is required for method sum_of_scales")
        if not node["scales"]:
            self.fail(f"{path}.scales", "must list at least one scale")
        by_id = self.scale_ids
        for j, ref in enumerate(node["scales"]):
            if not isinstance(ref, str) or ref not in by_id:
                self.fail(
                    f"{path}.scales[{j}]",
                    f"refers to unknown scale {short_repr(ref)} (scales must be defined "
                    "before use)",
                )
        sub_ids = tuple(node["scales"])
        if len(set(sub_ids)) != len(sub_ids):
            self.fail(f"{path}.scales", "lists a scale twice")
        subs = [by_id[r] for r in sub_ids]
        return {
            "items": tuple(n for s in subs for n in s.items),
            "scales": sub_ids,
            "weights": None,
            "range": (
                sum(s.range[0] for s in subs) * factor,
                sum(s.range[1] for s in subs) * factor,
            ),
            "integer_valued": all(s.integer_valued for s in subs) and factor.is_integer(),
            "n_parts": len(subs),
        }

    def scale_of_items(self, node: dict, path: str, method: str, factor: float) -> dict[str, Any]:
        """A scale over items (sum, mean, weighted sum): its items, weights and range."""
        if "scales" in node:
            self.fail(f"{path}.scales", f"only a sum_of_scales scale lists scales, not {method}")
        if "items" not in node:
            self.fail(f"{path}.items", f"is required for method {method}")
        item_ns = self.item_refs(node["items"], f"{path}.items")
        if len(set(item_ns)) != len(item_ns):
            self.fail(f"{path}.items", "lists an item twice")
        weights = None
        if method == "weighted_sum":
            if "weights" not in node:
                self.fail(f"{path}.weights", "is required for method weighted_sum")
            weights = self.number_list(
                node["weights"], f"{path}.weights", minimum=0, exclusive_minimum=True
            )
            if len(weights) != len(item_ns):
                self.fail(f"{path}.weights", "must have one weight per item")
        elif "weights" in node:
            self.fail(f"{path}.weights", f"only weighted_sum takes weights, not {method}")
        its = [self.items[n] for n in item_ns]
        w = weights or (1.0,) * len(its)
        lo = sum(wi * it.min for wi, it in zip(w, its, strict=True))
        hi = sum(wi * it.max for wi, it in zip(w, its, strict=True))
        if method == "mean":
            lo, hi = lo / len(its), hi / len(its)
        integer_valued = (
            method != "mean"
            and all(it.integer for it in its)
            and all(float(x).is_integer() for x in w)
            and factor.is_integer()
        )
        return {
            "items": item_ns,
            "scales": (),
            "weights": weights,
            "range": (lo * factor, hi * factor),
            "integer_valued": integer_valued,
            "n_parts": len(its),
        }

    def check_declared_range(self, raw: Any, path: str, lo: float, hi: float) -> None:
        """A declared ``range`` must equal the range the items imply."""
        declared = self.number_list(raw, path)
        if len(declared) == 2 and (
            math.isclose(declared[0], lo, abs_tol=1e-9)
            and math.isclose(declared[1], hi, abs_tol=1e-9)
        ):
            return
        shown = (
            "["
            + ", ".join(_fmt(x) for x in declared[:3])
            + (", ...]" if len(declared) > 3 else "]")
        )
        self.fail(path, f"declares {shown} but the items imply [{_fmt(lo)}, {_fmt(hi)}]")

    def build_proration(
        self, raw: Any, path: str, n_parts: int, scale_range: tuple[float, float]
    ) -> Proration:
        p = self.check_keys(raw, PRORATION_KEYS, path)
        self.check_source(p["source"], f"{path}.source")
        self.number(
            f"{path}.min_answered", p["min_answered"], integer=True, minimum=1, maximum=n_parts
        )
        floor = None
        if "floor" in p:
            lo, hi = scale_range
            floor = float(self.number(f"{path}.floor", p["floor"], minimum=lo, maximum=hi))
        return Proration(p["min_answered"], p["source"], floor, p.get("note"))

    # -- classifications ---------------------------------------------------------------------
    def build_classifications(self, raw: list) -> dict[str, Classification]:
        out: dict[str, Classification] = {}
        for i, node in enumerate(raw):
            cls = self.build_classification(node, f"classifications[{i}]", out)
            out[cls.column] = cls
        return out

    def build_classification(
        self, node: Any, path: str, earlier: dict[str, Classification]
    ) -> Classification:
        """One classification; its scale, item or requirements resolved to typed references."""
        self.check_keys(node, CLASSIFICATION_KEYS, path)
        cid = self.ident(f"{path}.id", node["id"], COLUMN_SUB_ID_PATTERN, _COLUMN_SUB_ID_RULE)
        if f"{self.inst_id}_{cid}" in earlier:
            self.fail(f"{path}.id", f"duplicate classification id {short_repr(cid)}")
        ctype = self.check_choice(f"{path}.type", node["type"], CLASSIFICATION_TYPES)
        self.check_source(node["source"], f"{path}.source")
        needed = _CLASSIFICATION_NEEDS[ctype]
        allowed = needed | {"id", "type", "source", "label", "note", "verification"}
        allowed = allowed | _CLASSIFICATION_OPTIONAL.get(ctype, set())
        for key in node:
            if key not in allowed:
                self.fail(f"{path}.{key}", f"is not used by a {ctype} classification")
        for key in sorted(needed):
            if key not in node:
                self.fail(f"{path}.{key}", f"is required for a {ctype} classification")
        kwargs: dict[str, Any] = {}
        if "scale" in node:
            kwargs["scale"] = self.scale_by_id(node["scale"], f"{path}.scale").column
        if "operator" in node:
            kwargs["operator"] = self.check_operator(node["operator"], f"{path}.operator")
            kwargs["value"] = float(node["value"])  # checked finite by check_keys
        if "item" in node:
            n = self.number(f"{path}.item", node["item"], integer=True)
            if n not in self.items:
                self.fail(f"{path}.item", f"refers to unknown item {short_repr(n)}")
            kwargs["item"] = n
        if ctype == "bands":
            kwargs["bands"] = self.build_bands(node["bands"], self.scales[kwargs["scale"]], path)
        if ctype == "criteria":
            kwargs["require"] = self.build_require(node["require"], f"{path}.require")
            kwargs["match"] = self.check_choice(
                f"{path}.match", node.get("match", "all"), CRITERIA_MATCHES
            )
        if ctype == "levels":
            kwargs["levels"] = self.build_levels(node["levels"], f"{path}.levels", earlier)
            if node["otherwise"] in {lv.label for lv in kwargs["levels"]}:
                self.fail(f"{path}.otherwise", "must differ from every level label")
            kwargs["otherwise"] = node["otherwise"]
        if ctype == "count":
            kwargs["items"] = self.item_refs(node["items"], f"{path}.items")
            kwargs["count_values"] = tuple(
                float(v) for v in self.number_list(node["count_values"], f"{path}.count_values")
            )
            kwargs["count_missing"] = node.get("count_missing", False)
        return Classification(
            id=cid,
            column=f"{self.inst_id}_{cid}",
            type=ctype,
            source=node["source"],
            label=node.get("label", ""),
            note=node.get("note"),
            verification=self.verification(node, path),
            **kwargs,
        )

    def build_bands(self, raw: list, scale: Scale, path: str) -> tuple[Band, ...]:
        """Bands that tile the scale's range exactly (the rule is in instruments/README.md).

        A score is given the band with the largest ``min`` not above it, so band *i* covers
        ``[min_i, min_i+1)`` and the last band ``[min, max]``. On an integer-valued scale
        bands are written inclusively with whole-number edges (0-4, 5-9): each band starts
        exactly one above the previous band's ``max``. On any other scale each band starts
        exactly at the previous band's ``max``. The first band starts at the scale's minimum,
        the last ends at its maximum.
        """
        where = f"{path}.bands"
        if not raw:
            self.fail(where, "must list at least one band")
        bands = [self.build_band(b, f"{where}[{j}]", scale) for j, b in enumerate(raw)]
        labels = [b.label for b in bands]
        if len(set(labels)) != len(labels):
            self.fail(where, "band labels must be unique")
        ordered = sorted(bands, key=lambda b: b.min)
        lo, hi = scale.range
        if not math.isclose(ordered[0].min, lo, abs_tol=1e-9):
            self.fail(
                where, f"start at {_fmt(ordered[0].min)} but {scale.column} starts at {_fmt(lo)}"
            )
        if not math.isclose(ordered[-1].max, hi, abs_tol=1e-9):
            self.fail(
                where, f"end at {_fmt(ordered[-1].max)} but {scale.column} ends at {_fmt(hi)}"
            )
        step = 1.0 if scale.integer_valued else 0.0
        for prev, nxt in zip(ordered, ordered[1:], strict=False):
            expected = prev.max + step
            names = f"{short_repr(prev.label)} and {short_repr(nxt.label)}"
            if nxt.min < expected:
                self.fail(where, f"{names} overlap (the next band must start at {_fmt(expected)})")
            if nxt.min > expected:
                self.fail(
                    where,
                    f"gap between {short_repr(prev.label)} (to {_fmt(prev.max)}) and "
                    f"{short_repr(nxt.label)} (from {_fmt(nxt.min)}); the next band must start "
                    f"at {_fmt(expected)}",
                )
        return tuple(ordered)

    def build_band(self, b: Any, at: str, scale: Scale) -> Band:
        """One band: whole-number edges on an integer-valued scale, ``min`` before ``max``."""
        self.check_keys(b, BAND_KEYS, at)
        whole = scale.integer_valued
        for key in ("min", "max"):
            if whole and not float(b[key]).is_integer():
                self.fail(
                    f"{at}.{key}",
                    f"must be a whole number: {scale.column} takes whole-number values, so "
                    f"bands are inclusive (0-4, 5-9); got {short_repr(b[key])}",
                )
        if b["min"] > b["max"] or (not whole and b["min"] == b["max"]):
            self.fail(
                at,
                f"min {_fmt(b['min'])} must be {'at most' if whole else 'below'} max "
                f"{_fmt(b['max'])}",
            )
        return Band(b["label"], float(b["min"]), float(b["max"]))

    def build_levels(
        self, raw: list, path: str, earlier: dict[str, Classification]
    ) -> tuple[Level, ...]:
        """The levels of a ``levels`` classification, in order of precedence: each names a
        boolean classification defined above it (by id) and a unique label."""
        if not raw:
            self.fail(path, "must list at least one level")
        out = []
        for j, node in enumerate(raw):
            where = f"{path}[{j}]"
            self.check_keys(node, LEVEL_KEYS, where)
            found = earlier.get(f"{self.inst_id}_{node['classification']}")
            if found is None or found.type not in BOOLEAN_TYPES:
                self.fail(
                    f"{where}.classification",
                    f"must name a {', '.join(BOOLEAN_TYPES)} classification defined above; "
                    f"got {short_repr(node['classification'])}",
                )
            out.append(Level(node["label"], found.column))
        labels = [lv.label for lv in out]
        if len(set(labels)) != len(labels):
            self.fail(path, "level labels must be unique")
        return tuple(out)

    def build_require(self, raw: list, path: str) -> tuple[Requirement, ...]:
        """The requirements of a criteria classification, resolved to item numbers or scale
        columns (exactly one of the two per requirement)."""
        if not raw:
            self.fail(path, "must list at least one requirement")
        out = []
        for j, node in enumerate(raw):
            where = f"{path}[{j}]"
            self.check_keys(node, REQUIRE_KEYS, where)
            if ("items" in node) == ("scales" in node):
                self.fail(where, "needs exactly one of 'items' or 'scales'")
            operator = self.check_operator(node["operator"], f"{where}.operator")
            items: tuple[int, ...] = ()
            scales: tuple[str, ...] = ()
            if "items" in node:
                items = self.item_refs(node["items"], f"{where}.items")
            else:
                if not node["scales"]:
                    self.fail(f"{where}.scales", "must list at least one scale")
                scales = tuple(
                    self.scale_by_id(s, f"{where}.scales[{k}]").column
                    for k, s in enumerate(node["scales"])
                )
            n_parts = len(items) or len(scales)
            at_least = self.number(
                f"{where}.at_least", node["at_least"], integer=True, minimum=1, maximum=n_parts
            )
            out.append(
                Requirement(
                    operator=operator,
                    value=float(node["value"]),
                    at_least=at_least,
                    items=items,
                    scales=scales,
                    note=node.get("note"),
                )
            )
        return tuple(out)


def _clean(x: float) -> float:
    """Round away float noise from factor arithmetic (0.3 * 20 = 6.000000000000001)."""
    return float(round(x, 9))
