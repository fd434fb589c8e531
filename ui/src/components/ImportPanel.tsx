import { useImport } from "../hooks/useImport";
import { fileName, formatCount, fractionRead, recordsPerSecond } from "../lib/format";
import { useUi } from "../state/ui";
import { ErrorBox } from "./ErrorBox";

/** The running import (progress, records/s, cancel) or the last one's outcome. */
export function ImportPanel() {
  const state = useUi((s) => s.importState);
  const setImport = useUi((s) => s.setImport);
  const { cancel } = useImport();

  if (state.phase === "idle") return null;

  if (state.phase === "running") {
    const p = state.progress;
    const fraction = p ? fractionRead(p) : 0;
    const rate = p ? recordsPerSecond(p) : null;
    return (
      <section className="panel import-panel" aria-live="polite" data-testid="import-running">
        <div className="row spread">
          <strong>Importing {state.paths.length === 1 ? fileName(state.paths[0] ?? "") : `${state.paths.length} files`}</strong>
          <button type="button" onClick={cancel} disabled={state.cancelling}>
            {state.cancelling ? "Cancelling…" : "Cancel"}
          </button>
        </div>
        <progress max={1} value={fraction} aria-label="Import progress" />
        <div className="row small muted">
          <span>{p ? fileName(p.path) : "Detecting formats…"}</span>
          <span>{p ? `${formatCount(p.records)} records` : ""}</span>
          <span data-testid="import-rate">{rate !== null ? `${formatCount(rate)} records/s` : ""}</span>
          <span>{Math.round(fraction * 100)}%</span>
        </div>
      </section>
    );
  }

  if (state.phase === "failed") {
    const cancelled = state.error.code === "CANCELLED";
    return (
      <section className="panel" data-testid="import-failed">
        <ErrorBox
          error={state.error}
          note={
            cancelled
              ? "Nothing from the cancelled file was imported."
              : "Nothing from this file was imported: the workspace holds exactly what it held before it. Files listed before it in the same import were kept."
          }
        />
        <button type="button" onClick={() => setImport({ phase: "idle" })}>
          Dismiss
        </button>
      </section>
    );
  }

  return (
    <section className="panel" data-testid="import-done">
      <div className="row spread">
        <strong>
          Imported {state.result.outcomes.length} file{state.result.outcomes.length === 1 ? "" : "s"}:{" "}
          {formatCount(state.result.entities)} entities in the diagnosis
        </strong>
        <button type="button" onClick={() => setImport({ phase: "idle" })}>
          Dismiss
        </button>
      </div>
      <ul className="outcomes">
        {state.result.outcomes.map((o) =>
          o.result === "imported" ? (
            <li key={o.path}>
              <span className="mono" title={o.path}>{fileName(o.path)}</span>: {o.format}, {formatCount(o.records)} records
              {o.warnings.map((w) => (
                <div key={w} className="warning small">warning: {w}</div>
              ))}
            </li>
          ) : (
            <li key={o.path}>
              <span className="mono" title={o.path}>{fileName(o.path)}</span>: already imported (same content as{" "}
              <span className="mono">{fileName(o.existing_path)}</span>); nothing added
            </li>
          ),
        )}
      </ul>
    </section>
  );
}
