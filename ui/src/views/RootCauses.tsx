import { useState } from "react";

import type { CauseKey } from "../bindings/CauseKey";
import type { RootCauseView } from "../bindings/RootCauseView";
import { useCategoryTitle } from "../components/Badges";
import { QueryError } from "../components/ErrorBox";
import { useProblemsPage, useRootCauses } from "../hooks/queries";
import { formatCount } from "../lib/format";
import { EMPTY_FILTERS, pageQuery } from "../lib/query";
import { useUi } from "../state/ui";

/** Causes shown before "show all". */
const FIRST_CAUSES = 6;
/** Entities listed inside an expanded cause (the table pages the rest). */
const CAUSE_ENTITIES = 25;

export function RootCauses() {
  const { data, error } = useRootCauses();
  const [all, setAll] = useState(false);
  if (error) return <QueryError error={error} />;
  if (!data) return null;
  if (data.length === 0) return <p className="muted">No failing entities: nothing to explain.</p>;
  const shown = all ? data : data.slice(0, FIRST_CAUSES);
  return (
    <section className="causes" aria-label="Root causes" data-testid="root-causes">
      {shown.map((c) => (
        <Cause key={`${c.category}|${c.attribute ?? ""}|${c.summary}`} cause={c} />
      ))}
      {data.length > FIRST_CAUSES && (
        <button type="button" className="link" onClick={() => setAll(!all)} data-testid="all-causes">
          {all ? "Show the largest causes only" : `Show all ${data.length} root causes`}
        </button>
      )}
    </section>
  );
}

function Cause({ cause }: { cause: RootCauseView }) {
  const [open, setOpen] = useState(false);
  const title = useCategoryTitle();
  const setFilters = useUi((s) => s.setFilters);
  const key: CauseKey = { category: cause.category, attribute: cause.attribute, summary: cause.summary };
  return (
    <div className={`cause ${open ? "open" : ""}`} data-testid="root-cause">
      <button type="button" className="cause-head" aria-expanded={open} onClick={() => setOpen(!open)}>
        <span className="count" data-testid="cause-count">{formatCount(cause.count)}</span>
        <span className="cause-title">
          <strong>
            {title(cause.category)}
            {cause.attribute && <span className="mono"> ({cause.attribute})</span>}
          </strong>
          <span className="summary">{cause.summary}</span>
        </span>
        <span className="chevron" aria-hidden>{open ? "▾" : "▸"}</span>
      </button>
      {open && (
        <div className="cause-body">
          <div className="fix">
            <span className="label">Fix</span>
            <p>{cause.fix}</p>
          </div>
          {cause.candidates.length > 0 && (
            <div>
              <span className="label">The log does not say which; candidates</span>
              <ul>
                {cause.candidates.map((c) => <li key={c}>{c}</li>)}
              </ul>
            </div>
          )}
          <CauseEntities cause={key} count={cause.count} />
          <button type="button" className="link" onClick={() => setFilters({ ...EMPTY_FILTERS, cause: key })}>
            Show these {formatCount(cause.count)} in the table
          </button>
        </div>
      )}
    </div>
  );
}

function CauseEntities({ cause, count }: { cause: CauseKey; count: number }) {
  const navigate = useUi((s) => s.navigate);
  const { data } = useProblemsPage(pageQuery({ ...EMPTY_FILTERS, cause }, 0, CAUSE_ENTITIES));
  if (!data) return <p className="muted small">Loading entities…</p>;
  return (
    <ul className="cause-entities">
      {data.rows.map((r) => (
        <li key={r.key}>
          <button type="button" className="link" onClick={() => navigate({ view: "entity", entityKey: r.key })}>
            {r.name}
          </button>
          <span className="small muted"> {r.kind}</span>
        </li>
      ))}
      {count > data.rows.length && <li className="muted small">and {formatCount(count - data.rows.length)} more</li>}
    </ul>
  );
}
