import type { ReactNode } from "react";

import { useStoreImport } from "../hooks/useStoreImport";
import { useUi } from "../state/ui";
import { ErrorBox } from "./ErrorBox";

/** What a view needs before it can show anything, with the buttons that get it: an empty
 * workspace is not an error. */
export function NeedsData({
  testId,
  title,
  snapshot,
  directory,
  children,
  actions,
}: {
  testId: string;
  title: string;
  /** Offer the ways to get a store snapshot (fetch, import). */
  snapshot: boolean;
  /** Offer importing a directory export. */
  directory: boolean;
  children?: ReactNode;
  /** Buttons of the view itself, shown first. */
  actions?: ReactNode;
}) {
  const setFetchOpen = useUi((s) => s.setFetchOpen);
  const fetching = useUi((s) => s.fetchState.phase === "running");
  const navigate = useUi((s) => s.navigate);
  const { run, error } = useStoreImport();
  return (
    <section className="panel needs-data" data-testid={testId} aria-label={title}>
      <h2 className="needs-title">{title}</h2>
      {children}
      <div className="row needs-actions">
        {actions}
        {snapshot && (
          <>
            <button type="button" className="primary" onClick={() => setFetchOpen(true)} data-testid="needs-fetch">
              {fetching ? "Fetching…" : "Fetch from AWS…"}
            </button>
            <button type="button" onClick={() => run.mutate({ kind: "store", paths: null })} disabled={run.isPending} data-testid="needs-import-snapshot">
              Import a snapshot…
            </button>
          </>
        )}
        {directory && (
          <button
            type="button"
            className={snapshot || actions ? "" : "primary"}
            onClick={() => run.mutate({ kind: "directory", paths: null })}
            disabled={run.isPending}
            data-testid="needs-import-directory"
          >
            Import a directory export…
          </button>
        )}
      </div>
      {run.isPending && <p className="muted small">Importing…</p>}
      {run.data && <p className="success small" data-testid={`needs-${run.data.kind}-imported`}>{run.data.text}</p>}
      {error && <ErrorBox error={error} note="Nothing of it was imported." />}
      <p className="small muted">
        Both sides of every workspace are listed under{" "}
        <button type="button" className="link" onClick={() => navigate({ view: "sources" })}>Sources</button>.
      </p>
    </section>
  );
}
