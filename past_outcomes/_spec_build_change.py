"""Building the change part of a spec: change criteria and responder rules.

A step of :mod:`past_outcomes._spec_build` kept in its own module: the builder there derives
from :class:`ChangeSpecBuilder`, which reads the scales and classifications already built.
"""

from __future__ import annotations

from typing import Any

from past_outcomes._spec_checks import (
    BY_BASELINE_KEYS,
    CHANGE_KEYS,
    ELIGIBLE_KEYS,
    POPULATION_KEYS,
    REMISSION_KEYS,
    RESPONDERS_KEYS,
    RULE_KEYS,
    VALUE_KEYS,
    SpecChecker,
)
from past_outcomes.errors import short_repr
from past_outcomes.instrument import (
    MULTI_VISIT_KINDS,
    RESPONDER_KINDS,
    SUB_ID_PATTERN,
    VERIFICATION_LEVELS,
    BaselineThreshold,
    ChangeCriteria,
    Classification,
    NormValue,
    Population,
    ResponderRule,
    Scale,
)

#: Bounds of the change criteria values: a reliability in (0, 1); an MCID and a reliable
#: change threshold are positive sizes.
_CHANGE_VALUE_BOUNDS: dict[str, dict[str, Any]] = {
    "reliability": {"minimum": 0, "maximum": 1, "exclusive_maximum": True},
    "mcid": {"minimum": 0},
    "reliable_change": {"minimum": 0},
}


