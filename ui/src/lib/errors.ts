// How a failed command is presented: a title per stable error code, and where in the file.
import type { CommandError } from "../bindings/CommandError";
import type { ErrorCode } from "../bindings/ErrorCode";
import type { Position } from "../bindings/Position";

const TITLES: Record<ErrorCode, string> = {
  IO: "The file could not be read or written",
  PARSE: "The file is not valid where shown",
  UNKNOWN_FORMAT: "Not a provisioning log scimlens recognises",
  EMPTY: "The file is empty",
  NOT_UTF8: "The file is not text",
  RECORD_TOO_LARGE: "A record is too large",
  CANCELLED: "Import cancelled",
  WORKSPACE: "The workspace could not be used",
  NOT_A_WORKSPACE: "Not a scimlens workspace",
  WORKSPACE_TOO_NEW: "The workspace is from a newer scimlens",
  CORRUPT: "The workspace is damaged",
  NOT_FOUND: "Not found",
  INVALID_ARGUMENT: "Nothing to do",
  INTERNAL: "Something went wrong inside scimlens",
  AWS: "AWS request failed",
  IDP: "Identity provider request failed",
};

export function errorTitle(code: ErrorCode): string {
  return TITLES[code];
}

/** True for errors about an input file (the import rolled back; nothing of it was kept). */
export function isInputError(code: ErrorCode): boolean {
  return ["PARSE", "UNKNOWN_FORMAT", "EMPTY", "NOT_UTF8", "RECORD_TOO_LARGE", "CANCELLED", "IO"].includes(code);
}

export function describePosition(p: Position | null): string | null {
  if (!p) return null;
  const parts: string[] = [];
  if (p.line !== null) parts.push(`line ${p.line}`);
  if (p.column !== null) parts.push(`column ${p.column}`);
  if (p.record !== null) parts.push(`record ${p.record}`);
  if (parts.length === 0 && p.byte_offset !== null) parts.push(`byte ${p.byte_offset}`);
  return parts.length > 0 ? parts.join(", ") : "start of file";
}

/** An error that did not come from a command (a bug, a lost IPC). */
export function unexpected(err: unknown): CommandError {
  return {
    code: "WORKSPACE",
    message: err instanceof Error ? err.message : String(err),
    path: null,
    position: null,
    expected: null,
    found: null,
  };
}

/** The stable code of a failed command (a query's or mutation's error), else null. */
export function errorCode(err: unknown): ErrorCode | null {
  if (typeof err !== "object" || err === null || !("detail" in err)) return null;
  const detail = (err as { detail: unknown }).detail;
  if (typeof detail !== "object" || detail === null || !("code" in detail)) return null;
  return (detail as CommandError).code;
}

/** True for a command that found nothing to work on (no store snapshot, no directory import):
 * the view says what it needs instead of showing an error. */
export function isNotFound(err: unknown): boolean {
  return errorCode(err) === "NOT_FOUND";
}
