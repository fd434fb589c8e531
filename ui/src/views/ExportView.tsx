import { useMutation } from "@tanstack/react-query";
import { useState } from "react";

import { exportReport, pickExportPath } from "../backend";
import type { ReportFormat } from "../bindings/ReportFormat";
import { QueryError } from "../components/ErrorBox";
import { usePseudonymKey } from "../hooks/queries";
import { useAppInfo } from "../hooks/useWorkspace";
import { formatBytes, formatCount } from "../lib/format";

const FORMATS: { format: ReportFormat; label: string; what: string }[] = [
  { format: "html", label: "HTML", what: "one self-contained page to attach to a ticket" },
  { format: "csv", label: "CSV", what: "one row per problem entity, for a spreadsheet" },
  { format: "json", label: "JSON", what: "the versioned report schema, for scripts" },
  { format: "md", label: "Markdown", what: "for a wiki page or a pull request" },
];

export function ExportView() {
  const info = useAppInfo();
  const key = usePseudonymKey();
  const [format, setFormat] = useState<ReportFormat>("html");
  const [pseudonymize, setPseudonymize] = useState(false);
  const [customKey, setCustomKey] = useState<string | null>(null);
  const [path, setPath] = useState("");
  const run = useMutation({
    mutationFn: async (target: string | null) => {
      const chosen = target ?? (await pickExportPath(format, `scimlens-report.${format}`));
      if (!chosen) return null;
      return exportReport({ format, path: chosen, pseudonymize, key: pseudonymize ? (customKey ?? key.data ?? null) : null });
    },
  });

  return (
    <div className="view" data-testid="view-export">
      <header className="view-head">
        <h1>Export</h1>
        <p className="muted">The failure report, with the same content as <span className="mono">scimlens report</span> writes.</p>
      </header>

      <section className="panel">
        <fieldset className="formats">
          <legend className="label">Format</legend>
          {FORMATS.map((f) => (
            <label key={f.format} className="check">
              <input type="radio" name="format" value={f.format} checked={format === f.format} onChange={() => setFormat(f.format)} data-testid={`format-${f.format}`} />
              <strong>{f.label}</strong> <span className="muted small">{f.what}</span>
            </label>
          ))}
        </fieldset>

        <label className="check">
          <input type="checkbox" checked={pseudonymize} onChange={(e) => setPseudonymize(e.target.checked)} data-testid="pseudonymize" />
          Pseudonymize names, emails and IdP ids
        </label>
        {pseudonymize && (
          <div className="indent small">
            <p className="muted">
              Each name becomes a keyed hash (HMAC-SHA-256). The same name gives the same pseudonym under
              the same key, so rows still join across exports and in a support ticket; without the key the
              names cannot be recovered. This workspace keeps its own key:
            </p>
            <label>
              Key{" "}
              <input className="mono" value={customKey ?? key.data ?? ""} onChange={(e) => setCustomKey(e.target.value)} aria-label="Pseudonymization key" size={36} />
            </label>
          </div>
        )}

        <div className="row">
          <button type="button" className="primary" onClick={() => run.mutate(null)} disabled={run.isPending}>
            Export {FORMATS.find((f) => f.format === format)?.label}…
          </button>
          {info.data?.e2e && (
            <form
              className="row e2e-only"
              onSubmit={(e) => {
                e.preventDefault();
                if (path.trim()) run.mutate(path.trim());
              }}
            >
              <label className="small muted" htmlFor="e2e-export">Test build: export to path</label>
              <input id="e2e-export" data-testid="e2e-export-path" value={path} onChange={(e) => setPath(e.target.value)} size={40} />
              <button type="submit" data-testid="e2e-export">Export to path</button>
            </form>
          )}
        </div>

        {run.error && <QueryError error={run.error} />}
        {run.data && (
          <p className="success" data-testid="export-done">
            Wrote {formatBytes(run.data.bytes)} ({formatCount(run.data.entities)} entities) to{" "}
            <span className="mono">{run.data.path}</span>
          </p>
        )}
      </section>
    </div>
  );
}
