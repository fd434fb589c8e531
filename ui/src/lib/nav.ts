// In-app navigation: the current view and a history stack for "back".

export type ViewName = "sources" | "overview" | "problems" | "entity" | "compare" | "preflight" | "export";

export interface Route {
  view: ViewName;
  /** The entity shown when view is "entity". */
  entityKey?: string;
  /** Compare: show the entities matching this (a link from an entity to its store state). */
  search?: string;
}

export interface NavState {
  route: Route;
  history: Route[];
}

/** History entries kept; older ones are dropped. */
export const MAX_HISTORY = 50;

function same(a: Route, b: Route): boolean {
  return a.view === b.view && a.entityKey === b.entityKey && a.search === b.search;
}

export function push(state: NavState, route: Route): NavState {
  if (same(state.route, route)) return state;
  return { route, history: [...state.history, state.route].slice(-MAX_HISTORY) };
}

export function back(state: NavState): NavState {
  const previous = state.history[state.history.length - 1];
  if (!previous) return state;
  return { route: previous, history: state.history.slice(0, -1) };
}
