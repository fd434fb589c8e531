// Native file dialogs (the dialog plugin): the only way the UI reaches files besides drops.
import { open, save } from "@tauri-apps/plugin-dialog";

import type { ReportFormat } from "../bindings/ReportFormat";

const WORKSPACE_FILTER = { name: "scimlens workspace", extensions: ["sqlite", "scimlens"] };

/** Log files to import; null when the user cancels. */
export async function pickLogFiles(): Promise<string[] | null> {
  const picked = await open({ multiple: true, directory: false, title: "Import provisioning logs" });
  if (picked === null) return null;
  return Array.isArray(picked) ? picked : [picked];
}

async function pickMany(title: string, filters: { name: string; extensions: string[] }[]): Promise<string[] | null> {
  const picked = await open({ multiple: true, directory: false, title, filters });
  if (picked === null) return null;
  return Array.isArray(picked) ? picked : [picked];
}

/** `aws identitystore list-users` / `list-groups` / `list-group-memberships` output. */
export const pickStoreFiles = () =>
  pickMany("Import an identity store snapshot (AWS CLI JSON)", [{ name: "AWS CLI JSON", extensions: ["json", "gz"] }]);

/** IdP directory exports: SCIM ListResponse, Entra users CSV / Graph JSON, Okta users CSV. */
export const pickDirectoryExports = (title = "Import an IdP directory export") =>
  pickMany(title, [{ name: "Directory export", extensions: ["json", "csv", "gz"] }]);

export async function pickWorkspace(): Promise<string | null> {
  const picked = await open({ multiple: false, directory: false, title: "Open a workspace", filters: [WORKSPACE_FILTER] });
  return typeof picked === "string" ? picked : null;
}

export async function pickNewWorkspace(): Promise<string | null> {
  return save({ title: "Create a workspace", defaultPath: "investigation.sqlite", filters: [WORKSPACE_FILTER] });
}

const EXPORT_FILTERS: Record<ReportFormat, { name: string; extensions: string[] }> = {
  html: { name: "HTML report", extensions: ["html"] },
  csv: { name: "CSV", extensions: ["csv"] },
  json: { name: "JSON", extensions: ["json"] },
  md: { name: "Markdown", extensions: ["md"] },
  text: { name: "Text", extensions: ["txt"] },
};

export async function pickExportPath(format: ReportFormat, defaultName: string): Promise<string | null> {
  return save({ title: "Export the failure report", defaultPath: defaultName, filters: [EXPORT_FILTERS[format]] });
}
