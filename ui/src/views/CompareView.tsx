import { useVirtualizer } from "@tanstack/react-virtual";
import { useEffect, useMemo, useRef } from "react";

import type { AccessImpact } from "../bindings/AccessImpact";
import type { CompareSection } from "../bindings/CompareSection";
import type { CompareState } from "../bindings/CompareState";
import type { EntityComparison } from "../bindings/EntityComparison";
import type { EntityKind } from "../bindings/EntityKind";
import type { IdentityChange } from "../bindings/IdentityChange";
import type { IdentityChangeKind } from "../bindings/IdentityChangeKind";
import type { SideRef } from "../bindings/SideRef";
import { CategoryLabel } from "../components/Badges";
import { QueryError } from "../components/ErrorBox";
import { NeedsData } from "../components/NeedsData";
import { useCompare, useDirectories, useSnapshotDiff, useSnapshots } from "../hooks/queries";
import { REASON_LABELS, STATE_LABELS, STATES, countOf, differs, filterComparisons, toggleState, totalCounts } from "../lib/compare";
import { isNotFound } from "../lib/errors";
import { countNoun, formatCount } from "../lib/format";
import { useUi } from "../state/ui";

const KINDS: EntityKind[] = ["user", "group"];

export function CompareView() {
  const filters = useUi((s) => s.compareFilters);
  const setFilters = useUi((s) => s.setCompareFilters);
  const routeSearch = useUi((s) => s.route.search);
  // In-sync entities are only sent when asked for (they can be most of a large directory).
  const withInSync = filters.states.includes("IN_SYNC");
  const snapshots = useSnapshots();
  const directories = useDirectories();
  const noSnapshot = snapshots.data?.length === 0;
  const noDirectory = directories.data?.length === 0;
  const ready = snapshots.data !== undefined && directories.data !== undefined && !noSnapshot && !noDirectory;
  const compare = useCompare({ directory_id: null, snapshot_id: null, match_order: null, include_in_sync: withInSync, extra_reserved: [] }, ready);
  // Nothing to compare yet is not an error: say what is missing and offer the way to get it.
  const missing = noSnapshot || noDirectory || isNotFound(compare.error);

  // A link from an entity opens this view on its name.
  useEffect(() => {
    if (routeSearch !== undefined) useUi.getState().setCompareFilters({ search: routeSearch, states: [], kinds: [] });
  }, [routeSearch]);

  const c = compare.data;
  const shown = useMemo(() => (c ? filterComparisons(c.entities, filters) : []), [c, filters]);

  return (
    <div className="view" data-testid="view-compare">
      <header className="view-head">
        <h1>Compare</h1>
        <p className="muted">
          The IdP directory beside the AWS identity store: users matched by {c ? c.match_order.join(", then ") : "externalId, then userName, then email"};
          groups by externalId, then displayName.
        </p>
      </header>

      {missing && <CompareMissing snapshot={noSnapshot || !noDirectory} directory={noDirectory || !noSnapshot} />}
      {!missing && compare.error && <QueryError error={compare.error} />}
      {!missing && (snapshots.error || directories.error) && <QueryError error={snapshots.error ?? directories.error} />}
      {!missing && !c && !compare.error && !snapshots.error && !directories.error && <p className="muted">Comparing…</p>}
      {c && (
        <>
          <Sides c={c} />
          <section className="totals" data-testid="compare-counts" aria-label="Entities per state">
            {STATES.map((s) => {
              const total = countOf(totalCounts(c.users, c.groups), s);
              return (
                <button
                  type="button"
                  key={s}
                  className={`total clickable state-total state-${s} ${filters.states.includes(s) ? "on" : ""}`}
                  aria-pressed={filters.states.includes(s)}
                  onClick={() => setFilters({ states: toggleState(filters.states, s) })}
                  data-testid={`count-${s}`}
                >
                  <div className="total-value">{formatCount(total)}</div>
                  <div className="total-label">
                    {STATE_LABELS[s]}: {countNoun(countOf(c.users, s), "user")}, {countNoun(countOf(c.groups, s), "group")}
                  </div>
                </button>
              );
            })}
          </section>

          <div className="filters" role="group" aria-label="Filters">
            <span className="label">State</span>
            <span className="chips">
              {STATES.map((s) => (
                <button
                  type="button"
                  key={s}
                  className={`chip ${filters.states.includes(s) ? "on" : ""}`}
                  aria-pressed={filters.states.includes(s)}
                  onClick={() => setFilters({ states: toggleState(filters.states, s) })}
                  data-testid={`state-filter-${s}`}
                >
                  {STATE_LABELS[s]}
                </button>
              ))}
            </span>
            <span className="label">Kind</span>
            <span className="chips">
              {KINDS.map((k) => (
                <button
                  type="button"
                  key={k}
                  className={`chip ${filters.kinds.includes(k) ? "on" : ""}`}
                  aria-pressed={filters.kinds.includes(k)}
                  onClick={() => setFilters({ kinds: filters.kinds.includes(k) ? filters.kinds.filter((x) => x !== k) : [...filters.kinds, k] })}
                >
                  {k}s
                </button>
              ))}
            </span>
            <input
              type="search"
              placeholder="Search names, emails, ids"
              aria-label="Search the comparison"
              value={filters.search}
              onChange={(e) => setFilters({ search: e.target.value })}
              data-testid="compare-search"
            />
            <span className="muted small" data-testid="compare-total">
              {formatCount(shown.length)} {shown.length === 1 ? "entity" : "entities"}
              {filters.states.length === 0 ? " (every state but in sync)" : ""}
            </span>
          </div>

          <EntityList entities={shown} c={c} />
          <Memberships c={c} states={filters.states} />
          {c.warnings.length > 0 && (
            <section className="panel">
              <div className="label">Warnings</div>
              {c.warnings.map((w) => <div key={w} className="warning small">{w}</div>)}
            </section>
          )}
        </>
      )}
      {(snapshots.data?.length ?? 0) >= 2 && <IdentityChanges />}
    </div>
  );
}

