// Keyboard shortcuts for the whole window.
import { useEffect } from "react";

import type { ViewName } from "../lib/nav";
import { useUi } from "../state/ui";

export const SHORTCUTS: [string, string][] = [
  ["Ctrl+O", "Open a workspace"],
  ["Ctrl+I", "Import log files"],
  ["/ or Ctrl+F", "Search the problems"],
  ["↑ ↓ PgUp PgDn Home End", "Move in the problems table"],
  ["Enter", "Open the selected entity"],
  ["Alt+← or Esc", "Back"],
  ["Ctrl+1 … 6", "Sources, Overview, Problems, Compare, Preflight, Export"],
  ["?", "Show these shortcuts"],
];

const VIEWS: ViewName[] = ["sources", "overview", "problems", "compare", "preflight", "export"];

function typing(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el) return false;
  const tag = el.tagName;
  return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || el.isContentEditable;
}

export interface ShortcutActions {
  openWorkspace: () => void;
  importFiles: () => void;
  toggleHelp: () => void;
  /** Closes an open overlay; false when there was none (Escape then goes back). */
  dismiss: () => boolean;
}

export function useShortcuts(actions: ShortcutActions) {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const ui = useUi.getState();
      const mod = e.ctrlKey || e.metaKey;
      const focusSearch = () => {
        if (ui.route.view !== "problems") ui.navigate({ view: "problems" });
        window.setTimeout(() => document.getElementById("problem-search")?.focus(), 0);
      };
      if (mod && e.key.toLowerCase() === "o") {
        e.preventDefault();
        actions.openWorkspace();
      } else if (mod && e.key.toLowerCase() === "i") {
        e.preventDefault();
        actions.importFiles();
      } else if (mod && e.key.toLowerCase() === "f") {
        e.preventDefault();
        focusSearch();
      } else if (mod && ["1", "2", "3", "4", "5", "6"].includes(e.key)) {
        e.preventDefault();
        ui.navigate({ view: VIEWS[Number(e.key) - 1] ?? "overview" });
      } else if (e.altKey && e.key === "ArrowLeft") {
        e.preventDefault();
        ui.goBack();
      } else if (typing(e.target)) {
        if (e.key === "Escape") (e.target as HTMLElement).blur();
      } else if (e.key === "/") {
        e.preventDefault();
        focusSearch();
      } else if (e.key === "Escape" || e.key === "Backspace") {
        if (!actions.dismiss()) ui.goBack();
      } else if (e.key === "?") {
        actions.toggleHelp();
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [actions]);
}
