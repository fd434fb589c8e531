import { useState } from "react";

import { pickPreflightExports } from "../backend";
import type { PreflightFinding } from "../bindings/PreflightFinding";
import { CategoryLabel } from "../components/Badges";
import { QueryError } from "../components/ErrorBox";
import { NeedsData } from "../components/NeedsData";
import { useDirectories, usePreflight, useSnapshots } from "../hooks/queries";
import { useAppInfo } from "../hooks/useWorkspace";
import { isNotFound } from "../lib/errors";
import { fileName, formatCount } from "../lib/format";
import { useUi } from "../state/ui";

/** Findings rendered at most; the counts above always cover every finding. */
const MAX_ROWS = 1000;

export function PreflightView() {
  const info = useAppInfo();
  const snapshots = useSnapshots();
  const directories = useDirectories();
  const chosen = useUi((s) => s.preflight);
  const setChosen = useUi((s) => s.setPreflight);
  const hasSnapshot = (snapshots.data?.length ?? 0) > 0;
  const [againstStore, setAgainstStore] = useState(chosen?.againstStore ?? true);
  // No export picked: check the workspace's newest directory import (no paths), when there is one.
  const imported = directories.data?.[directories.data.length - 1];
  const req = chosen
    ? { paths: chosen.paths, against_store: chosen.againstStore && hasSnapshot, snapshot_id: null, extra_reserved: [] }
    : imported && snapshots.data
      ? { paths: [], against_store: againstStore && hasSnapshot, snapshot_id: null, extra_reserved: [] }
      : null;
  const result = usePreflight(req);
  const [path, setPath] = useState("");
  const run = (paths: string[]) => setChosen({ paths, againstStore });
  const pick = async () => {
    const paths = await pickPreflightExports();
    if (paths && paths.length > 0) run(paths);
  };
  const p = result.data?.preflight;
  const needsExport = !chosen && (directories.data?.length === 0 || isNotFound(result.error));

  return (
    <div className="view" data-testid="view-preflight">
      <header className="view-head">
        <h1>Preflight</h1>
        <p className="muted">
          AWS's rules run against an IdP export before any sync: required attributes, one value per multi-valued
          attribute, reserved names, lengths and characters, <span className="mono">#EXT#</span>, uniqueness (in the
          export and against the store snapshot), groups over 100 members. Nothing here has happened yet: every finding is{" "}
          <strong>predicted</strong>.
        </p>
      </header>

      <section className="panel">
        <div className="row spread">
          <div>
            <strong>IdP export to check</strong>
            <p className="muted small">SCIM ListResponse JSON, Entra users CSV or Graph /users JSON (+ groups), Okta users CSV, Google Workspace user / group / member CSV downloads or Admin SDK JSON. The workspace's attribute mapping applies.</p>
            {chosen && <div className="mono small" data-testid="preflight-inputs">{chosen.paths.map(fileName).join(", ")}</div>}
            {!chosen && imported && (
              <div className="small" data-testid="preflight-inputs">
                The workspace's directory export ({imported.idp}, imported {imported.imported_at}): <span className="mono">{imported.label.split(", ").map(fileName).join(", ")}</span>
              </div>
            )}
          </div>
          <div className="row">
            <label className="check small">
              <input type="checkbox" checked={againstStore && hasSnapshot} disabled={!hasSnapshot} onChange={(e) => setAgainstStore(e.target.checked)} data-testid="preflight-against-store" />
              Also against the newest store snapshot{hasSnapshot ? "" : " (none yet)"}
            </label>
            <button
              type="button"
              className="primary"
              onClick={() => void pick()}
            >
              Pick export and check…
            </button>
            {chosen && imported && (
              <button type="button" onClick={() => setChosen(null)} data-testid="preflight-imported">
                Check the directory export instead
              </button>
            )}
            {chosen && (
              <button
                type="button"
                onClick={() => (chosen.againstStore === againstStore ? void result.refetch() : setChosen({ ...chosen, againstStore }))}
                disabled={result.isFetching}
              >
                Check again
              </button>
            )}
          </div>
        </div>
        {info.data?.e2e && (
          <form
            className="row e2e-only"
            onSubmit={(e) => {
              e.preventDefault();
              const paths = path.split(/[\n|]/).map((x) => x.trim()).filter(Boolean);
              if (paths.length > 0) run(paths);
            }}
          >
            <label className="small muted" htmlFor="e2e-preflight-paths">Test build: preflight these paths (separated by |)</label>
            <input id="e2e-preflight-paths" data-testid="e2e-preflight-paths" value={path} onChange={(e) => setPath(e.target.value)} size={60} />
            <button type="submit" data-testid="e2e-preflight">Check</button>
          </form>
        )}
      </section>

      {needsExport && (
        <NeedsData
          testId="preflight-empty"
          title="Preflight needs an IdP directory export"
          snapshot={false}
          directory
          actions={
            <button type="button" className="primary" onClick={() => void pick()} data-testid="needs-pick-export">
              Pick an export and check…
            </button>
          }
        >
          <p className="muted">
            Pick an export to check it once, or import it into the workspace: then Preflight checks it whenever you open
            this view, and Compare lays it beside the identity store.
          </p>
        </NeedsData>
      )}
      {result.isFetching && <p className="muted">Checking…</p>}
      {result.error && !needsExport && <QueryError error={result.error} />}
      {p && result.data && (
        <>
          <section className="totals" data-testid="preflight-totals">
            <div className="total">
              <div className="total-value bad" data-testid="preflight-errors">{formatCount(p.errors)}</div>
              <div className="total-label">predicted failures</div>
            </div>
            <div className="total">
              <div className="total-value">{formatCount(p.warnings)}</div>
              <div className="total-label">warnings</div>
            </div>
            <div className="total">
              <div className="total-value">{formatCount(p.users_checked)}</div>
              <div className="total-label">users checked</div>
            </div>
            <div className="total">
              <div className="total-value">{formatCount(p.groups_checked)}</div>
              <div className="total-label">groups checked</div>
            </div>
          </section>
          <p className="small muted">
            <span className="badge">predicted</span> {p.idp ?? "unknown IdP"} · {p.formats.join(", ")}
            {p.against_store
              ? ` · checked against the store snapshot taken ${p.against_store.taken_at} (${formatCount(p.against_store.users)} users, ${formatCount(p.against_store.groups)} groups)`
              : " · not checked against a store snapshot"}
          </p>
          {[...p.mapping_warnings, ...p.export_warnings].map((w) => (
            <div key={w} className="warning small">{w}</div>
          ))}

          {result.data.root_causes.length > 0 && (
            <section aria-label="Predicted root causes" data-testid="preflight-causes">
              <div className="label">Predicted root causes, largest first</div>
              <div className="causes">
                {result.data.root_causes.map((rc) => (
                  <div key={`${rc.category}|${rc.attribute}|${rc.summary}`} className="cause panel preflight-cause">
                    <div className="row">
                      <span className="count">{formatCount(rc.count)}</span>
                      <CategoryLabel category={rc.category} />
                      {rc.attribute && <span className="mono">{rc.attribute}</span>}
                      <span className="muted">{rc.summary}</span>
                    </div>
                    {rc.fix && <p className="small fix">{rc.fix}</p>}
                  </div>
                ))}
              </div>
            </section>
          )}

          {p.at_risk.length > 0 && (
            <section aria-label="Blast radius" data-testid="preflight-at-risk">
              <div className="label">Blast radius: store objects the IdP may delete and create again, orphaning their access</div>
              {p.at_risk.map((a) => (
                <div key={`${a.kind}|${a.store_id ?? a.name}`} className="alert warn small">
                  <strong>{a.kind} {a.name}</strong>: {a.detail}
                </div>
              ))}
            </section>
          )}

          <Findings findings={p.findings} />
        </>
      )}
    </div>
  );
}

