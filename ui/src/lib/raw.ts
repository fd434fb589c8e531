// The raw record as evidence: pretty-printed when it is JSON, untouched otherwise. Always
// returned as a string that the UI renders as text.

export function prettyRecord(raw: string): string {
  const trimmed = raw.trim();
  if (!(trimmed.startsWith("{") || trimmed.startsWith("["))) return raw;
  try {
    return JSON.stringify(JSON.parse(trimmed), null, 2);
  } catch {
    return raw;
  }
}
