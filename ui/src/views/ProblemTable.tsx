import { useQueries } from "@tanstack/react-query";
import { createColumnHelper, flexRender, getCoreRowModel, useReactTable, type Row } from "@tanstack/react-table";
import { useVirtualizer } from "@tanstack/react-virtual";
import { useEffect, useMemo, useRef } from "react";

import * as backend from "../backend";
import type { ProblemEntityRow } from "../bindings/ProblemEntityRow";
import type { ProblemSort } from "../bindings/ProblemSort";
import { CategoryLabel, StatusBadge } from "../components/Badges";
import { problemsKey } from "../hooks/queries";
import { usePaintMark } from "../hooks/usePaintMark";
import { formatCount } from "../lib/format";
import { PAGE_SIZE, nextSort, pageQuery, pagesFor, type ProblemFilters } from "../lib/query";
import { useUi } from "../state/ui";

const ROW_HEIGHT = 34;

type IndexedRow = ProblemEntityRow & { index: number };

const col = createColumnHelper<IndexedRow>();

/** Columns, with the backend sort each header asks for (null: not sortable). */
const COLUMNS = [
  col.accessor("name", {
    header: "Name",
    meta: { sort: "name" },
    cell: (c) => <span className="name-text" title={c.getValue()}>{c.getValue()}</span>,
  }),
  col.accessor("kind", { header: "Kind", meta: { sort: "kind" } }),
  col.accessor("status", { header: "Status", meta: { sort: "status" }, cell: (c) => <StatusBadge status={c.getValue()} /> }),
  col.accessor("category", { header: "Category", meta: { sort: "category" }, cell: (c) => <CategoryLabel category={c.getValue()} /> }),
  col.accessor("attribute", {
    header: "Attribute",
    meta: { sort: null },
    cell: (c) => <span className="mono">{c.getValue() ?? ""}</span>,
  }),
  col.accessor("message", {
    header: "Message",
    meta: { sort: null },
    cell: (c) => <span className="message-text" title={c.getValue() ?? ""}>{c.getValue() ?? ""}</span>,
  }),
  col.accessor("events", { header: "Records", meta: { sort: "events" }, cell: (c) => formatCount(c.getValue()) }),
  col.accessor("last_seen", { header: "Last seen (UTC)", meta: { sort: "last_seen" }, cell: (c) => c.getValue() ?? "" }),
  col.accessor("access", {
    header: "Access",
    meta: { sort: "access" },
    cell: (c) => {
      const a = c.getValue();
      if (!a) return <span className="muted" title="Not in the newest store snapshot with account assignments">–</span>;
      return (
        <span title={`${a.assignments} account x permission set pairs`}>
          {a.permission_sets} PS / {a.accounts} acct
        </span>
      );
    },
  }),
];

const GRID = "minmax(180px, 2.2fr) 70px 86px minmax(150px, 1.4fr) minmax(90px, 0.9fr) minmax(160px, 2.4fr) 76px 178px 104px";

function sortOf(meta: unknown): ProblemSort | null {
  return (meta as { sort?: ProblemSort | null } | undefined)?.sort ?? null;
}