function Findings({ findings }: { findings: PreflightFinding[] }) {
  if (findings.length === 0) return <p className="success panel" data-testid="preflight-clean">No failure predicted: AWS should accept every entity of this export.</p>;
  return (
    <section className="panel">
      <div className="label">Every finding, errors first</div>
      <table className="grid small" data-testid="preflight-findings">
        <thead>
          <tr><th>Severity</th><th>Kind</th><th>Name</th><th>Category</th><th>Attribute</th><th>Value</th><th>From (IdP)</th><th>Why</th></tr>
        </thead>
        <tbody>
          {findings.slice(0, MAX_ROWS).map((f, i) => (
            <tr key={i} data-testid="preflight-finding" className={`sev-${f.severity}`}>
              <td><span className={`badge ${f.severity === "error" ? "status-failing" : "outcome-warning"}`}>{f.severity}</span></td>
              <td>{f.kind}</td>
              <td className="mono">{f.name}</td>
              <td><CategoryLabel category={f.category} /></td>
              <td className="mono">{f.attribute ?? ""}</td>
              <td className="mono">{f.value ?? ""}</td>
              <td className="mono">{f.source ?? ""}</td>
              <td>{f.message}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {findings.length > MAX_ROWS && (
        <p className="muted small">
          The first {formatCount(MAX_ROWS)} of {formatCount(findings.length)} findings; <span className="mono">scimlens preflight --format csv</span> lists them all.
        </p>
      )}
    </section>
  );
}
