// Formatting for numbers, rates, sizes and times shown in the UI.
import type { ImportProgress } from "../bindings/ImportProgress";

const counts = new Intl.NumberFormat("en-US");

export function formatCount(n: number): string {
  return counts.format(n);
}

/** Records per second so far, or null before the first second of data. */
export function recordsPerSecond(p: Pick<ImportProgress, "records" | "elapsed_ms">): number | null {
  if (p.elapsed_ms <= 0 || p.records <= 0) return null;
  return Math.round((p.records * 1000) / p.elapsed_ms);
}

/** 0..1 share of the file read; 0 when the size is unknown. */
export function fractionRead(p: Pick<ImportProgress, "bytes_read" | "bytes_total">): number {
  if (p.bytes_total <= 0) return 0;
  return Math.min(1, Math.max(0, p.bytes_read / p.bytes_total));
}

/** "1 user", "3 users": a count with its noun. */
export function countNoun(n: number, noun: string): string {
  return `${formatCount(n)} ${noun}${n === 1 ? "" : "s"}`;
}

export function formatBytes(bytes: number): string {
  const units = ["B", "KB", "MB", "GB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

/** The last path component, for compact labels (full paths stay in titles). */
export function fileName(path: string): string {
  const parts = path.split(/[\\/]/);
  return parts[parts.length - 1] || path;
}

/** "2026-11-20 10:57:08 UTC" style, from unix milliseconds. */
export function formatMs(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`;
}

/** "10:57" (UTC) from unix milliseconds: short labels for chart axes. */
export function formatClock(ms: number): string {
  return new Date(ms).toISOString().slice(11, 16);
}

/** A short axis label for a run of buckets: the clock time, with the date when runs span days. */
export function bucketLabel(ms: number, spansDays: boolean): string {
  const iso = new Date(ms).toISOString();
  return spansDays ? `${iso.slice(5, 10)} ${iso.slice(11, 16)}` : iso.slice(11, 16);
}

export const NOT_STATED = "not stated in the log";

export function orNotStated(value: string | number | null | undefined): string {
  return value === null || value === undefined || value === "" ? NOT_STATED : String(value);
}
