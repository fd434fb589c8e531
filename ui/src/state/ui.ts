// UI-only state (never backend data, which lives in TanStack Query): where the user is, the
// problems and compare filters, the selected table row, the running import and the running
// fetch of the identity store.
import { create } from "zustand";

import type { CommandError } from "../bindings/CommandError";
import type { FetchProgress } from "../bindings/FetchProgress";
import type { FetchStoreRes } from "../bindings/FetchStoreRes";
import type { ImportFilesRes } from "../bindings/ImportFilesRes";
import type { ImportProgress } from "../bindings/ImportProgress";
import { EMPTY_COMPARE_FILTERS, type CompareFilters } from "../lib/compare";
import { back, push, type NavState, type Route } from "../lib/nav";
import { EMPTY_FILTERS, type ProblemFilters } from "../lib/query";

export type ImportState =
  | { phase: "idle" }
  | { phase: "running"; paths: string[]; progress: ImportProgress | null; cancelling: boolean }
  | { phase: "done"; paths: string[]; result: ImportFilesRes }
  | { phase: "failed"; paths: string[]; error: CommandError };

export type FetchState =
  | { phase: "idle" }
  | { phase: "running"; progress: FetchProgress | null; cancelling: boolean }
  | { phase: "done"; result: FetchStoreRes }
  | { phase: "failed"; error: CommandError };

interface UiState extends NavState {
  navigate: (route: Route) => void;
  goBack: () => void;
  filters: ProblemFilters;
  setFilters: (patch: Partial<ProblemFilters>) => void;
  /** Replaces every filter (a chart click shows exactly what was clicked). */
  showProblems: (patch: Partial<ProblemFilters>) => void;
  selected: number;
  setSelected: (index: number) => void;
  importState: ImportState;
  setImport: (state: ImportState) => void;
  fetchState: FetchState;
  setFetch: (state: FetchState) => void;
  fetchOpen: boolean;
  setFetchOpen: (open: boolean) => void;
  compareFilters: CompareFilters;
  /** The export files the Preflight view checks (null: none picked yet) and whether against the
   * store snapshot; the result is a query keyed by them. */
  preflight: { paths: string[]; againstStore: boolean } | null;
  setPreflight: (preflight: { paths: string[]; againstStore: boolean } | null) => void;
  setCompareFilters: (patch: Partial<CompareFilters>) => void;
}

export const useUi = create<UiState>()((set) => ({
  route: { view: "overview" },
  history: [],
  navigate: (route) => set((s) => push(s, route)),
  goBack: () => set((s) => back(s)),
  filters: EMPTY_FILTERS,
  setFilters: (patch) => set((s) => ({ filters: { ...s.filters, ...patch }, selected: 0 })),
  showProblems: (patch) =>
    set((s) => ({ ...push(s, { view: "problems" }), filters: { ...EMPTY_FILTERS, ...patch }, selected: 0 })),
  selected: 0,
  setSelected: (selected) => set({ selected }),
  importState: { phase: "idle" },
  setImport: (importState) => set({ importState }),
  fetchState: { phase: "idle" },
  setFetch: (fetchState) => set({ fetchState }),
  fetchOpen: false,
  setFetchOpen: (fetchOpen) => set({ fetchOpen }),
  compareFilters: EMPTY_COMPARE_FILTERS,
  preflight: null,
  setPreflight: (preflight) => set({ preflight }),
  setCompareFilters: (patch) => set((s) => ({ compareFilters: { ...s.compareFilters, ...patch } })),
}));