class ChangeSpecBuilder(SpecChecker):
    """The change-criteria and responder-rule steps of the spec builder."""

    inst_id: str
    scales: dict[str, Scale]  # by output column
    scale_ids: dict[str, Scale]  # by id
    classifications: dict[str, Classification]

    def scale_by_id(self, sid: Any, path: str) -> Scale:
        if isinstance(sid, str) and sid in self.scale_ids:
            return self.scale_ids[sid]
        self.fail(path, f"refers to unknown scale {short_repr(sid)}")

    # -- change criteria ---------------------------------------------------------------------
    def build_change(self, raw: list) -> dict[str, ChangeCriteria]:
        out: dict[str, ChangeCriteria] = {}
        for i, node in enumerate(raw):
            path = f"change[{i}]"
            self.check_keys(node, CHANGE_KEYS, path)
            scale = self.scale_by_id(node["scale"], f"{path}.scale")
            if scale.column in out:
                self.fail(
                    f"{path}.scale",
                    f"change criteria for {short_repr(node['scale'])} are given twice",
                )
            kwargs: dict[str, Any] = {}
            for key, bound in _CHANGE_VALUE_BOUNDS.items():
                if key in node:
                    v = self.check_keys(node[key], VALUE_KEYS, f"{path}.{key}")
                    self.check_source(v["source"], f"{path}.{key}.source")
                    self.number(f"{path}.{key}.value", v["value"], exclusive_minimum=True, **bound)
                    kwargs[key] = NormValue(float(v["value"]), v["source"], v.get("note"))
            lo, hi = scale.range
            for key in ("clinical", "functional"):
                if key in node:
                    v = self.check_keys(node[key], POPULATION_KEYS, f"{path}.{key}")
                    self.check_source(v["source"], f"{path}.{key}.source")
                    self.number(f"{path}.{key}.mean", v["mean"], minimum=lo, maximum=hi)
                    self.number(f"{path}.{key}.sd", v["sd"], minimum=0, exclusive_minimum=True)
                    kwargs[key] = Population(
                        float(v["mean"]), float(v["sd"]), v["source"], v.get("note")
                    )
            out[scale.column] = ChangeCriteria(scale=scale.column, note=node.get("note"), **kwargs)
        return out

    # -- responder rules ---------------------------------------------------------------------
    def build_responders(self, raw: Any) -> tuple[dict[str, ResponderRule], str | None]:
        if raw is None:
            return {}, None
        node = self.check_keys(raw, RESPONDERS_KEYS, "responders")
        if not node["rules"]:
            self.fail("responders.rules", "must list at least one rule")
        rules: dict[str, ResponderRule] = {}
        for i, r in enumerate(node["rules"]):
            path = f"responders.rules[{i}]"
            rule = self.build_rule(r, path, rules)
            rules[rule.id] = rule
        primary = node.get("primary")
        if primary is not None and primary not in rules:
            self.fail("responders.primary", f"names unknown rule {short_repr(primary)}")
        return rules, primary

    def build_rule(self, r: Any, path: str, earlier: dict[str, ResponderRule]) -> ResponderRule:
        """One responder rule: its scale, thresholds, diagnosis and remission resolved."""
        self.check_keys(r, RULE_KEYS, path)
        rid = self.ident(f"{path}.id", r["id"], SUB_ID_PATTERN, "snake_case")
        if rid in earlier:
            self.fail(f"{path}.id", f"duplicate responder rule {short_repr(rid)}")
        kind = self.check_choice(f"{path}.kind", r["kind"], RESPONDER_KINDS)
        self.check_source(r["source"], f"{path}.source")
        scale = self.scale_by_id(r["scale"], f"{path}.scale")
        extras = self.rule_extras(r, path, kind, scale, earlier)
        if kind in MULTI_VISIT_KINDS:
            return ResponderRule(
                id=rid, label=r["label"], scale=scale.column, kind=kind, source=r["source"],
                note=r.get("note"), **extras,
            )  # fmt: skip
        if kind == "endpoint":
            if "operator" not in r or "threshold" not in r:
                self.fail(path, "an endpoint rule needs 'operator' and 'threshold'")
        elif "threshold" not in r and "by_baseline" not in r:
            self.fail(path, f"a {kind} rule needs 'threshold' or 'by_baseline'")
        if "operator" in r:
            self.check_operator(r["operator"], f"{path}.operator")
        by_baseline = self.build_by_baseline(r.get("by_baseline"), scale, path)
        diagnosis = None
        if "diagnosis" in r:
            diagnosis = f"{self.inst_id}_{r['diagnosis']}"
            found = self.classifications.get(diagnosis)
            if found is None or found.type not in ("criteria", "cutoff"):
                self.fail(
                    f"{path}.diagnosis",
                    "must name a criteria or cutoff classification; got "
                    f"{short_repr(r['diagnosis'])}",
                )
        remission = None
        if "remission" in r:
            remission = dict(self.check_keys(r["remission"], REMISSION_KEYS, f"{path}.remission"))
            self.check_operator(remission["operator"], f"{path}.remission.operator")
            remission["value"] = float(remission["value"])
        return ResponderRule(
            id=rid,
            label=r["label"],
            scale=scale.column,
            kind=kind,
            source=r["source"],
            threshold=None if "threshold" not in r else float(r["threshold"]),
            operator=r.get("operator"),
            by_baseline=by_baseline,
            diagnosis=diagnosis,
            remission=remission,
            note=r.get("note"),
            **extras,
        )

    def rule_extras(
        self, r: dict, path: str, kind: str, scale: Scale, earlier: dict[str, ResponderRule]
    ) -> dict[str, Any]:
        """A rule's ``eligible`` baseline condition, ``verification`` and, for multi-visit
        kinds, its ``base_rule`` (an earlier single-visit rule on the same scale, whose
        thresholds it repeats: it declares none of its own)."""
        extras: dict[str, Any] = {"verification": self.verification(r, path)}
        if "eligible" in r:
            eligible = dict(self.check_keys(r["eligible"], ELIGIBLE_KEYS, f"{path}.eligible"))
            self.check_operator(eligible["operator"], f"{path}.eligible.operator")
            eligible["value"] = float(eligible["value"])
            extras["eligible"] = eligible
        if kind not in MULTI_VISIT_KINDS:
            if "base_rule" in r:
                self.fail(f"{path}.base_rule", f"only a {' or '.join(MULTI_VISIT_KINDS)} rule "
                          f"names a base rule, not a {kind} rule")  # fmt: skip
            return extras
        own = sorted({"threshold", "operator", "by_baseline", "diagnosis", "remission"} & set(r))
        if own:
            self.fail(path, f"a {kind} rule takes its thresholds from its base_rule; remove "
                      f"{', '.join(own)}")  # fmt: skip
        base = earlier.get(r.get("base_rule", ""))
        if base is None or base.kind in MULTI_VISIT_KINDS:
            self.fail(f"{path}.base_rule", "must name a single-visit rule defined above; got "
                      f"{short_repr(r.get('base_rule'))}")  # fmt: skip
        if base.scale != scale.column:
            self.fail(f"{path}.scale", f"must be the scale of its base rule {base.id!r}")
        extras["base_rule"] = base.id
        return extras

    def verification(self, node: dict, path: str) -> str | None:
        if "verification" not in node:
            return None
        return self.check_choice(f"{path}.verification", node["verification"], VERIFICATION_LEVELS)

    def build_by_baseline(self, raw: Any, scale: Scale, path: str) -> tuple[BaselineThreshold, ...]:
        """Baseline bands ``[min, max]`` (inclusive), inside the scale's range, not overlapping.

        Gaps are allowed: a baseline in no band makes the rule not applicable (IIEF EF 26-30).
        """
        if raw is None:
            return ()
        where = f"{path}.by_baseline"
        if not raw:
            self.fail(where, "must list at least one baseline band")
        lo, hi = scale.range
        out = []
        for j, b in enumerate(raw):
            at = f"{where}[{j}]"
            self.check_keys(b, BY_BASELINE_KEYS, at)
            self.number(f"{at}.min", b["min"], minimum=lo, maximum=hi)
            self.number(f"{at}.max", b["max"], minimum=b["min"], maximum=hi)
            out.append(
                BaselineThreshold(
                    float(b["min"]), float(b["max"]), float(b["threshold"]), b["label"]
                )
            )
        ordered = sorted(out, key=lambda b: b.min)
        for prev, nxt in zip(ordered, ordered[1:], strict=False):
            if nxt.min <= prev.max:
                self.fail(
                    where,
                    f"{short_repr(prev.label)} and {short_repr(nxt.label)} overlap; a baseline "
                    "must fall in one band at most",
                )
        return tuple(out)