/** Every problem entity matching `filters`: virtualized, fetched page by page as it scrolls. */
export function ProblemTable({ filters, total }: { filters: ProblemFilters; total: number }) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const selected = useUi((s) => s.selected);
  const setSelected = useUi((s) => s.setSelected);
  const setFilters = useUi((s) => s.setFilters);
  const navigate = useUi((s) => s.navigate);

  const virtualizer = useVirtualizer({
    count: total,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 5,
  });
  const items = virtualizer.getVirtualItems();
  const pages = pagesFor(items[0]?.index ?? 0, items[items.length - 1]?.index ?? -1);

  const results = useQueries({
    queries: pages.map((page) => {
      const query = pageQuery(filters, page);
      return { queryKey: problemsKey(query), queryFn: () => backend.problemsPage(query), staleTime: 30_000 };
    }),
  });

  const data = useMemo(() => {
    const out: IndexedRow[] = [];
    results.forEach((r, i) => {
      const page = pages[i] ?? 0;
      r.data?.rows.forEach((row, j) => out.push({ ...row, index: page * PAGE_SIZE + j }));
    });
    return out;
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [results.map((r) => r.dataUpdatedAt).join(","), pages.join(",")]);

  const table = useReactTable({
    data,
    columns: COLUMNS,
    getCoreRowModel: getCoreRowModel(),
    getRowId: (r) => String(r.index),
    manualSorting: true,
    manualFiltering: true,
    manualPagination: true,
  });
  const byIndex = new Map<number, Row<IndexedRow>>(table.getRowModel().rows.map((r) => [r.original.index, r]));

  // Marks each frame that shows new rows: the app benchmark measures from a click or a search
  // to the first such mark after it.
  usePaintMark("problems-rows-painted", data.length > 0 && data);

  useEffect(() => {
    if (total > 0 && selected < total) virtualizer.scrollToIndex(selected, { align: "auto" });
  }, [selected, total, virtualizer]);

  const open = (index: number) => {
    const row = byIndex.get(index);
    if (!row) return;
    // The app benchmark measures from here to the entity's first frame on screen.
    performance.mark("open-entity");
    navigate({ view: "entity", entityKey: row.original.key });
  };

  const onKeyDown = (e: React.KeyboardEvent) => {
    const visible = Math.max(1, Math.floor((scrollRef.current?.clientHeight ?? 400) / ROW_HEIGHT) - 1);
    const moves: Record<string, number> = {
      ArrowDown: 1,
      ArrowUp: -1,
      j: 1,
      k: -1,
      PageDown: visible,
      PageUp: -visible,
    };
    let next: number | null = null;
    if (e.key in moves) next = selected + (moves[e.key] ?? 0);
    else if (e.key === "Home") next = 0;
    else if (e.key === "End") next = total - 1;
    else if (e.key === "Enter") {
      e.preventDefault();
      open(selected);
      return;
    }
    if (next !== null) {
      e.preventDefault();
      setSelected(Math.max(0, Math.min(total - 1, next)));
    }
  };

  return (
    <div className="ptable" role="grid" aria-rowcount={total} aria-label="Problem entities" data-testid="problem-table">
      <div className="ptable-head" role="row" style={{ gridTemplateColumns: GRID }}>
        {table.getHeaderGroups()[0]?.headers.map((h) => {
          const sort = sortOf(h.column.columnDef.meta);
          const active = sort !== null && filters.sort === sort;
          return (
            <div key={h.id} role="columnheader" aria-sort={active ? (filters.desc ? "descending" : "ascending") : "none"}>
              {sort === null ? (
                flexRender(h.column.columnDef.header, h.getContext())
              ) : (
                <button type="button" className="sort" onClick={() => setFilters(nextSort(filters, sort))} title="Sort (click again to reverse, a third time for the default order)">
                  {flexRender(h.column.columnDef.header, h.getContext())}
                  <span aria-hidden>{active ? (filters.desc ? " ▼" : " ▲") : ""}</span>
                </button>
              )}
            </div>
          );
        })}
      </div>
      <div className="ptable-body" ref={scrollRef} tabIndex={0} onKeyDown={onKeyDown} data-testid="problem-rows">
        <div style={{ height: virtualizer.getTotalSize(), position: "relative" }}>
          {items.map((item) => {
            const row = byIndex.get(item.index);
            return (
              <div
                key={item.key}
                role="row"
                aria-rowindex={item.index + 1}
                aria-selected={item.index === selected}
                className={`ptable-row ${item.index === selected ? "selected" : ""} ${row ? "" : "loading"}`}
                data-testid={row ? "problem-row" : "problem-row-loading"}
                style={{ gridTemplateColumns: GRID, height: ROW_HEIGHT, transform: `translateY(${item.start}px)` }}
                onClick={() => {
                  setSelected(item.index);
                  open(item.index);
                }}
              >
                {row
                  ? row.getVisibleCells().map((cell) => (
                      <div key={cell.id} role="gridcell" className={`cell-${cell.column.id}`}>
                        {flexRender(cell.column.columnDef.cell, cell.getContext())}
                      </div>
                    ))
                  : <div role="gridcell" className="muted">…</div>}
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
}
