// The only door to Tauri: one typed function per command, using the wire types generated
// from Rust (src/bindings). Nothing else in the UI imports @tauri-apps/*.
import { Channel, invoke } from "@tauri-apps/api/core";

import type { AppInfo } from "../bindings/AppInfo";
import type { CategoryInfo } from "../bindings/CategoryInfo";
import type { CloudTrailProgress } from "../bindings/CloudTrailProgress";
import type { CommandError } from "../bindings/CommandError";
import type { CompareReq } from "../bindings/CompareReq";
import type { CompareSection } from "../bindings/CompareSection";
import type { DirectoryInfo } from "../bindings/DirectoryInfo";
import type { EntraProgress } from "../bindings/EntraProgress";
import type { EntityDetail } from "../bindings/EntityDetail";
import type { ExportReq } from "../bindings/ExportReq";
import type { ExportRes } from "../bindings/ExportRes";
import type { FetchChoices } from "../bindings/FetchChoices";
import type { FetchProgress } from "../bindings/FetchProgress";
import type { FetchStoreReq } from "../bindings/FetchStoreReq";
import type { FetchStoreRes } from "../bindings/FetchStoreRes";
import type { GooglePullProgress } from "../bindings/GooglePullProgress";
import type { ImportFilesRes } from "../bindings/ImportFilesRes";
import type { ImportProgress } from "../bindings/ImportProgress";
import type { OktaProgress } from "../bindings/OktaProgress";
import type { Overview } from "../bindings/Overview";
import type { PickKind } from "../bindings/PickKind";
import type { PreflightReq } from "../bindings/PreflightReq";
import type { ProblemPage } from "../bindings/ProblemPage";
import type { ProblemQuery } from "../bindings/ProblemQuery";
import type { PullCloudTrailReq } from "../bindings/PullCloudTrailReq";
import type { PullCloudTrailRes } from "../bindings/PullCloudTrailRes";
import type { PullEntraReq } from "../bindings/PullEntraReq";
import type { PullEntraRes } from "../bindings/PullEntraRes";
import type { PullGoogleReq } from "../bindings/PullGoogleReq";
import type { PullGoogleRes } from "../bindings/PullGoogleRes";
import type { PullOktaReq } from "../bindings/PullOktaReq";
import type { PullOktaRes } from "../bindings/PullOktaRes";
import type { RecentWorkspace } from "../bindings/RecentWorkspace";
import type { ReportFormat } from "../bindings/ReportFormat";
import type { Report } from "../bindings/Report";
import type { RootCauseView } from "../bindings/RootCauseView";
import type { SnapshotDiff } from "../bindings/SnapshotDiff";
import type { SnapshotInfo } from "../bindings/SnapshotInfo";
import type { SourceSummary } from "../bindings/SourceSummary";
import type { StoreObjects } from "../bindings/StoreObjects";
import type { WorkspaceInfo } from "../bindings/WorkspaceInfo";

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

// File dialogs. The Rust side opens them and remembers what the user chose: the commands that
// read or write a file accept only those files (and drops, and recent workspaces), so the page
// never decides which file is reached. The paths come back to show them and to name the files
// in the next command; null when the user cancels.
const pickFiles = (kind: PickKind) => call<string[] | null>("pick_files", { kind });
export const pickLogFiles = () => pickFiles("logs");
/** `aws identitystore list-users` / `list-groups` / `list-group-memberships` output. */
export const pickStoreFiles = () => pickFiles("store_files");
/** IdP directory exports: SCIM ListResponse, Entra users CSV / Graph JSON, Okta users CSV, Google Workspace CSV / Admin SDK JSON. */
export const pickDirectoryExports = () => pickFiles("directory_exports");
/** IdP directory exports to check against AWS's rules. */
export const pickPreflightExports = () => pickFiles("preflight_exports");
/** A Google service account's JSON key file (one), for `pullGoogleDirectory`. */
export const pickGoogleKeyFile = () => pickFiles("google_key_file");
export const pickWorkspace = () => call<string | null>("pick_workspace");
export const pickNewWorkspace = () => call<string | null>("pick_new_workspace");
export const pickExportPath = (format: ReportFormat, defaultName: string) =>
  call<string | null>("pick_export_path", { format, defaultName });

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

export const fetchChoices = () => call<FetchChoices>("fetch_choices");

/** Fetches the live identity store into one snapshot; `onProgress` hears a few times a second.
 * A failed or cancelled fetch stores nothing. */
export function fetchStore(req: FetchStoreReq, onProgress: (p: FetchProgress) => void) {
  const channel = new Channel<FetchProgress>();
  channel.onmessage = onProgress;
  return call<FetchStoreRes>("fetch_store", { req, onProgress: channel });
}

export const cancelFetch = () => call<void>("cancel_fetch");

/** Pulls Okta's System Log provisioning events into one source (cancelled by `cancelFetch`).
 * The token goes to the Rust side once and stays in its memory. */
export function pullOkta(req: PullOktaReq, onProgress: (p: OktaProgress) => void) {
  const channel = new Channel<OktaProgress>();
  channel.onmessage = onProgress;
  return call<PullOktaRes>("pull_okta", { req, onProgress: channel });
}

/** Pulls Entra's provisioning logs from Microsoft Graph; a device-code sign-in arrives as
 * progress with `sign_in` set. */
export function pullEntra(req: PullEntraReq, onProgress: (p: EntraProgress) => void) {
  const channel = new Channel<EntraProgress>();
  channel.onmessage = onProgress;
  return call<PullEntraRes>("pull_entra", { req, onProgress: channel });
}

/** Pulls the identity store's CloudTrail events (LookupEvents) with the AWS credentials of the
 * picked profile; cancelled by `cancelFetch`. A failed or cancelled pull stores nothing. */
export function pullCloudTrail(req: PullCloudTrailReq, onProgress: (p: CloudTrailProgress) => void) {
  const channel = new Channel<CloudTrailProgress>();
  channel.onmessage = onProgress;
  return call<PullCloudTrailRes>("pull_cloudtrail", { req, onProgress: channel });
}
/** Pulls Google Workspace's directory (Admin SDK, read-only) with a key file picked through
 * `pickGoogleKeyFile`; cancelled by `cancelFetch`. A failed or cancelled pull stores nothing. */
export function pullGoogleDirectory(req: PullGoogleReq, onProgress: (p: GooglePullProgress) => void) {
  const channel = new Channel<GooglePullProgress>();
  channel.onmessage = onProgress;
  return call<PullGoogleRes>("pull_google_directory", { req, onProgress: channel });
}
export const importStoreFiles = (paths: string[]) => call<SnapshotInfo>("import_store_files", { paths });
export const importDirectory = (paths: string[]) => call<DirectoryInfo>("import_directory", { paths });
export const snapshots = () => call<SnapshotInfo[]>("snapshots");
export const directories = () => call<DirectoryInfo[]>("directories");
export const compareStore = (req: CompareReq) => call<CompareSection>("compare_store", { req });
/** The store between two snapshots (default: the two newest), identity changes included. */
export const diffSnapshots = (from: number | null = null, to: number | null = null) =>
  call<SnapshotDiff>("diff_snapshots", { from, to });
export const preflightExport = (req: PreflightReq) => call<Report>("preflight_export", { req });
export const storeObjects = (query: string, snapshot: number | null = null) =>
  call<StoreObjects>("store_objects", { query, snapshot });
