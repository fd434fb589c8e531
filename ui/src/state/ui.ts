// UI-only state (never backend data, which lives in TanStack Query): where the user is, the
// problems filters, the selected table row and the running import.
import { create } from "zustand";

import type { CommandError } from "../bindings/CommandError";
import type { ImportFilesRes } from "../bindings/ImportFilesRes";
import type { ImportProgress } from "../bindings/ImportProgress";
import { back, push, type NavState, type Route } from "../lib/nav";
import { EMPTY_FILTERS, type ProblemFilters } from "../lib/query";

export type ImportState =
  | { phase: "idle" }
  | { phase: "running"; paths: string[]; progress: ImportProgress | null; cancelling: boolean }
  | { phase: "done"; paths: string[]; result: ImportFilesRes }
  | { phase: "failed"; paths: string[]; error: CommandError };

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
}));
