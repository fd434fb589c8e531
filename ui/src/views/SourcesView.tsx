import { useState } from "react";

import { forgetRecent } from "../backend";
import type { RecentWorkspace } from "../bindings/RecentWorkspace";
import { QueryError } from "../components/ErrorBox";
import { ImportPanel } from "../components/ImportPanel";
import { StorePanel } from "../components/StorePanel";
import { useSources } from "../hooks/queries";
import { useImport } from "../hooks/useImport";
import { useAppInfo, useWorkspaceActions } from "../hooks/useWorkspace";
import { fileName, formatCount } from "../lib/format";
import { useUi } from "../state/ui";

export function SourcesView() {
  const info = useAppInfo();
  const sources = useSources();
  const actions = useWorkspaceActions();
  const { pickAndStart, start } = useImport();
  const showProblems = useUi((s) => s.showProblems);
  const running = useUi((s) => s.importState.phase === "running");
  const [recent, setRecent] = useState<RecentWorkspace[] | null>(null);
  const recentList = recent ?? info.data?.recent ?? [];
  const ws = info.data?.workspace;

  return (
    <div className="view" data-testid="view-sources">
      <header className="view-head">
        <h1>Sources</h1>
        <p className="muted">The workspace (one investigation), the logs imported into it, and what exists on both sides: store snapshots and IdP directory exports.</p>
      </header>

      <section className="panel">
        <div className="row spread">
          <div>
            <div className="label">Workspace</div>
            <div className="ws-name">
              {ws?.demo ? "Demo workspace" : ws?.name}
              {ws?.demo && <span className="badge demo">demo data</span>}
            </div>
            <div className="mono small muted" title={ws?.path}>{ws?.path}</div>
          </div>
          <div className="row">
            <button type="button" onClick={actions.pickAndOpen} title="Ctrl+O">Open workspace…</button>
            <button type="button" onClick={actions.pickAndCreate}>New workspace…</button>
            {!ws?.demo && (
              <button type="button" onClick={actions.demo}>Open the demo</button>
            )}
          </div>
        </div>
        {info.data?.e2e && <PathOpen onOpen={actions.open} />}
        {recentList.length > 0 && (
          <>
            <div className="label">Recent workspaces</div>
            <ul className="recent">
              {recentList.map((r) => (
                <li key={r.path}>
                  <button type="button" className="link" disabled={!r.exists} onClick={() => actions.open(r.path)} title={r.path}>
                    {r.name}
                  </button>
                  <span className="mono small muted">{r.path}</span>
                  {!r.exists && <span className="small warning">moved or deleted</span>}
                  <button type="button" className="link small" onClick={async () => setRecent(await forgetRecent(r.path))}>
                    forget
                  </button>
                </li>
              ))}
            </ul>
          </>
        )}
      </section>

      <section className="panel drop-hint">
        <div className="row spread">
          <div>
            <strong>Import logs</strong>
            <p className="muted small">
              Drop files anywhere on this window, or pick them. Several at once, any supported format
              (Entra ID, Okta, CloudTrail, ssosync, idp-scim-sync; gzip too): detected from the content.
            </p>
          </div>
          <button type="button" className="primary" onClick={pickAndStart} disabled={running} title="Ctrl+I">
            Import files…
          </button>
        </div>
        {info.data?.e2e && <PathImport onImport={start} disabled={running} />}
      </section>

      <ImportPanel />

      <section className="panel">
        <div className="label">Imported sources</div>
        {sources.error && <QueryError error={sources.error} />}
        {sources.data && sources.data.length === 0 && <p className="muted">No logs imported yet.</p>}
        {sources.data && sources.data.length > 0 && (
          <table className="grid" data-testid="sources-table">
            <thead>
              <tr>
                <th>#</th>
                <th>File</th>
                <th>Format</th>
                <th className="num">Records</th>
                <th>Time range (UTC)</th>
                <th>Warnings</th>
              </tr>
            </thead>
            <tbody>
              {sources.data.map((s) => (
                <tr key={s.id}>
                  <td>{s.id}</td>
                  <td>
                    <button type="button" className="link mono" title={`${s.path}\nShow the problems this source mentions`} onClick={() => showProblems({ sourceId: s.id })}>
                      {fileName(s.path)}
                    </button>
                    <div className="small muted">imported {s.imported_at}</div>
                  </td>
                  <td><span className="badge">{s.format}</span></td>
                  <td className="num">{formatCount(s.records)}</td>
                  <td className="small">
                    {s.first_time ?? "—"}
                    <br />
                    {s.last_time ?? ""}
                  </td>
                  <td>
                    {s.warnings.length === 0 ? <span className="muted">none</span> : s.warnings.map((w) => (
                      <div key={w} className="warning small">{w}</div>
                    ))}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>

      <StorePanel />
    </div>
  );
}

/** End-to-end builds only: WebDriver cannot drive a native file dialog, so tests type paths
 * here; they go through the same import command as the dialog and drops. */
function PathImport({ onImport, disabled }: { onImport: (paths: string[]) => void; disabled: boolean }) {
  const [text, setText] = useState("");
  return (
    <form
      className="row e2e-only"
      onSubmit={(e) => {
        e.preventDefault();
        // WebDriver drops typed newlines in WebKit: "|" separates paths too.
        const paths = text.split(/[\n|]/).map((p) => p.trim()).filter(Boolean);
        if (paths.length > 0) onImport(paths);
      }}
    >
      <label className="small muted" htmlFor="e2e-paths">Test build: import by path (one per line, or separated by |)</label>
      <textarea id="e2e-paths" data-testid="e2e-paths" rows={2} value={text} onChange={(e) => setText(e.target.value)} />
      <button type="submit" data-testid="e2e-import" disabled={disabled}>Import paths</button>
    </form>
  );
}

/** End-to-end builds only: open or create a workspace by path (no save dialog to drive). */
function PathOpen({ onOpen }: { onOpen: (path: string) => Promise<void> }) {
  const [text, setText] = useState("");
  return (
    <form
      className="row e2e-only"
      onSubmit={(e) => {
        e.preventDefault();
        if (text.trim()) void onOpen(text.trim());
      }}
    >
      <label className="small muted" htmlFor="e2e-workspace">Test build: open or create a workspace at</label>
      <input id="e2e-workspace" data-testid="e2e-workspace" value={text} onChange={(e) => setText(e.target.value)} size={50} />
      <button type="submit" data-testid="e2e-open">Open</button>
    </form>
  );
}