const CHANGE_LABELS: Record<IdentityChangeKind, string> = {
  recreated: "deleted and created again",
  renamed: "renamed",
  anchor_moved: "externalId changed: the IdP's anchor moved",
};

/** The store over time: between its two newest snapshots, the users and groups deleted and
 * created again under a new id (whose old id's assignments give nobody access), renamed, or
 * whose externalId moved, with the log's delete and create. Log text is shown as text. */
function IdentityChanges() {
  const diff = useSnapshotDiff(true);
  const d = diff.data;
  return (
    <section className="panel" data-testid="identity-changes" aria-label="Identity changes over time">
      <div className="label">Identity changes over time</div>
      {diff.error && <QueryError error={diff.error} />}
      {!d && !diff.error && <p className="muted small">Comparing the two newest snapshots…</p>}
      {d && (
        <>
          <p className="small muted" data-testid="identity-changes-span">
            Snapshot #{d.from.id} ({d.from.taken_at}) to #{d.to.id} ({d.to.taken_at}): users {formatCount(d.users.added.length)} added,{" "}
            {formatCount(d.users.removed.length)} removed, {formatCount(d.users.changed.length)} changed; groups {formatCount(d.groups.added.length)} added,{" "}
            {formatCount(d.groups.removed.length)} removed, {formatCount(d.groups.changed.length)} changed
            {d.memberships_compared
              ? `; memberships ${formatCount(d.memberships_added.length)} added, ${formatCount(d.memberships_removed.length)} removed.`
              : "."}
          </p>
          {d.identity_changes.length === 0 ? (
            <p className="small" data-testid="identity-changes-none">No user or group changed identity between these snapshots.</p>
          ) : (
            <ol className="identity-changes">
              {d.identity_changes.map((ch) => (
                <IdentityChangeItem key={`${ch.kind}|${ch.change}|${ch.old_id}|${ch.new_id}`} change={ch} />
              ))}
            </ol>
          )}
        </>
      )}
    </section>
  );
}

function IdentityChangeItem({ change: ch }: { change: IdentityChange }) {
  return (
    <li className="small" data-testid="identity-change" data-change={ch.change}>
      <div>
        <strong>{ch.kind} {ch.name}</strong>: {CHANGE_LABELS[ch.change]}
        {ch.matched_on && ch.change === "recreated" ? ` (matched on ${ch.matched_on})` : ""}, between {ch.after} and {ch.before}
      </div>
      <div className="mono" data-testid="identity-change-ids">
        {ch.old_id === ch.new_id ? ch.old_id : `${ch.old_id} -> ${ch.new_id}`}
      </div>
      {ch.differences.map((diff) => (
        <div key={diff.attribute} className="mono">
          {diff.attribute}: was {diff.idp ?? "(none)"}, now {diff.store ?? "(none)"}
        </div>
      ))}
      {ch.assignments.length > 0 && (
        <div className="warning" data-testid="identity-change-assignments">
          Assignments of the old id (nobody gets them now): {ch.assignments.join(", ")}
        </div>
      )}
      {ch.evidence.length > 0 && (
        <ul className="mono" data-testid="identity-change-evidence">
          {ch.evidence.map((e, i) => (
            <li key={i}>log: {e}</li>
          ))}
        </ul>
      )}
    </li>
  );
}

