import { describe, expect, it } from "vitest";

import type { EntityComparison } from "../bindings/EntityComparison";
import { EMPTY_COMPARE_FILTERS, countOf, differs, filterComparisons, toggleState, totalCounts } from "./compare";

function entity(name: string, state: EntityComparison["state"], kind: EntityComparison["kind"] = "user"): EntityComparison {
  return {
    kind,
    state,
    name,
    idp: state === "UNMANAGED_IN_STORE" ? null : { id: `idp-${name}`, name, display_name: null, external_id: `ext-${name}`, email: `${name}@mail.test` },
    store: state === "NOT_PROVISIONED" ? null : { id: `aws-${name}`, name, display_name: null, external_id: null, email: null },
    matched_by: state === "DRIFT" || state === "IN_SYNC" ? "externalId" : null,
    differences: state === "DRIFT" ? [{ attribute: "title", idp: "Director", store: "Manager", note: null }] : [],
    reason: state === "NOT_PROVISIONED" ? "failed" : null,
    detail: null,
    evidence: null,
    fix: null,
  };
}

const all = [
  entity("karen", "DRIFT"),
  entity("alice", "NOT_PROVISIONED"),
  entity("breakglass", "UNMANAGED_IN_STORE"),
  entity("Engineering", "IN_SYNC", "group"),
  entity("Administrator", "NOT_PROVISIONED", "group"),
];

describe("compare filters", () => {
  it("keeps everything without filters", () => {
    expect(filterComparisons(all, EMPTY_COMPARE_FILTERS)).toEqual(all);
  });

  it("filters by one or more states, and by kind", () => {
    expect(filterComparisons(all, { ...EMPTY_COMPARE_FILTERS, states: ["NOT_PROVISIONED"] }).map((e) => e.name)).toEqual(["alice", "Administrator"]);
    expect(filterComparisons(all, { ...EMPTY_COMPARE_FILTERS, states: ["DRIFT", "IN_SYNC"] }).map((e) => e.name)).toEqual(["karen", "Engineering"]);
    expect(filterComparisons(all, { states: ["NOT_PROVISIONED"], kinds: ["group"], search: "" }).map((e) => e.name)).toEqual(["Administrator"]);
  });

  it("searches names, emails and ids on both sides, case-insensitively", () => {
    expect(filterComparisons(all, { ...EMPTY_COMPARE_FILTERS, search: "KAREN" }).map((e) => e.name)).toEqual(["karen"]);
    expect(filterComparisons(all, { ...EMPTY_COMPARE_FILTERS, search: "alice@mail" }).map((e) => e.name)).toEqual(["alice"]);
    expect(filterComparisons(all, { ...EMPTY_COMPARE_FILTERS, search: "aws-breakglass" }).map((e) => e.name)).toEqual(["breakglass"]);
    expect(filterComparisons(all, { ...EMPTY_COMPARE_FILTERS, search: "  " })).toHaveLength(5);
  });

  it("toggles a state in and out of the filter", () => {
    expect(toggleState([], "DRIFT")).toEqual(["DRIFT"]);
    expect(toggleState(["DRIFT", "IN_SYNC"], "DRIFT")).toEqual(["IN_SYNC"]);
  });

  it("reads and adds state counts", () => {
    const users = { in_sync: 3, drift: 1, not_provisioned: 6, unmanaged_in_store: 2 };
    const groups = { in_sync: 1, drift: 0, not_provisioned: 2, unmanaged_in_store: 1 };
    expect(totalCounts(users, groups)).toEqual({ in_sync: 4, drift: 1, not_provisioned: 8, unmanaged_in_store: 3 });
    expect(countOf(users, "UNMANAGED_IN_STORE")).toBe(2);
  });

  it("knows which attributes differ", () => {
    const karen = all[0] as EntityComparison;
    expect(differs(karen, "title")).toBe(true);
    expect(differs(karen, "displayName")).toBe(false);
  });
});
