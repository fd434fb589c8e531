// The Compare view's logic: which entities a state / kind / search filter keeps, how states and
// reasons read, and which attributes of a side differ (to highlight them).
import type { CompareState } from "../bindings/CompareState";
import type { EntityComparison } from "../bindings/EntityComparison";
import type { EntityKind } from "../bindings/EntityKind";
import type { NotProvisionedReason } from "../bindings/NotProvisionedReason";
import type { StateCounts } from "../bindings/StateCounts";

export const STATES: CompareState[] = ["DRIFT", "NOT_PROVISIONED", "UNMANAGED_IN_STORE", "IN_SYNC"];

export const STATE_LABELS: Record<CompareState, string> = {
  IN_SYNC: "In sync",
  DRIFT: "Drift",
  NOT_PROVISIONED: "Not provisioned",
  UNMANAGED_IN_STORE: "Unmanaged in AWS",
};

export const REASON_LABELS: Record<NotProvisionedReason, string> = {
  failed: "provisioning failed",
  "not-assigned": "not assigned to the AWS app / out of scope",
  "nested-group-only": "member only of a nested group",
  "never-attempted": "never attempted",
  "deleted-in-store": "deleted in AWS",
  unknown: "reason unknown",
};

export interface CompareFilters {
  /** Empty: every state. */
  states: CompareState[];
  kinds: EntityKind[];
  search: string;
}

export const EMPTY_COMPARE_FILTERS: CompareFilters = { states: [], kinds: [], search: "" };

function matches(e: EntityComparison, needle: string): boolean {
  if (needle === "") return true;
  const values = [e.name, e.idp?.name, e.idp?.display_name, e.idp?.email, e.idp?.external_id, e.idp?.id,
    e.store?.name, e.store?.display_name, e.store?.email, e.store?.external_id, e.store?.id];
  return values.some((v) => typeof v === "string" && v.toLowerCase().includes(needle));
}

/** The entities the filters keep, in the report's order. */
export function filterComparisons(entities: EntityComparison[], f: CompareFilters): EntityComparison[] {
  const needle = f.search.trim().toLowerCase();
  return entities.filter(
    (e) =>
      (f.states.length === 0 || f.states.includes(e.state)) &&
      (f.kinds.length === 0 || f.kinds.includes(e.kind)) &&
      matches(e, needle),
  );
}

/** Adds `state` to the filter, or removes it when it is there. */
export function toggleState(states: CompareState[], state: CompareState): CompareState[] {
  return states.includes(state) ? states.filter((s) => s !== state) : [...states, state];
}

export function countOf(counts: StateCounts, state: CompareState): number {
  switch (state) {
    case "IN_SYNC":
      return counts.in_sync;
    case "DRIFT":
      return counts.drift;
    case "NOT_PROVISIONED":
      return counts.not_provisioned;
    case "UNMANAGED_IN_STORE":
      return counts.unmanaged_in_store;
  }
}

/** Counts of users and groups together. */
export function totalCounts(a: StateCounts, b: StateCounts): StateCounts {
  return {
    in_sync: a.in_sync + b.in_sync,
    drift: a.drift + b.drift,
    not_provisioned: a.not_provisioned + b.not_provisioned,
    unmanaged_in_store: a.unmanaged_in_store + b.unmanaged_in_store,
  };
}

/** True when `attribute` is one of the entity's differences: the field is highlighted on both
 * sides. */
export function differs(e: EntityComparison, attribute: string): boolean {
  return e.differences.some((d) => d.attribute === attribute);
}
