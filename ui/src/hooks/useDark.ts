import { useSyncExternalStore } from "react";

const query = "(prefers-color-scheme: dark)";

function subscribe(onChange: () => void) {
  const mql = window.matchMedia(query);
  mql.addEventListener("change", onChange);
  return () => mql.removeEventListener("change", onChange);
}

/** True while the OS is in dark mode (charts pick their colours from it; CSS follows by itself). */
export function useDark(): boolean {
  return useSyncExternalStore(subscribe, () => window.matchMedia(query).matches, () => false);
}

export function chartColors(dark: boolean) {
  return dark
    ? { bar: "#e8615a", muted: "#3b4a5c", accent: "#6fa8dc", text: "#c9d3de", grid: "#2a3644" }
    : { bar: "#c8413a", muted: "#c9d6e3", accent: "#1f5f99", text: "#3c4a58", grid: "#e3e8ee" };
}
