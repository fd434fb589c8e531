// The only door to Tauri: one typed function per command, using the wire types generated
// from Rust (src/bindings). Nothing else in the UI imports @tauri-apps/*.
import { Channel, invoke } from "@tauri-apps/api/core";

import type { AppInfo } from "../bindings/AppInfo";
import type { CategoryInfo } from "../bindings/CategoryInfo";
import type { CommandError } from "../bindings/CommandError";
import type { EntityDetail } from "../bindings/EntityDetail";
import type { ExportReq } from "../bindings/ExportReq";
import type { ExportRes } from "../bindings/ExportRes";
import type { ImportFilesRes } from "../bindings/ImportFilesRes";
import type { ImportProgress } from "../bindings/ImportProgress";
import type { Overview } from "../bindings/Overview";
import type { ProblemPage } from "../bindings/ProblemPage";
import type { ProblemQuery } from "../bindings/ProblemQuery";
import type { RecentWorkspace } from "../bindings/RecentWorkspace";
import type { RootCauseView } from "../bindings/RootCauseView";
import type { SourceSummary } from "../bindings/SourceSummary";
import type { WorkspaceInfo } from "../bindings/WorkspaceInfo";

export { pickExportPath, pickLogFiles, pickNewWorkspace, pickWorkspace } from "./dialogs";
export { onFilesDropped } from "./drop";

/** A failed command: the core's stable code (branch on it), its message and, for bad input,
 * the file and position. */
export class BackendError extends Error {
  readonly detail: CommandError;

  constructor(detail: CommandError) {
    super(detail.message);
    this.name = "BackendError";
    this.detail = detail;
  }
}

function isCommandError(value: unknown): value is CommandError {
  return typeof value === "object" && value !== null && "code" in value && "message" in value;
}

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (err) {
    if (isCommandError(err)) throw new BackendError(err);
    throw err instanceof Error ? err : new Error(String(err));
  }
}

export const appInfo = () => call<AppInfo>("app_info");
export const appReady = () => call<number>("app_ready");
export const openWorkspace = (path: string) => call<WorkspaceInfo>("open_workspace", { path });
export const openDemo = () => call<WorkspaceInfo>("open_demo");
export const forgetRecent = (path: string) => call<RecentWorkspace[]>("forget_recent", { path });

/** Imports `paths` (any supported formats, detected by content); `onProgress` hears every few
 * thousand records. */
export function importFiles(paths: string[], onProgress: (p: ImportProgress) => void) {
  const channel = new Channel<ImportProgress>();
  channel.onmessage = onProgress;
  return call<ImportFilesRes>("import_files", { paths, onProgress: channel });
}

export const cancelImport = () => call<void>("cancel_import");
export const overview = () => call<Overview>("overview");
export const problemsPage = (query: ProblemQuery) => call<ProblemPage>("problems_page", { query });
export const rootCauses = () => call<RootCauseView[]>("root_causes");
export const sources = () => call<SourceSummary[]>("sources");
export const entity = (key: string) => call<EntityDetail>("entity", { key });
export const categories = () => call<CategoryInfo[]>("categories");
export const pseudonymKey = () => call<string>("pseudonym_key");
export const exportReport = (req: ExportReq) => call<ExportRes>("export_report", { req });
