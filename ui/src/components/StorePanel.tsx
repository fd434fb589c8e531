import { useState } from "react";

import { useDirectories, useSnapshots } from "../hooks/queries";
import { type StoreSide, useStoreImport } from "../hooks/useStoreImport";
import { useAppInfo } from "../hooks/useWorkspace";
import { formatCount } from "../lib/format";
import { useUi } from "../state/ui";
import { ErrorBox, QueryError } from "./ErrorBox";

type Kind = StoreSide;

/** What exists on both sides: store snapshots (fetched or imported from AWS CLI JSON) and IdP
 * directory exports, with the buttons that add them. */
export function StorePanel() {
  const info = useAppInfo();
  const snapshots = useSnapshots();
  const directories = useDirectories();
  const setFetchOpen = useUi((s) => s.setFetchOpen);
  const fetching = useUi((s) => s.fetchState.phase === "running");
  const navigate = useUi((s) => s.navigate);
  const { run, error } = useStoreImport();

  return (
    <section className="panel" data-testid="store-panel">
      <div className="row spread">
        <div>
          <strong>Identity store and IdP directory</strong>
          <p className="muted small">
            What exists on both sides, to compare: a snapshot of the AWS identity store (fetched live, or the JSON of{" "}
            <span className="mono">aws identitystore list-users</span>, <span className="mono">list-groups</span>,{" "}
            <span className="mono">list-group-memberships</span>) and the IdP's directory export (SCIM ListResponse, Entra
            users CSV or Graph /users JSON, Okta users CSV, Google Workspace CSV downloads or Admin SDK JSON).
          </p>
        </div>
        <div className="row">
          <button type="button" className="primary" onClick={() => setFetchOpen(true)} data-testid="open-fetch">
            {fetching ? "Fetching…" : "Fetch from AWS…"}
          </button>
          <button type="button" onClick={() => run.mutate({ kind: "store", paths: null })} disabled={run.isPending}>
            Import store snapshot…
          </button>
          <button type="button" onClick={() => run.mutate({ kind: "directory", paths: null })} disabled={run.isPending}>
            Import directory export…
          </button>
        </div>
      </div>
      {info.data?.e2e && (
        <>
          <PathField id="store" label="Test build: import a store snapshot by path (separated by |)" onSubmit={(paths) => run.mutate({ kind: "store", paths })} />
          <PathField id="directory" label="Test build: import a directory export by path (separated by |)" onSubmit={(paths) => run.mutate({ kind: "directory", paths })} />
        </>
      )}
      {run.isPending && <p className="muted small">Importing…</p>}
      {run.data && (
        <p className="success small" data-testid={`${run.data.kind}-imported`}>
          {run.data.text}{" "}
          <button type="button" className="link" onClick={() => navigate({ view: "compare" })}>Compare</button>
        </p>
      )}
      {error && <ErrorBox error={error} note="Nothing of it was imported." />}

      <div className="label">Store snapshots</div>
      {snapshots.error && <QueryError error={snapshots.error} />}
      {snapshots.data?.length === 0 && <p className="muted small">None yet.</p>}
      {snapshots.data && snapshots.data.length > 0 && (
        <table className="grid small" data-testid="snapshots-table">
          <thead>
            <tr><th>#</th><th>Taken (UTC)</th><th>From</th><th className="num">Users</th><th className="num">Groups</th><th className="num">Memberships</th><th>Warnings</th></tr>
          </thead>
          <tbody>
            {snapshots.data.map((s) => (
              <tr key={s.id}>
                <td>{s.id}</td>
                <td>{s.taken_at}</td>
                <td>
                  <span className="badge">{s.origin === "fetch" ? "fetched" : "file"}</span>{" "}
                  <span className="mono" title={s.label}>{s.identity_store_id ?? s.label}</span>
                  {s.api_calls !== null && <div className="muted">{formatCount(s.api_calls)} API calls in {(s.seconds ?? 0).toFixed(1)} s</div>}
                </td>
                <td className="num">{formatCount(s.users)}</td>
                <td className="num">{formatCount(s.groups)}</td>
                <td className="num">{s.memberships_known ? formatCount(s.memberships) : "not listed"}</td>
                <td>{s.warnings.map((w) => <div key={w} className="warning">{w}</div>)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      <div className="label">Directory exports</div>
      {directories.error && <QueryError error={directories.error} />}
      {directories.data?.length === 0 && <p className="muted small">None yet.</p>}
      {directories.data && directories.data.length > 0 && (
        <table className="grid small" data-testid="directories-table">
          <thead>
            <tr><th>#</th><th>Imported (UTC)</th><th>IdP</th><th>Files</th><th className="num">Users</th><th className="num">Groups</th><th className="num">Memberships</th><th>Warnings</th></tr>
          </thead>
          <tbody>
            {directories.data.map((d) => (
              <tr key={d.id}>
                <td>{d.id}</td>
                <td>{d.imported_at}</td>
                <td><span className="badge">{d.idp}</span></td>
                <td className="mono" title={d.label}>{d.formats.join(", ")}</td>
                <td className="num">{formatCount(d.users)}</td>
                <td className="num">{formatCount(d.groups)}</td>
                <td className="num">{formatCount(d.memberships)}</td>
                <td>{d.warnings.map((w) => <div key={w} className="warning">{w}</div>)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** End-to-end builds only: WebDriver cannot drive the file dialog, so tests type paths. */
function PathField({ id, label, onSubmit }: { id: Kind; label: string; onSubmit: (paths: string[]) => void }) {
  const [text, setText] = useState("");
  return (
    <form
      className="row e2e-only"
      onSubmit={(e) => {
        e.preventDefault();
        const paths = text.split(/[\n|]/).map((p) => p.trim()).filter(Boolean);
        if (paths.length > 0) onSubmit(paths);
      }}
    >
      <label className="small muted" htmlFor={`e2e-${id}-paths`}>{label}</label>
      <input id={`e2e-${id}-paths`} data-testid={`e2e-${id}-paths`} value={text} onChange={(e) => setText(e.target.value)} size={60} />
      <button type="submit" data-testid={`e2e-${id}-import`}>Import</button>
    </form>
  );
}
