import { useState } from "react";

import type { EntityDetail } from "../bindings/EntityDetail";
import type { StoreGroup } from "../bindings/StoreGroup";
import type { StoreUser } from "../bindings/StoreUser";
import type { TimelineEntry } from "../bindings/TimelineEntry";
import { CategoryLabel, StatusBadge } from "../components/Badges";
import { CopyButton } from "../components/CopyButton";
import { QueryError } from "../components/ErrorBox";
import { useCategories, useEntity, useStoreObjects } from "../hooks/queries";
import { usePaintMark } from "../hooks/usePaintMark";
import { NOT_STATED, fileName, formatCount, orNotStated } from "../lib/format";
import { prettyRecord } from "../lib/raw";
import { useUi } from "../state/ui";

export function EntityView() {
  const key = useUi((s) => s.route.entityKey);
  const goBack = useUi((s) => s.goBack);
  const { data: e, error, isPending } = useEntity(key);
  const categories = useCategories();
  usePaintMark("entity-painted", e);

  if (error) return <div className="view"><QueryError error={error} /></div>;
  if (isPending || !e) return <div className="view muted">Loading…</div>;
  const info = categories.data?.find((c) => c.category === e.category);

  return (
    <div className="view" data-testid="view-entity">
      <header className="view-head">
        <button type="button" className="link small" onClick={goBack} title="Alt+← or Esc">← Back</button>
        <div className="row">
          <h1 className="entity-name" data-testid="entity-name">{e.name}</h1>
          <CopyButton text={e.name} label="Copy name" />
        </div>
        <div className="row">
          <span className="badge">{e.kind}</span>
          <StatusBadge status={e.status} />
          <CategoryLabel category={e.category} />
          {e.attribute && <span className="mono">{e.attribute}</span>}
          <span className="muted small">{formatCount(e.events)} records across sources</span>
        </div>
      </header>

      {e.category && (
        <section className="panel explain" data-testid="entity-explain">
          <div className="label">Why it failed{e.status === "resolved" ? " (resolved since)" : ""}</div>
          {e.message && <p className="message">{e.message}</p>}
          {info && <p>{info.explanation}</p>}
          {e.fix && (
            <div className="fix">
              <div className="row spread">
                <span className="label">Fix</span>
                <CopyButton text={e.fix} label="Copy fix" />
              </div>
              <p>{e.fix}</p>
            </div>
          )}
        </section>
      )}

      <section className="panel">
        <div className="label">Identifiers</div>
        <dl className="ids">
          <Id label="IdP object id" value={e.source_id} />
          <Id label="AWS identity store id" value={e.target_id} />
          <Id label="externalId" value={e.external_id} />
          <Id label="scimlens key" value={e.key} />
        </dl>
      </section>

      <StoreState e={e} />

      <AccessPanel e={e} />

      <section aria-label="Timeline" data-testid="timeline">
        <div className="label">Timeline: every attempt, oldest first, across sources</div>
        <ol className="timeline">
          {e.timeline.map((t) => (
            <Attempt key={t.event_id} entry={t} />
          ))}
        </ol>
      </section>
    </div>
  );
}

