// The problems table's filters (UI state) and the paged ProblemQuery sent to the backend.
import type { Category } from "../bindings/Category";
import type { CauseKey } from "../bindings/CauseKey";
import type { EntityKind } from "../bindings/EntityKind";
import type { EntityStatus } from "../bindings/EntityStatus";
import type { ProblemQuery } from "../bindings/ProblemQuery";
import type { ProblemSort } from "../bindings/ProblemSort";

export interface TimeRange {
  from: number;
  to: number;
  /** What the range is, for the filter chip ("cycle at 10:57"). */
  label: string;
}

export interface ProblemFilters {
  search: string;
  categories: Category[];
  kinds: EntityKind[];
  statuses: EntityStatus[];
  sourceId: number | null;
  range: TimeRange | null;
  cause: CauseKey | null;
  sort: ProblemSort;
  desc: boolean;
}

export const EMPTY_FILTERS: ProblemFilters = {
  search: "",
  categories: [],
  kinds: [],
  statuses: [],
  sourceId: null,
  range: null,
  cause: null,
  sort: "default",
  desc: false,
};

/** Rows per backend page: a screenful or two, small enough to answer in milliseconds. */
export const PAGE_SIZE = 200;

export function pageQuery(filters: ProblemFilters, page: number, limit = PAGE_SIZE): ProblemQuery {
  const search = filters.search.trim();
  return {
    search: search === "" ? null : search,
    categories: filters.categories,
    kinds: filters.kinds,
    statuses: filters.statuses,
    source_id: filters.sourceId,
    from: filters.range?.from ?? null,
    to: filters.range?.to ?? null,
    cause: filters.cause,
    sort: filters.sort,
    desc: filters.desc,
    offset: page * limit,
    limit,
  };
}

/** The pages holding rows first..last (inclusive), for a virtualized window. */
export function pagesFor(first: number, last: number, pageSize = PAGE_SIZE): number[] {
  if (last < first || last < 0) return [];
  const start = Math.floor(Math.max(0, first) / pageSize);
  const end = Math.floor(last / pageSize);
  const pages: number[] = [];
  for (let p = start; p <= end; p += 1) pages.push(p);
  return pages;
}

export function toggle<T>(list: T[], item: T): T[] {
  return list.includes(item) ? list.filter((x) => x !== item) : [...list, item];
}

/** Clicking a column: a new column sorts ascending, the same column flips direction, and a
 * third click returns to the default (worst first) order. */
export function nextSort(current: { sort: ProblemSort; desc: boolean }, column: ProblemSort): { sort: ProblemSort; desc: boolean } {
  if (current.sort !== column) return { sort: column, desc: false };
  if (!current.desc) return { sort: column, desc: true };
  return { sort: "default", desc: false };
}

export function activeFilterCount(f: ProblemFilters): number {
  return (
    (f.search.trim() ? 1 : 0) +
    f.categories.length +
    f.kinds.length +
    f.statuses.length +
    (f.sourceId !== null ? 1 : 0) +
    (f.range ? 1 : 0) +
    (f.cause ? 1 : 0)
  );
}
