import { useEffect, useState } from "react";

import type { Category } from "../bindings/Category";
import type { EntityKind } from "../bindings/EntityKind";
import type { EntityStatus } from "../bindings/EntityStatus";
import { useCategoryTitle } from "../components/Badges";
import { QueryError } from "../components/ErrorBox";
import { useCategories, useProblemsPage, useSources } from "../hooks/queries";
import { fileName, formatCount, formatMs } from "../lib/format";
import { EMPTY_FILTERS, activeFilterCount, pageQuery, toggle } from "../lib/query";
import { useUi } from "../state/ui";
import { ProblemTable } from "./ProblemTable";
import { RootCauses } from "./RootCauses";

const KINDS: EntityKind[] = ["user", "group", "unknown"];
const STATUSES: EntityStatus[] = ["failing", "resolved", "ok"];

/** Milliseconds a search waits for more typing before it asks the backend. */
const SEARCH_DEBOUNCE_MS = 150;

export function ProblemsView() {
  const filters = useUi((s) => s.filters);
  const first = useProblemsPage(pageQuery(filters, 0));
  const total = first.data?.total ?? 0;

  return (
    <div className="view" data-testid="view-problems">
      <header className="view-head">
        <h1>Problems</h1>
        <p className="muted">Root causes first, largest first; then every problem entity.</p>
      </header>
      <RootCauses />
      <Filters />
      {first.error && <QueryError error={first.error} />}
      <div className="row small muted table-meta">
        <span data-testid="problem-total">
          {first.data ? `${formatCount(total)} entit${total === 1 ? "y" : "ies"}` : "Loading…"}
        </span>
        <span>↑/↓ to move, Enter to open, / to search</span>
      </div>
      <ProblemTable filters={filters} total={total} />
    </div>
  );
}

function Filters() {
  const filters = useUi((s) => s.filters);
  const setFilters = useUi((s) => s.setFilters);
  const categories = useCategories();
  const sources = useSources();
  const title = useCategoryTitle();
  const [search, setSearch] = useState(filters.search);

  // Typing waits for a pause; a filter set elsewhere (a chart click) shows here at once.
  useEffect(() => setSearch(filters.search), [filters.search]);
  useEffect(() => {
    if (search === filters.search) return;
    const t = window.setTimeout(() => setFilters({ search }), SEARCH_DEBOUNCE_MS);
    return () => window.clearTimeout(t);
  }, [search, filters.search, setFilters]);

  return (
    <section className="filters" aria-label="Filters">
      <input
        id="problem-search"
        type="search"
        spellCheck={false}
        autoComplete="off"
        placeholder="Search names and ids  ( / )"
        value={search}
        onChange={(e) => setSearch(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === "Enter") {
            performance.mark("search-submit");
            setFilters({ search });
          }
          if (e.key === "ArrowDown") document.querySelector<HTMLElement>("[data-testid=problem-rows]")?.focus();
        }}
        data-testid="problem-search"
        aria-label="Search problem entities"
      />

      <details className="dropdown">
        <summary>
          Category{filters.categories.length > 0 ? ` (${filters.categories.length})` : ""}
        </summary>
        <div className="dropdown-body">
          {(categories.data ?? []).map((c) => (
            <label key={c.category} className="check">
              <input
                type="checkbox"
                checked={filters.categories.includes(c.category)}
                onChange={() => setFilters({ categories: toggle<Category>(filters.categories, c.category) })}
              />
              {c.title}
            </label>
          ))}
        </div>
      </details>

      <div className="chips" role="group" aria-label="Kind">
        {KINDS.map((k) => (
          <button type="button" key={k} className={`chip ${filters.kinds.includes(k) ? "on" : ""}`} aria-pressed={filters.kinds.includes(k)} onClick={() => setFilters({ kinds: toggle(filters.kinds, k) })}>
            {k}
          </button>
        ))}
      </div>

      <div className="chips" role="group" aria-label="Status">
        {STATUSES.map((s) => (
          <button type="button" key={s} className={`chip ${filters.statuses.includes(s) ? "on" : ""}`} aria-pressed={filters.statuses.includes(s)} onClick={() => setFilters({ statuses: toggle(filters.statuses, s) })}>
            {s}
          </button>
        ))}
      </div>

      <select
        aria-label="Source"
        value={filters.sourceId ?? ""}
        onChange={(e) => setFilters({ sourceId: e.target.value === "" ? null : Number(e.target.value) })}
      >
        <option value="">All sources</option>
        {(sources.data ?? []).map((s) => (
          <option key={s.id} value={s.id}>#{s.id} {fileName(s.path)}</option>
        ))}
      </select>

      <TimeRangeInputs />

      {filters.cause && (
        <span className="chip on">
          cause: {title(filters.cause.category)} {filters.cause.attribute ? `(${filters.cause.attribute})` : ""}
          <button type="button" className="x" aria-label="Remove the cause filter" onClick={() => setFilters({ cause: null })}>×</button>
        </span>
      )}
      {filters.categories.map((c) => (
        <span className="chip on" key={c}>
          {title(c)}
          <button type="button" className="x" aria-label={`Remove ${title(c)}`} onClick={() => setFilters({ categories: toggle(filters.categories, c) })}>×</button>
        </span>
      ))}
      {activeFilterCount(filters) > 0 && (
        <button type="button" className="link" onClick={() => setFilters({ ...EMPTY_FILTERS, sort: filters.sort, desc: filters.desc })} data-testid="clear-filters">
          Clear filters
        </button>
      )}
    </section>
  );
}

/** `datetime-local` values read as UTC (the logs' and the report's zone). */
function toMs(value: string): number | null {
  if (!value) return null;
  const ms = Date.parse(`${value}Z`);
  return Number.isNaN(ms) ? null : ms;
}

function toInput(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16);
}

function TimeRangeInputs() {
  const range = useUi((s) => s.filters.range);
  const setFilters = useUi((s) => s.setFilters);
  const set = (from: number | null, to: number | null) =>
    setFilters({
      range:
        from === null && to === null
          ? null
          : { from: from ?? 0, to: to ?? 8_640_000_000_000_000, label: `${from !== null ? formatMs(from) : "start"} – ${to !== null ? formatMs(to) : "end"}` },
    });
  const fromValue = range && range.from > 0 ? toInput(range.from) : "";
  const toValue = range && range.to < 8_640_000_000_000_000 ? toInput(range.to) : "";
  return (
    <span className="range" title="Entities with a failed record in this time range (UTC)">
      <input type="datetime-local" aria-label="Failed from (UTC)" value={fromValue} onChange={(e) => set(toMs(e.target.value), range && range.to < 8_640_000_000_000_000 ? range.to : null)} />
      <span className="muted">–</span>
      <input type="datetime-local" aria-label="Failed before (UTC)" value={toValue} onChange={(e) => set(range && range.from > 0 ? range.from : null, toMs(e.target.value))} />
      {range && (
        <span className="chip on" data-testid="range-chip">
          {range.label}
          <button type="button" className="x" aria-label="Remove the time range" onClick={() => setFilters({ range: null })}>×</button>
        </span>
      )}
    </span>
  );
}