function CompareMissing({ snapshot, directory }: { snapshot: boolean; directory: boolean }) {
  const what = snapshot && directory ? "an identity store snapshot and an IdP directory export" : snapshot ? "an identity store snapshot" : "an IdP directory export";
  return (
    <NeedsData testId="compare-empty" title={`Compare needs ${what}`} snapshot={snapshot} directory={directory}>
      <p className="muted">
        It lays the IdP's users, groups and memberships beside what AWS IAM Identity Center holds: what failed to
        provision, what drifted, what exists only in AWS. {snapshot && directory ? "This workspace has neither yet." : snapshot ? "This workspace has a directory export but no snapshot of the identity store yet." : "This workspace has a snapshot of the identity store but no directory export yet."}
      </p>
      {snapshot && (
        <p className="small muted">
          A snapshot is fetched live (read-only calls) or imported from the JSON of <span className="mono">aws identitystore list-users</span>,{" "}
          <span className="mono">list-groups</span> and <span className="mono">list-group-memberships</span>.
        </p>
      )}
      {directory && (
        <p className="small muted">A directory export: SCIM ListResponse, Entra users CSV or Graph /users JSON (+ groups, assignments), Okta users CSV, Google Workspace CSV downloads or Admin SDK JSON.</p>
      )}
    </NeedsData>
  );
}

function Sides({ c }: { c: CompareSection }) {
  return (
    <section className="compare-sides">
      <div className="panel" data-testid="side-idp">
        <div className="label">IdP directory</div>
        <div>
          <span className="badge">{c.directory.idp}</span> {c.directory.formats.join(", ")}
        </div>
        <div className="small muted">
          {formatCount(c.directory.users)} users, {formatCount(c.directory.groups)} groups · imported {c.directory.imported_at}
        </div>
      </div>
      <div className="panel" data-testid="side-store">
        <div className="label">AWS identity store</div>
        <div>
          <span className="badge">{c.snapshot.origin === "fetch" ? "fetched" : "from AWS CLI JSON"}</span>{" "}
          <span className="mono">{c.snapshot.identity_store_id ?? `snapshot #${c.snapshot.id}`}</span>
        </div>
        <div className="small muted">
          {formatCount(c.snapshot.users)} users, {formatCount(c.snapshot.groups)} groups · taken {c.snapshot.taken_at}
        </div>
      </div>
    </section>
  );
}

function EntityList({ entities, c }: { entities: EntityComparison[]; c: CompareSection }) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: entities.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => 130,
    overscan: 6,
  });
  if (entities.length === 0) return <p className="muted panel" data-testid="compare-none">No entity in the chosen states.</p>;
  return (
    <section className="compare-table" aria-label="IdP beside AWS" data-testid="compare-table">
      <div className="compare-head">
        <div>IdP directory ({c.directory.idp})</div>
        <div>AWS identity store</div>
      </div>
      <div className="compare-body" ref={scrollRef}>
        <div style={{ height: virtualizer.getTotalSize(), position: "relative" }}>
          {virtualizer.getVirtualItems().map((item) => {
            const e = entities[item.index];
            if (!e) return null;
            return (
              <div
                key={item.key}
                data-index={item.index}
                ref={virtualizer.measureElement}
                className="compare-slot"
                style={{ transform: `translateY(${item.start}px)` }}
              >
                <Comparison e={e} />
              </div>
            );
          })}
        </div>
      </div>
    </section>
  );
}