/** What the entity holds in AWS, from the newest store snapshot with account assignments. */
function AccessPanel({ e }: { e: EntityDetail }) {
  const a = e.access;
  if (!a) return null;
  return (
    <section className="panel" aria-label="Access" data-testid="entity-access">
      <div className="label">
        Access in AWS (store snapshot #{a.snapshot_id}, {a.principal_id})
      </div>
      {a.access.length === 0 ? (
        <p className="muted">No account assignment reaches this {e.kind}.</p>
      ) : (
        <>
          <p className="small">
            {e.status === "failing" ? "At stake while this fails: " : "Holds: "}
            <strong data-testid="entity-access-summary">
              {a.holds.permission_sets} permission set{a.holds.permission_sets === 1 ? "" : "s"} in {a.holds.accounts} account
              {a.holds.accounts === 1 ? "" : "s"}
            </strong>
          </p>
          <table className="grid small">
            <thead>
              <tr><th>Account</th><th>Permission set</th><th>Through</th></tr>
            </thead>
            <tbody>
              {a.access.map((x) => (
                <tr key={`${x.account_id}|${x.permission_set_arn}`}>
                  <td>
                    {x.account_name ? `${x.account_name} ` : ""}
                    <span className="mono">{x.account_id}</span>
                  </td>
                  <td title={x.permission_set_arn}>{x.permission_set_name ?? x.permission_set_arn}</td>
                  <td>
                    {x.via
                      .map((v) => (v.kind === "direct" ? "direct assignment" : `group ${v.group_name ?? v.group_id}`))
                      .join(", ")}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}

function Id({ label, value }: { label: string; value: string | null }) {
  return (
    <>
      <dt>{label}</dt>
      <dd>
        {value ? (
          <>
            <span className="mono">{value}</span> <CopyButton text={value} />
          </>
        ) : (
          <span className="muted">{NOT_STATED}</span>
        )}
      </dd>
    </>
  );
}

function Attempt({ entry: t }: { entry: TimelineEntry }) {
  const [open, setOpen] = useState(t.outcome === "failure");
  const failed = t.category !== null;
  const raw = prettyRecord(t.raw);
  return (
    <li className={`attempt ${failed ? "failed" : t.outcome === "success" ? "ok" : ""}`} data-testid="attempt">
      <button type="button" className="attempt-head" aria-expanded={open} onClick={() => setOpen(!open)}>
        <span className="mono time">{t.time ?? "time not stated"}</span>
        <span className={`badge outcome-${t.outcome ?? "none"}`}>{t.outcome ?? "outcome not stated"}</span>
        <span>{t.operation ?? t.action ?? "operation not stated"}</span>
        {t.http_status !== null && <span className="badge">HTTP {t.http_status}</span>}
        {t.category && <CategoryLabel category={t.category} />}
        <span className="muted small source" title={t.source_path}>
          {t.format} · {fileName(t.source_path)} #{t.record}
        </span>
      </button>
      {t.masked && (
        <p className="small muted">
          CloudTrail masks names: this call was matched to the entity by its AWS id or by time, not by name.
        </p>
      )}
      {open && (
        <div className="attempt-body">
          <dl className="facts">
            <dt>AWS error</dt>
            <dd className="aws-detail">{orNotStated(t.aws_detail)}</dd>
            <dt>Error code</dt>
            <dd className="mono">{orNotStated(t.error_code)}</dd>
            {t.reason && (
              <>
                <dt>IdP reason</dt>
                <dd className="reason">{t.reason}</dd>
              </>
            )}
            {t.skip_reason && (
              <>
                <dt>Skip reason</dt>
                <dd className="mono">{t.skip_reason}</dd>
              </>
            )}
            {t.message && (
              <>
                <dt>Diagnosis</dt>
                <dd>{t.message}</dd>
              </>
            )}
          </dl>

          {t.steps.length > 0 && (
            <>
              <div className="label">Steps</div>
              <table className="grid small">
                <thead>
                  <tr><th>Step</th><th>Type</th><th>Status</th><th>Description</th><th>Details</th></tr>
                </thead>
                <tbody>
                  {t.steps.map((s, i) => (
                    <tr key={i}>
                      <td>{s.name}</td>
                      <td>{s.step_type ?? ""}</td>
                      <td>{s.status ?? ""}</td>
                      <td>{s.description ?? ""}</td>
                      <td className="mono">{s.details.map(([k, v]) => `${k}: ${v}`).join("\n")}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </>
          )}

          {t.attributes.length > 0 && (
            <>
              <div className="label">Attribute values sent</div>
              <table className="grid small" data-testid="attributes">
                <thead>
                  <tr><th>Attribute</th><th>Old value</th><th>Value(s) sent</th></tr>
                </thead>
                <tbody>
                  {t.attributes.map((a, i) => (
                    <tr key={i}>
                      <td className="mono">{a.name}</td>
                      <td className="mono">{a.old_value ?? ""}</td>
                      <td className="mono value">
                        {a.values.length === 0 ? <span className="muted">(none)</span> : a.values.map((v, j) => (
                          <div key={j}>{v === "" ? <span className="muted">"" (empty string)</span> : v}</div>
                        ))}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </>
          )}

          <div className="row spread">
            <span className="label">Raw record, as logged</span>
            <CopyButton text={t.raw} label="Copy raw record" />
          </div>
          <pre className="raw" data-testid="raw-record">{raw}</pre>
        </div>
      )}
    </li>
  );
}

function isNotFound(error: unknown): boolean {
  return typeof error === "object" && error !== null && "detail" in error && (error as { detail: { code: string } }).detail.code === "NOT_FOUND";
}

/** The entity in the newest store snapshot: what AWS actually holds, with a link to Compare. */
function StoreState({ e }: { e: EntityDetail }) {
  const navigate = useUi((s) => s.navigate);
  const store = useStoreObjects(e.kind === "unknown" ? undefined : e.name, e.target_id);
  const objects = store.data ? [...store.data.users, ...store.data.groups] : [];
  return (
    <section className="panel" data-testid="entity-store">
      <div className="row spread">
        <div className="label">In the AWS identity store</div>
        <button type="button" className="link small" onClick={() => navigate({ view: "compare", search: e.name })} data-testid="entity-compare-link">
          Compare with the IdP
        </button>
      </div>
      {e.kind === "unknown" && <p className="muted small">This record names no user or group to look up.</p>}
      {store.error &&
        (isNotFound(store.error) ? (
          <p className="muted small" data-testid="entity-store-none">
            No store snapshot in this workspace yet.{" "}
            <button type="button" className="link" onClick={() => navigate({ view: "sources" })}>Fetch or import one under Sources</button>.
          </p>
        ) : (
          <QueryError error={store.error} />
        ))}
      {store.data && (
        <>
          <p className="small muted">
            Snapshot #{store.data.snapshot.id} taken {store.data.snapshot.taken_at}
            {store.data.snapshot.identity_store_id ? ` (${store.data.snapshot.identity_store_id})` : ""}
          </p>
          {objects.length === 0 ? (
            <p data-testid="entity-store-missing">
              <strong>Not in the identity store</strong>: no {e.kind} named <span className="mono">{e.name}</span>
              {e.target_id ? <> or with id <span className="mono">{e.target_id}</span></> : null} in this snapshot.
            </p>
          ) : (
            <>
              {store.data.users.map((u) => <StoreUserFacts key={u.UserId} u={u} />)}
              {store.data.groups.map((g) => <StoreGroupFacts key={g.GroupId} g={g} />)}
            </>
          )}
        </>
      )}
    </section>
  );
}

function Fact({ label, value }: { label: string; value: string | null | undefined }) {
  if (value === null || value === undefined || value === "") return null;
  return (
    <>
      <dt>{label}</dt>
      <dd className="mono">{value}</dd>
    </>
  );
}

function StoreUserFacts({ u }: { u: StoreUser }) {
  const name = u.Name ? [u.Name.GivenName, u.Name.FamilyName].filter(Boolean).join(" ") : null;
  return (
    <dl className="ids" data-testid="store-object">
      <Fact label="UserId" value={u.UserId} />
      <Fact label="UserName" value={u.UserName} />
      <Fact label="DisplayName" value={u.DisplayName} />
      <Fact label="Name" value={name} />
      <Fact label="Emails" value={u.Emails?.map((m) => `${m.Value ?? ""}${m.Primary ? " (primary)" : ""}`).join(", ")} />
      <Fact label="ExternalIds" value={u.ExternalIds?.map((x) => `${x.Id} (${x.Issuer})`).join(", ")} />
      <Fact label="Title" value={u.Title} />
      <Fact label="UserType" value={u.UserType} />
      <Fact label="PhoneNumbers" value={u.PhoneNumbers?.map((m) => m.Value ?? "").join(", ")} />
    </dl>
  );
}

function StoreGroupFacts({ g }: { g: StoreGroup }) {
  return (
    <dl className="ids" data-testid="store-object">
      <Fact label="GroupId" value={g.GroupId} />
      <Fact label="DisplayName" value={g.DisplayName} />
      <Fact label="Description" value={g.Description} />
      <Fact label="ExternalIds" value={g.ExternalIds?.map((x) => `${x.Id} (${x.Issuer})`).join(", ") || "none (not managed by SCIM)"} />
    </dl>
  );
}