function Comparison({ e }: { e: EntityComparison }) {
  const navigate = useUi((s) => s.navigate);
  return (
    <article className={`compare-row state-${e.state}`} data-testid="compare-row" data-state={e.state}>
      <div className="row compare-title">
        <strong className="entity-name">{e.name}</strong>
        <span className="badge">{e.kind}</span>
        <span className={`badge state-badge state-${e.state}`} data-testid="compare-state">{STATE_LABELS[e.state]}</span>
        {e.matched_by && <span className="small muted">matched by {e.matched_by}</span>}
        {e.reason && <span className="small" data-testid="compare-reason">{REASON_LABELS[e.reason]}</span>}
      </div>
      <div className="compare-cols">
        <Side side={e.idp} e={e} which="idp" missing="Not in the IdP export" />
        <Side side={e.store} e={e} which="store" missing="Not in the identity store" />
      </div>
      {e.differences.length > 0 && (
        <table className="grid small diffs" data-testid="compare-diffs">
          <thead>
            <tr><th>Attribute</th><th>IdP</th><th>AWS</th></tr>
          </thead>
          <tbody>
            {e.differences.map((d) => (
              <tr key={d.attribute} className="diff">
                <td className="mono">{d.attribute}</td>
                <td className="mono diff-value" data-testid="diff-idp">{d.idp ?? <span className="muted">(none)</span>}</td>
                <td className="mono diff-value" data-testid="diff-store">{d.store ?? <span className="muted">(none)</span>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {e.differences.some((d) => d.note) && (
        <ul className="small muted">{e.differences.filter((d) => d.note).map((d) => <li key={d.attribute}>{d.attribute}: {d.note}</li>)}</ul>
      )}
      {e.detail && <p className="small">{e.detail}</p>}
      <CompareAccessNotes e={e} />
      {e.evidence && (
        <p className="small" data-testid="compare-evidence">
          Log evidence: <CategoryLabel category={e.evidence.category} /> · {formatCount(e.evidence.failures)} failed of {formatCount(e.evidence.events)} records
          {e.evidence.last_seen ? `, last ${e.evidence.last_seen}` : ""} ·{" "}
          <button type="button" className="link" onClick={() => e.evidence && navigate({ view: "entity", entityKey: e.evidence.entity_key })}>
            open the entity
          </button>
        </p>
      )}
      {e.fix && <p className="small fix">{e.fix}</p>}
    </article>
  );
}

const SIDE_FIELDS: { key: keyof SideRef; label: string; attribute: string }[] = [
  { key: "name", label: "Name", attribute: "userName" },
  { key: "display_name", label: "Display name", attribute: "displayName" },
  { key: "email", label: "Email", attribute: "emails" },
  { key: "external_id", label: "externalId", attribute: "externalId" },
  { key: "id", label: "Id", attribute: "id" },
];

function Side({ side, e, which, missing }: { side: SideRef | null; e: EntityComparison; which: "idp" | "store"; missing: string }) {
  if (!side) {
    return (
      <div className={`compare-side missing`} data-testid={`compare-${which}`}>
        <span className="muted">{missing}</span>
      </div>
    );
  }
  return (
    <dl className={`compare-side ids`} data-testid={`compare-${which}`}>
      {SIDE_FIELDS.filter((f) => side[f.key]).map((f) => (
        <div key={f.key} className={`side-field ${differs(e, f.attribute) ? "diff" : ""}`}>
          <dt>{f.label}</dt>
          <dd className="mono">{side[f.key]}</dd>
        </div>
      ))}
    </dl>
  );
}

function Memberships({ c, states }: { c: CompareSection; states: CompareState[] }) {
  const rows = c.membership_differences.filter((m) => states.length === 0 || states.includes(m.state));
  if (c.memberships === null && c.nested_groups.length === 0) return null;
  return (
    <section className="panel" data-testid="compare-memberships">
      <div className="label">Memberships</div>
      {c.memberships === null ? (
        <p className="muted small">Not compared: one side has no membership data.</p>
      ) : (
        <p className="small">
          {formatCount(c.memberships.in_sync)} in sync, {formatCount(c.memberships.not_provisioned)} not provisioned,{" "}
          {formatCount(c.memberships.unmanaged_in_store)} only in AWS.
        </p>
      )}
      {rows.length > 0 && (
        <table className="grid small">
          <thead>
            <tr><th>State</th><th>Group</th><th>Member</th><th>Detail</th></tr>
          </thead>
          <tbody>
            {rows.map((m, i) => (
              <tr key={`${m.group}|${m.member}|${i}`}>
                <td><span className={`badge state-badge state-${m.state}`}>{STATE_LABELS[m.state]}</span>{m.nested && <span className="badge">nested</span>}</td>
                <td>{m.group}</td>
                <td>{m.member}</td>
                <td>{m.detail}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {c.nested_groups.length > 0 && (
        <>
          <div className="label">Nested groups (not flattened by the IdP)</div>
          <ul className="small" data-testid="nested-groups">
            {c.nested_groups.map((n) => (
              <li key={`${n.parent}|${n.child}`}>
                <strong>{n.child}</strong> inside <strong>{n.parent}</strong>: {n.detail}
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}

function impactText(h: AccessImpact): string {
  return `${h.permission_sets} permission set${h.permission_sets === 1 ? "" : "s"} in ${h.accounts} account${h.accounts === 1 ? "" : "s"}`;
}

/** What the entity holds in AWS, would hold once provisioned, or would lose to a delete-and-create. */
function CompareAccessNotes({ e }: { e: EntityComparison }) {
  const a = e.access;
  if (!a) return null;
  const holds = a.holds && a.holds.assignments > 0 ? a.holds : null;
  const should = a.should_hold && a.should_hold.assignments > 0 ? a.should_hold : null;
  if (!holds && !should && !a.at_risk) return null;
  return (
    <div className="small" data-testid="compare-access">
      {holds && <p>Holds in AWS: {impactText(holds)}</p>}
      {should && <p>Would hold once provisioned: {impactText(should)}</p>}
      {a.at_risk && <p className="alert warn" data-testid="compare-at-risk">At risk: {a.at_risk}</p>}
    </div>
  );
}
