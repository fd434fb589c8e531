// A mocked backend for browser tests of the built UI: the real @tauri-apps/api mocks
// (mockIPC, mockWindows) answering every command with typed data. Bundled into an IIFE by
// run.mjs and injected before the app loads. Types come from src/bindings, so a changed Rust
// type breaks this file at type-check time instead of silently drifting.
import { mockIPC, mockWindows } from "@tauri-apps/api/mocks";

import type { AppInfo } from "../../src/bindings/AppInfo";
import type { Category } from "../../src/bindings/Category";
import type { CategoryInfo } from "../../src/bindings/CategoryInfo";
import type { CommandError } from "../../src/bindings/CommandError";
import type { CloudTrailProgress } from "../../src/bindings/CloudTrailProgress";
import type { CompareSection } from "../../src/bindings/CompareSection";
import type { DirectoryInfo } from "../../src/bindings/DirectoryInfo";
import type { EntityComparison } from "../../src/bindings/EntityComparison";
import type { EntityDetail } from "../../src/bindings/EntityDetail";
import type { EntityKind } from "../../src/bindings/EntityKind";
import type { EntityStatus } from "../../src/bindings/EntityStatus";
import type { ExportReq } from "../../src/bindings/ExportReq";
import type { ExportRes } from "../../src/bindings/ExportRes";
import type { FetchChoices } from "../../src/bindings/FetchChoices";
import type { FetchProgress } from "../../src/bindings/FetchProgress";
import type { FetchStoreReq } from "../../src/bindings/FetchStoreReq";
import type { FetchStoreRes } from "../../src/bindings/FetchStoreRes";
import type { GooglePullProgress } from "../../src/bindings/GooglePullProgress";
import type { ImportFilesRes } from "../../src/bindings/ImportFilesRes";
import type { EntraProgress } from "../../src/bindings/EntraProgress";
import type { ImportProgress } from "../../src/bindings/ImportProgress";
import type { OktaProgress } from "../../src/bindings/OktaProgress";
import type { Overview } from "../../src/bindings/Overview";
import type { PreflightReq } from "../../src/bindings/PreflightReq";
import type { ProblemEntityRow } from "../../src/bindings/ProblemEntityRow";
import type { ProblemPage } from "../../src/bindings/ProblemPage";
import type { ProblemQuery } from "../../src/bindings/ProblemQuery";
import type { PullCloudTrailReq } from "../../src/bindings/PullCloudTrailReq";
import type { PullCloudTrailRes } from "../../src/bindings/PullCloudTrailRes";
import type { PullEntraReq } from "../../src/bindings/PullEntraReq";
import type { PullEntraRes } from "../../src/bindings/PullEntraRes";
import type { PullGoogleReq } from "../../src/bindings/PullGoogleReq";
import type { PullGoogleRes } from "../../src/bindings/PullGoogleRes";
import type { PullOktaReq } from "../../src/bindings/PullOktaReq";
import type { PullOktaRes } from "../../src/bindings/PullOktaRes";
import type { Report } from "../../src/bindings/Report";
import type { RootCauseView } from "../../src/bindings/RootCauseView";
import type { SnapshotDiff } from "../../src/bindings/SnapshotDiff";
import type { SnapshotInfo } from "../../src/bindings/SnapshotInfo";
import type { SourceSummary } from "../../src/bindings/SourceSummary";
import type { StoreObjects } from "../../src/bindings/StoreObjects";

const XSS = "<img src=x onerror=alert(1)>";
const T0 = Date.UTC(2026, 10, 20, 8, 57, 0);
const CYCLE = 40 * 60 * 1000;

const CATEGORY_TITLES: [Category, string][] = [
  ["MISSING_REQUIRED_ATTRIBUTE", "Missing required attribute"],
  ["MULTIVALUE_NOT_SUPPORTED", "More than one value"],
  ["RESERVED_NAME", "Reserved name"],
  ["DUPLICATE_CONFLICT", "Duplicate or conflict"],
  ["INVALID_VALUE", "Invalid value"],
  ["TARGET_OBJECT_MISSING", "Deleted in AWS"],
  ["THROTTLED", "Throttled"],
  ["AUTH_FAILURE", "Authentication failure"],
  ["PATCH_INVALID", "Invalid PATCH"],
  ["SCHEMA_VIOLATION_UNSPECIFIED", "Schema violation, cause not stated"],
  ["NOT_PROVISIONED", "Not provisioned"],
  ["DRIFT", "Drift"],
  ["UNMANAGED_IN_STORE", "Unmanaged in AWS"],
  ["OTHER", "Other"],
];
const categories: CategoryInfo[] = CATEGORY_TITLES.map(([category, title]) => ({
  category,
  title,
  explanation: `What ${title} means, explained for the admin.`,
  connection_level: category === "AUTH_FAILURE" || category === "THROTTLED",
}));

const MESSAGES: Partial<Record<Category, [string | null, string]>> = {
  MISSING_REQUIRED_ATTRIBUTE: ["name.givenName", "name.givenName is empty or missing"],
  DUPLICATE_CONFLICT: [null, "Refused to create a new, duplicate resource."],
  THROTTLED: [null, "Rate exceeded"],
  MULTIVALUE_NOT_SUPPORTED: ["emails", "List attribute emails exceeds allowed limit of 1"],
};
const CYCLED: Category[] = ["DUPLICATE_CONFLICT", "THROTTLED", "MULTIVALUE_NOT_SUPPORTED", "MISSING_REQUIRED_ATTRIBUTE"];

function iso(ms: number): string {
  return new Date(ms).toISOString().replace("T", " ").slice(0, 19) + " UTC";
}

function row(i: number, name: string, category: Category, status: EntityStatus, kind: EntityKind = "user"): ProblemEntityRow & { lastMs: number } {
  const [attribute, message] = MESSAGES[category] ?? [null, `${category} message`];
  const lastMs = T0 + (i % 5) * CYCLE + i;
  return {
    key: `${kind}|${name}`,
    kind,
    name,
    status,
    category,
    attribute,
    message,
    events: 1 + (i % 7),
    failures: 1,
    first_seen: iso(T0),
    last_seen: iso(lastMs),
    source_ids: [1 + (i % 2)],
    // alice holds the most; every third user a little; the rest are not in the store.
    access: i === 0 ? { accounts: 2, permission_sets: 2, assignments: 3 } : i % 3 === 0 && kind === "user" ? { accounts: 1, permission_sets: 1, assignments: 1 } : null,
    lastMs,
  };
}

/** 5,000 problem entities: enough to prove the table is virtualized and paged. */
const entities = [
  row(0, "alice@contoso.com", "MISSING_REQUIRED_ATTRIBUTE", "failing"),
  row(1, "xss.probe@contoso.com", "MISSING_REQUIRED_ATTRIBUTE", "failing"),
  row(2, "Administrator", "RESERVED_NAME", "failing", "group"),
  ...Array.from({ length: 4997 }, (_, k) => {
    const i = k + 3;
    const category = CYCLED[i % CYCLED.length] ?? "OTHER";
    return row(i, `user${String(i).padStart(4, "0")}@contoso.com`, category, i % 9 === 0 ? "resolved" : "failing");
  }),
];

function causes(): RootCauseView[] {
  const groups = new Map<string, RootCauseView>();
  for (const e of entities.filter((e) => e.status === "failing" && e.category)) {
    const id = `${e.category}|${e.attribute}|${e.message}`;
    const g = groups.get(id);
    if (g) g.count += 1;
    else
      groups.set(id, {
        category: e.category as Category,
        attribute: e.attribute,
        summary: e.message ?? "",
        count: 1,
        fix: `Fix for ${e.category}: change the mapping, then provision on demand.`,
        candidates: [],
      });
  }
  return [...groups.values()].sort((a, b) => b.count - a.count);
}

const sources: SourceSummary[] = [
  { id: 1, path: "/logs/entra/page1.json", format: "entra-graph", records: 12, warnings: ["one page of more: @odata.nextLink present"], first_time: iso(T0), last_time: iso(T0 + 4 * CYCLE), imported_at: "2026-11-21 10:00:00 UTC" },
  { id: 2, path: "/logs/okta/systemlog.json", format: "okta-systemlog", records: 11, warnings: [], first_time: iso(T0), last_time: iso(T0 + CYCLE), imported_at: "2026-11-21 10:00:01 UTC" },
];

function overview(): Overview {
  const failing = entities.filter((e) => e.status === "failing");
  const counts = new Map<Category, number>();
  for (const e of failing) if (e.category) counts.set(e.category, (counts.get(e.category) ?? 0) + 1);
  return {
    sources: sources.length,
    totals: { records: 20000, success: 14000, failure: 5800, skipped: 200, problem_entities: failing.length, connection_failures: 2 },
    resolved_entities: entities.length - failing.length,
    categories: [...counts.entries()].map(([category, count]) => ({ category, count })).sort((a, b) => b.count - a.count),
    timeline: [0, 1, 2, 3, 4].map((i) => ({
      cycle_id: `cycle-${i}`,
      start: iso(T0 + i * CYCLE),
      from_ms: T0 + i * CYCLE,
      to_ms: T0 + i * CYCLE + 1000 * 60 * 5,
      records: 4000,
      failures: i === 1 ? 0 : 1000 + i,
    })),
    connection: [
      { category: "AUTH_FAILURE", message: "the SCIM token was rejected (401)", first_seen: iso(T0), last_seen: iso(T0 + 1000), count: 2, fix: "Generate a new SCIM access token in IAM Identity Center and paste it into the IdP." },
    ],
    findings: [
      { kind: "silent-gap", message: "no provisioning cycle for 2h22m", first_seen: iso(T0 + 3 * CYCLE), last_seen: iso(T0 + 4 * CYCLE) },
    ],
    access: {
      snapshot_id: 2,
      orphaned: 1,
      failing_with_access: failing.filter((e) => e.access && e.access.assignments > 0).length,
      empty_groups: 1,
      unmanaged_groups: 0,
    },
  };
}

function page(q: ProblemQuery): ProblemPage {
  const statuses = q.statuses.length ? q.statuses : ["failing", "resolved"];
  const search = q.search?.toLowerCase() ?? null;
  let rows = entities.filter(
    (e) =>
      statuses.includes(e.status) &&
      (q.categories.length === 0 || (e.category !== null && q.categories.includes(e.category))) &&
      (q.kinds.length === 0 || q.kinds.includes(e.kind)) &&
      (search === null || e.name.toLowerCase().includes(search) || e.key === q.search) &&
      (q.source_id === null || e.source_ids.includes(q.source_id)) &&
      (q.from === null || e.lastMs >= q.from) &&
      (q.to === null || e.lastMs < q.to) &&
      (q.cause === null || (e.category === q.cause.category && e.attribute === q.cause.attribute && e.message === q.cause.summary)),
  );
  if (q.sort === "name") rows = [...rows].sort((a, b) => a.name.localeCompare(b.name));
  if (q.sort === "events") rows = [...rows].sort((a, b) => a.events - b.events);
  if (q.sort === "access") rows = [...rows].sort((a, b) => (b.access?.assignments ?? -1) - (a.access?.assignments ?? -1));
  if (q.desc) rows.reverse();
  const limit = q.limit || 100;
  return {
    total: rows.length,
    offset: q.offset,
    rows: rows.slice(q.offset, q.offset + limit).map(({ lastMs: _ignored, ...r }) => r),
  };
}

function entity(key: string): EntityDetail {
  const e = entities.find((x) => x.key === key);
  if (!e) throw { code: "NOT_FOUND", message: `entity not found: ${key}`, path: null, position: null, expected: null, found: null } satisfies CommandError;
  const raw = JSON.stringify({ id: "rec-1", sourceIdentity: { displayName: key.includes("xss") ? XSS : e.name }, provisioningStatusInfo: { status: "failure" } });
  return {
    key: e.key,
    kind: e.kind,
    name: e.name,
    status: e.status,
    category: e.category,
    attribute: e.attribute,
    message: e.message,
    fix: "In Entra ID: Enterprise applications > AWS IAM Identity Center > Provisioning > Mappings: give name.givenName a value.",
    source_id: "00000000-1111-2222-3333-444444444444",
    target_id: null,
    external_id: null,
    events: 2,
    access: e.access
      ? {
          snapshot_id: 2,
          principal_id: "u-alice",
          holds: e.access,
          access: [
            { account_id: "111111111111", account_name: "Production", permission_set_arn: "arn:aws:sso:::permissionSet/ssoins-1/ps-admin", permission_set_name: "AdministratorAccess", via: [{ kind: "group", group_id: "g-fin", group_name: "Finance-Analysts" }] },
            { account_id: "111111111111", account_name: "Production", permission_set_arn: "arn:aws:sso:::permissionSet/ssoins-1/ps-ro", permission_set_name: "ReadOnlyAccess", via: [{ kind: "direct" }] },
            { account_id: "222222222222", account_name: null, permission_set_arn: "arn:aws:sso:::permissionSet/ssoins-1/ps-ro", permission_set_name: "ReadOnlyAccess", via: [{ kind: "group", group_id: "g-fin", group_name: "Finance-Analysts" }] },
          ],
        }
      : null,
    timeline: [
      {
        event_id: 1, source_path: "/logs/entra/page1.json", format: "entra-graph", record: 3, time: iso(T0), action: "create", operation: null,
        outcome: "failure", http_status: 400, error_code: "SystemForCrossDomainIdentityManagementServiceIncompatible",
        aws_detail: "1 validation error detected: Value at 'name.givenName' failed to satisfy constraint", reason: "Failed to create User", skip_reason: null,
        category: e.category, attribute: e.attribute, message: e.message, masked: false,
        attributes: [{ name: "displayName", old_value: null, values: [key.includes("xss") ? XSS : e.name] }, { name: "name.givenName", old_value: null, values: [""] }],
        steps: [{ name: "EntryExportAdd", step_type: "export", status: "failure", description: "Failed to create User", details: [["ReportableIdentifier", e.name]] }],
        raw,
      },
      {
        event_id: 2, source_path: "/logs/cloudtrail/records.json", format: "cloudtrail", record: 7, time: iso(T0 + 1000), action: "create", operation: "CreateUser",
        outcome: "failure", http_status: 400, error_code: "ValidationException", aws_detail: "validation error", reason: null, skip_reason: null,
        category: e.category, attribute: null, message: null, masked: true, attributes: [], steps: [], raw: '{"eventName":"CreateUser"}',
      },
    ],
  };
}

interface MockState {
  calls: { cmd: string; args: unknown }[];
  cancelled: boolean;
  fetchCancelled: boolean;
  fetches: FetchStoreReq[];
  exports: ExportReq[];
  dialogOpen: string[] | string | null;
  dialogSave: string | null;
  demo: boolean;
  /** Set when the last workspace did not open at launch (the backend then shows the demo). */
  notice?: string;
}

declare global {
  interface Window {
    __mock: MockState;
    __TAURI_INTERNALS__: { runCallback: (id: number, data: unknown) => void };
  }
}

const state: MockState = { calls: [], cancelled: false, fetchCancelled: false, fetches: [], exports: [], dialogOpen: null, dialogSave: null, demo: true };
window.__mock = state;

type ChannelArg = { id: number };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function send(channel: ChannelArg, index: number, message: ImportProgress) {
  window.__TAURI_INTERNALS__.runCallback(channel.id, { index, message });
}

async function importFiles(paths: string[], channel: ChannelArg): Promise<ImportFilesRes> {
  state.cancelled = false;
  const path = paths[0] ?? "";
  if (path.includes("slow")) {
    for (let i = 0; ; i += 1) {
      send(channel, i, { path, bytes_read: i * 1000, bytes_total: 1_000_000, records: i * 2000, elapsed_ms: (i + 1) * 100 });
      await sleep(50);
      if (state.cancelled) throw { code: "CANCELLED", message: `import of ${path} cancelled; the workspace is unchanged`, path, position: null, expected: null, found: null } satisfies CommandError;
    }
  }
  send(channel, 0, { path, bytes_read: 500, bytes_total: 1000, records: 5000, elapsed_ms: 1000 });
  await sleep(300);
  if (path.includes("truncated")) {
    throw {
      code: "PARSE",
      message: `${path}: line 1, column 18673: expected a JSON value, found end of input`,
      path,
      position: { line: 1, column: 18673, record: null, byte_offset: null },
      expected: "a JSON value",
      found: "end of input",
    } satisfies CommandError;
  }
  const outcomes: ImportFilesRes["outcomes"] = paths.map((p, i) => {
    const id = sources.length + 1 + i;
    sources.push({ id, path: p, format: "cloudtrail", records: 19, warnings: [], first_time: iso(T0), last_time: iso(T0 + CYCLE), imported_at: "2026-11-21 11:00:00 UTC" });
    return { result: "imported", source_id: id, path: p, format: "cloudtrail", records: 19, warnings: [] };
  });
  return { outcomes, entities: entities.length };
}


// The identity-store side: the Entra story of tests/fixtures/directory/MANIFEST.md, smaller.
// Like the backend, the demo workspace holds a store snapshot and a directory export, shown by
// their names in the demo set; another workspace starts with neither (`state.demo = false`
// before the app loads, or opening a workspace).
const demoSides = { snapshots: [] as SnapshotInfo[], directories: [] as DirectoryInfo[] };
const caseSides = { snapshots: [] as SnapshotInfo[], directories: [] as DirectoryInfo[] };
const sides = () => (state.demo ? demoSides : caseSides);
const snapshotList = () => sides().snapshots;
const directoryList = () => sides().directories;
const newest = <T,>(list: T[]): T | undefined => list[list.length - 1];
const notFound = (message: string): CommandError => ({ code: "NOT_FOUND", message, path: null, position: null, expected: null, found: null });
const NO_SNAPSHOT = "store snapshot not found: (none yet: run `scimlens fetch` or `scimlens store-import FILE`)";
const NO_DIRECTORY = "directory import not found: (none yet: run `scimlens directory-import FILE`)";

function snapshotInfo(id: number, origin: SnapshotInfo["origin"], label: string): SnapshotInfo {
  return {
    id, origin, identity_store_id: "d-1234567890", region: origin === "fetch" ? "eu-west-1" : null, endpoint: null, label,
    taken_at: "2026-11-22 09:00:00 UTC", users: 6, groups: 2, memberships: 4, memberships_known: true,
    api_calls: origin === "fetch" ? 7 : null, retries: origin === "fetch" ? 0 : null, seconds: origin === "fetch" ? 0.9 : null, warnings: [],
  };
}

function directoryInfo(id: number, label: string): DirectoryInfo {
  return {
    id, idp: "entra", label, formats: ["entra-graph-users", "entra-graph-groups", "entra-graph-assignments"], imported_at: "2026-11-22 09:01:00 UTC",
    users: 10, groups: 4, memberships: 7, assignments_known: true, warnings: ["(telephoneNumber, mobile) are mapped onto phoneNumbers"],
  };
}

demoSides.snapshots.push(snapshotInfo(1, "file", "identitystore/list-users.json, identitystore/list-groups.json, identitystore/list-group-memberships.json"));
demoSides.directories.push(directoryInfo(1, "directory/entra-graph-users.json, directory/entra-graph-groups.json, directory/entra-graph-assignments.json"));

function side(name: string, id: string, external: string | null, email: string | null = name) {
  return { id, name, display_name: null, external_id: external, email };
}

function compared(name: string, state: EntityComparison["state"], patch: Partial<EntityComparison> = {}): EntityComparison {
  const kind = patch.kind ?? "user";
  return {
    kind,
    state,
    name,
    idp: state === "UNMANAGED_IN_STORE" ? null : side(name, `idp-${name}`, `ext-${name}`, kind === "user" ? name : null),
    store: state === "NOT_PROVISIONED" ? null : side(name, `9067a6b1c2-${name}`, state === "UNMANAGED_IN_STORE" ? null : `ext-${name}`, kind === "user" ? name : null),
    matched_by: state === "DRIFT" || state === "IN_SYNC" ? "externalId" : null,
    differences: [],
    reason: null,
    detail: null,
    evidence: null,
    fix: null,
    ...patch,
  };
}

const comparisons: EntityComparison[] = [
  compared("karen.lee@contoso.com", "DRIFT", { differences: [{ attribute: "title", idp: "Director", store: "Manager", note: null }] }),
  compared("alice@contoso.com", "NOT_PROVISIONED", {
    reason: "failed",
    detail: "Provisioning failed: the log shows why.",
    evidence: { entity_key: "user|alice@contoso.com", status: "failing", category: "MISSING_REQUIRED_ATTRIBUTE", message: "name.givenName is empty or missing", events: 3, failures: 2, last_seen: iso(T0) },
    fix: "Give name.givenName a value in Entra ID.",
  }),
  compared("yusuf.ali@contoso.com", "NOT_PROVISIONED", { reason: "never-attempted", detail: "Assigned, but no record in the logs." }),
  compared(XSS, "NOT_PROVISIONED", { reason: "not-assigned", detail: `Display name ${XSS} is not assigned.` }),
  compared("breakglass.admin@contoso.com", "UNMANAGED_IN_STORE", {
    detail: "No ExternalIds: created in the console or by the API.",
    access: {
      holds: { accounts: 2, permission_sets: 2, assignments: 2 },
      should_hold: null,
      at_risk: "no object of the IdP matches it though SCIM made it: its 2 assignments would be orphaned (AdministratorAccess in 111122223333, PowerUserAccess in 111122223333)",
    },
  }),
  compared("AWSSecurityAuditors", "UNMANAGED_IN_STORE", { kind: "group", detail: "A Control Tower group: no ExternalIds." }),
  compared("Administrator", "NOT_PROVISIONED", { kind: "group", reason: "failed", detail: "A reserved name." }),
];
const inSync = [compared("grace.hopper@contoso.com", "IN_SYNC"), compared("Engineering", "IN_SYNC", { kind: "group" })];

function compareSection(includeInSync: boolean): CompareSection {
  // The backend looks for the directory import first, then the snapshot.
  const directory = newest(directoryList());
  if (!directory) throw notFound(NO_DIRECTORY);
  const snapshot = newest(snapshotList());
  if (!snapshot) throw notFound(NO_SNAPSHOT);
  return {
    directory,
    snapshot,
    match_order: ["externalId", "userName", "email"],
    users: { in_sync: 1, drift: 1, not_provisioned: 3, unmanaged_in_store: 1 },
    groups: { in_sync: 1, drift: 0, not_provisioned: 1, unmanaged_in_store: 1 },
    memberships: { in_sync: 3, drift: 0, not_provisioned: 2, unmanaged_in_store: 1 },
    entities: includeInSync ? [...comparisons, ...inSync] : comparisons,
    membership_differences: [
      { state: "NOT_PROVISIONED", group: "Engineering", member: "dmitri.volkov@contoso.com", group_idp_id: null, group_store_id: null, member_idp_id: null, member_store_id: null, nested: false, detail: "In the IdP group, not in the AWS group." },
      { state: "UNMANAGED_IN_STORE", group: "Engineering", member: "breakglass.admin@contoso.com", group_idp_id: null, group_store_id: null, member_idp_id: null, member_store_id: null, nested: false, detail: "Only in AWS." },
    ],
    nested_groups: [{ parent: "Engineering", child: "Platform-Team", members_only_through_child: 1, detail: "Entra does not flatten nested groups." }],
    warnings: [],
  };
}

function preflight(req: PreflightReq): Report {
  // No paths: the workspace's newest directory import (none: NOT_FOUND, like the backend).
  const imported = req.paths.length === 0 ? newest(directoryList()) : undefined;
  if (req.paths.length === 0 && !imported) throw notFound(NO_DIRECTORY);
  const against = req.against_store ? (newest(snapshotList()) ?? null) : null;
  if (req.against_store && !against) throw notFound(NO_SNAPSHOT);
  const findings: NonNullable<Report["preflight"]>["findings"] = [
    { severity: "error", kind: "user", name: "alice@contoso.com", idp_id: "edc17e6d", category: "MISSING_REQUIRED_ATTRIBUTE", attribute: "name.givenName", message: "name.givenName is empty or missing", value: "", source: "givenName" },
    { severity: "error", kind: "user", name: "guest.user_fabrikam.com#EXT#@contoso.onmicrosoft.com", idp_id: null, category: "INVALID_VALUE", attribute: "userName", message: "userName contains #EXT#", value: "guest.user_fabrikam.com#EXT#@contoso.onmicrosoft.com", source: "userPrincipalName" },
    { severity: "error", kind: "group", name: "Administrator", idp_id: null, category: "RESERVED_NAME", attribute: "displayName", message: "a reserved group name", value: "Administrator", source: "displayName" },
    ...(against ? [{ severity: "error" as const, kind: "group" as const, name: "AWSSecurityAuditors", idp_id: null, category: "DUPLICATE_CONFLICT" as const, attribute: "displayName", message: "displayName already taken in the store", value: "AWSSecurityAuditors", source: "displayName" }] : []),
    { severity: "warning", kind: "user", name: XSS, idp_id: null, category: "INVALID_VALUE", attribute: "displayName", message: "characters the IdP guides warn about", value: XSS, source: "displayName" },
  ];
  const errors = findings.filter((f) => f.severity === "error");
  return {
    schema_version: 1,
    generated_at: "2026-11-22 09:05:00 UTC",
    sources: [],
    totals: { records: 0, success: 0, failure: 0, skipped: 0, problem_entities: errors.length, connection_failures: 0 },
    categories: {},
    entities: [],
    root_causes: errors.map((f) => ({ category: f.category, attribute: f.attribute, summary: f.message, count: 1, entities: [f.name], fix: `Fix ${f.category} before the next sync.`, candidates: [] })),
    connection: [],
    findings: [],
    preflight: {
      predicted: true, inputs: imported ? [imported.label] : req.paths, idp: "entra", formats: ["entra-graph-users"], against_store: against,
      users_checked: 10, groups_checked: 4, errors: errors.length, warnings: findings.length - errors.length,
      mapping_warnings: [], export_warnings: [], findings,
      at_risk: against
        ? [{ kind: "user", name: "karen.lee@contoso.com", store_id: "9067a6b1c2-5b89e867", holds: { accounts: 2, permission_sets: 2, assignments: 2 }, detail: "its userName differs in the IdP: a sync that matches on it deletes this user and creates a new one: its 2 assignments would be orphaned (PowerUserAccess in 111122223333, AdministratorAccess in 444455556666)" }]
        : [],
    },
  };
}

function storeObjects(query: string): StoreObjects {
  const snapshot = newest(snapshotList());
  if (!snapshot) throw notFound(NO_SNAPSHOT);
  const users = query === "alice@contoso.com"
    ? [{ UserId: "9067a6b1c2-alice", UserName: "alice@contoso.com", DisplayName: XSS, Title: "Engineer", ExternalIds: [{ Issuer: "scim", Id: "ext-alice" }], Emails: [{ Value: "alice@contoso.com", Primary: true }] }]
    : [];
  return { snapshot, users, groups: [] };
}

function sendFetch(channel: ChannelArg, index: number, message: FetchProgress) {
  window.__TAURI_INTERNALS__.runCallback(channel.id, { index, message });
}

/** The token the mock IdPs accept; any other is refused as Okta and Graph refuse one (401). */
export const MOCK_IDP_TOKEN = "00mock-idp-token";

function idpError(service: string, idp: "SIGN_IN" | "UNREACHABLE" | "ACCESS_DENIED", message: string): CommandError {
  return { code: "IDP", idp, message: `${service}: ${message}`, path: null, position: null, expected: null, found: null };
}

function cancelledPull(what: string): CommandError {
  return { code: "CANCELLED", message: `import of ${what} cancelled; the workspace is unchanged`, path: what, position: null, expected: null, found: null };
}

function pulledSource(path: string, format: SourceSummary["format"], records: number) {
  const id = sources.length + 1;
  sources.push({ id, path, format, records, warnings: [], first_time: iso(T0), last_time: iso(T0 + CYCLE), imported_at: "2026-11-21 11:00:00 UTC" });
  return { result: "imported" as const, source_id: id, path, format, records, warnings: [] };
}

async function pullOkta(req: PullOktaReq, channel: ChannelArg): Promise<PullOktaRes> {
  state.fetchCancelled = false;
  if (req.org.includes("unreachable")) throw idpError("Okta", "UNREACHABLE", `${req.org}/api/v1/logs is unreachable: connection refused`);
  if (req.token !== MOCK_IDP_TOKEN) {
    throw idpError("Okta", "SIGN_IN", `${req.org} answered HTTP 401 (E0000011: Invalid token provided): the API token is invalid, revoked or expired`);
  }
  for (let i = 1; i <= 10; i += 1) {
    const message: OktaProgress = { pages: i, events: i * 100, calls: i, throttled: 0, waiting_ms: null, elapsed_ms: i * 100 };
    window.__TAURI_INTERNALS__.runCallback(channel.id, { index: i - 1, message });
    await sleep(req.org.includes("slow") ? 200 : 20);
    if (state.fetchCancelled) throw cancelledPull("Okta System Log");
  }
  const outcome = pulledSource("Okta System Log example.okta.com 2026-11-20 .. 2026-11-22", "okta-systemlog", 1000);
  return {
    since: "2026-11-20T00:00:00Z", until: "2026-11-22T12:00:00Z", clamped: false, incremental: false,
    stats: { org: req.org, pages: 10, events_read: 1000, calls: 10, throttled: 0, paced: 0, waited_ms: 0, lowest_remaining: 50, rate_limit: 60, seconds: 1.1 },
    new_events: 1000, already_held: 0, outcome, entities: entities.length,
  };
}

async function pullEntra(req: PullEntraReq, channel: ChannelArg): Promise<PullEntraRes> {
  state.fetchCancelled = false;
  let index = 0;
  const send = (message: EntraProgress) => window.__TAURI_INTERNALS__.runCallback(channel.id, { index: index++, message });
  const base: EntraProgress = { stage: "logs", sign_in: null, pages: 0, records: 0, calls: 0, throttled: 0, waiting_ms: null, elapsed_ms: 0 };
  if (!req.token && req.client_id) {
    send({ ...base, stage: "sign-in", sign_in: { user_code: "FGHJ-KLMN", verification_uri: "https://microsoft.com/devicelogin", message: "To sign in, use a web browser to open the page https://microsoft.com/devicelogin and enter the code FGHJ-KLMN to authenticate.", expires_in_s: 900 } });
    await sleep(300);
  } else if (req.token !== MOCK_IDP_TOKEN) {
    throw idpError("Microsoft Graph", "SIGN_IN", "the provisioning logs: HTTP 401 (InvalidAuthenticationToken: Access token has expired or is not yet valid.)");
  }
  for (let i = 1; i <= 5; i += 1) {
    send({ ...base, pages: i, records: i * 50, calls: i, elapsed_ms: i * 100 });
    await sleep(20);
    if (state.fetchCancelled) throw cancelledPull("Microsoft Graph pull");
  }
  const outcome = pulledSource(`Entra provisioning logs ${req.app ?? ""} 2026-10-23 .. 2026-11-22`.replace("  ", " "), "entra-graph", 250);
  const job = req.app ? pulledSource(`Entra provisioning job ${req.app} at 2026-11-22`, "entra-job-status", 1) : null;
  return {
    since: "2026-10-23T12:00:00Z", until: "2026-11-22T12:00:00Z", clamped: false, incremental: false,
    service_principal: req.app ? "29f68db3-1000-46bf-a940-f5ea3ecc39e7" : null, app_name: req.app,
    stats: { graph: "https://graph.microsoft.com/v1.0", filter: "activityDateTime ge 2026-10-23T12:00:00Z", pages: 5, records_read: 250, jobs_read: job ? 1 : 0, calls: 5, throttled: 0, waited_ms: 0, seconds: 0.8 },
    new_records: 250, already_held: 0, outcome, job_outcome: job, entities: entities.length,
  };
}

/** CloudTrail's two event sources, paged; an endpoint naming "unreachable" fails as the SDK
 * does, "slow" leaves time to cancel, "again" finds every event already held. */
async function pullCloudTrail(req: PullCloudTrailReq, channel: ChannelArg): Promise<PullCloudTrailRes> {
  state.fetchCancelled = false;
  const endpoint = req.endpoint_url ?? `https://cloudtrail.${req.region ?? "eu-west-1"}.amazonaws.com`;
  if (endpoint.includes("unreachable")) {
    throw { code: "AWS", aws: "UNREACHABLE", message: `AWS LookupEvents failed: cannot reach ${endpoint}: connection refused (check --endpoint-url, --region and the network)`, path: null, position: null, expected: null, found: null } satisfies CommandError;
  }
  let index = 0;
  for (const [source, pages] of [["sso-directory.amazonaws.com", 6], ["identitystore.amazonaws.com", 2]] as const) {
    for (let i = 1; i <= pages; i += 1) {
      const message: CloudTrailProgress = { source, pages: index + 1, events: (index + 1) * 50, calls: index + 2, throttled: index >= 3 ? 1 : 0, elapsed_ms: (index + 1) * 100 };
      window.__TAURI_INTERNALS__.runCallback(channel.id, { index, message });
      index += 1;
      await sleep(endpoint.includes("slow") ? 200 : 40);
      if (state.fetchCancelled) throw cancelledPull(`CloudTrail at ${endpoint}`);
    }
  }
  const again = endpoint.includes("again");
  const outcome = again ? null : pulledSource(`CloudTrail LookupEvents ${req.region ?? "eu-west-1"} 2026-11-20 .. 2026-11-22`, "cloudtrail", 400);
  return {
    since: req.since ?? "2026-11-20T08:45:00Z", until: req.until ?? "2026-11-22T12:00:00Z", clamped: false, incremental: req.since === null,
    stats: { region: req.region, endpoint, pages: 8, events_read: 420, scim_events: 380, api_writes: 20, api_reads_skipped: 20, calls: 9, retries: 1, throttled: 1, minimum_calls: 9, seconds: 4.4, rate: 2 },
    new_events: again ? 0 : 400, already_held: again ? 400 : 20, outcome, entities: entities.length,
  };
}

/** Files the user picked in a dialog: as in the Rust side's grants, the only files a command
 * that reads one accepts. */
const granted = new Set<string>();

/** Google's Admin SDK, paged: an admin named "nodelegation" is refused as Google's token
 * endpoint refuses a service account without domain-wide delegation, a domain named "slow"
 * leaves time to cancel. */
async function pullGoogle(req: PullGoogleReq, channel: ChannelArg): Promise<PullGoogleRes> {
  state.fetchCancelled = false;
  if (req.key_file === null) {
    throw { code: "INVALID_ARGUMENT", message: "sign in to Google Workspace: a service account's key file with the administrator it acts for (--key-file, --admin), or an administrator's access token (SCIMLENS_GOOGLE_TOKEN or --token-file)", path: null, position: null, expected: null, found: null } satisfies CommandError;
  }
  if (!granted.has(req.key_file)) {
    throw { code: "INVALID_ARGUMENT", message: `${req.key_file} was not chosen by the user: the app reads only files picked in its dialog or dropped on its window`, path: null, position: null, expected: null, found: null } satisfies CommandError;
  }
  if (req.admin?.startsWith("nodelegation")) {
    throw idpError("Google Workspace (Admin SDK)", "ACCESS_DENIED", `the service account scimlens@acme.iam.gserviceaccount.com may not act for ${req.admin}: in the Admin console, Security > Access and data control > API controls > Domain-wide delegation, add its client id [HTTP 401: unauthorized_client (Client is unauthorized to retrieve access tokens using this method)]`);
  }
  let index = 0;
  const p: GooglePullProgress = { calls: 1, throttled: 0, users: 0, groups: 0, groups_done: 0, memberships: 0 };
  const send = () => window.__TAURI_INTERNALS__.runCallback(channel.id, { index: index++, message: { ...p } });
  const step = async () => {
    send();
    await sleep(req.domain?.includes("slow") ? 200 : 30);
    if (state.fetchCancelled) throw cancelledPull("Google Workspace (Admin SDK) at https://admin.googleapis.com");
  };
  for (let page = 1; page <= 3; page += 1) {
    Object.assign(p, { calls: p.calls + 1, users: page * 100 });
    await step();
  }
  Object.assign(p, { calls: p.calls + 1, groups: 4, throttled: 1 });
  await step();
  for (let g = 1; g <= 4; g += 1) {
    Object.assign(p, { calls: p.calls + 1, groups_done: g, memberships: g * 20 });
    await step();
  }
  const label = `Google Workspace ${req.domain ?? req.customer ?? "my_customer"} (Admin SDK, as ${req.admin ?? "the signed-in administrator"})`;
  const directory: DirectoryInfo = {
    ...directoryInfo(directoryList().length + 1, label),
    idp: "google",
    formats: ["google-api-users", "google-api-groups", "google-api-members"],
    users: 300, groups: 4, memberships: 80, warnings: [],
  };
  directoryList().push(directory);
  return { directory, calls: p.calls, throttled: p.throttled, seconds: 2.3 };
}

/** The store between two snapshots, as the core answers it: alice deleted and created again
 * (her old id still holds two assignments; CloudTrail logged the delete, Entra the create), a
 * group renamed, and a user whose externalId moved; one evidence line carries markup. */
function diffSnapshots(from: number | null, to: number | null): SnapshotDiff {
  const list = snapshotList();
  const newer = to === null ? list[list.length - 1] : list.find((x) => x.id === to);
  const older = from === null ? list[list.length - 2] : list.find((x) => x.id === from);
  if (!newer || !older) {
    throw { code: "INVALID_ARGUMENT", message: `comparing over time needs two store snapshots; the workspace has ${list.length}`, path: null, position: null, expected: null, found: null } satisfies CommandError;
  }
  const ref = (id: string, name: string) => ({ id, name, display_name: null, external_id: null, email: null });
  const between = { after: older.taken_at, before: "2026-11-23 09:00:00 UTC" };
  return {
    from: older, to: { ...newer, taken_at: between.before },
    users: { added: [ref("9067a6b1c2-new-alice", "alice@contoso.com")], removed: [ref("9067a6b1c2-old-alice", "alice@contoso.com")], changed: [], unchanged: 4 },
    groups: { added: [], removed: [], changed: [{ object: ref("9067a6b1c2-g-eng", "Engineering"), differences: [{ attribute: "displayName", idp: "Eng", store: "Engineering", note: null }] }], unchanged: 1 },
    memberships_compared: true,
    memberships_added: [{ group_id: "9067a6b1c2-g-eng", group: "Engineering", user_id: "9067a6b1c2-new-alice", user: "alice@contoso.com" }],
    memberships_removed: [{ group_id: "9067a6b1c2-g-eng", group: "Engineering", user_id: "9067a6b1c2-old-alice", user: "alice@contoso.com" }],
    identity_changes: [
      {
        kind: "user", change: "recreated", name: "alice@contoso.com", old_id: "9067a6b1c2-old-alice", new_id: "9067a6b1c2-new-alice", matched_on: "externalId",
        differences: [], ...between,
        assignments: ["111122223333 AdministratorAccess", "444455556666 ReadOnlyAccess"],
        evidence: [
          "2026-11-22 14:02:11 UTC DeleteUser Success of 9067a6b1c2-old-alice (cloudtrail-2026-11-22.json #41)",
          `2026-11-22 14:05:40 UTC Create ${XSS} Success of 9067a6b1c2-new-alice (entra-provisioning.json #7)`,
        ],
      },
      {
        kind: "group", change: "renamed", name: "Engineering", old_id: "9067a6b1c2-g-eng", new_id: "9067a6b1c2-g-eng", matched_on: null,
        differences: [{ attribute: "displayName", idp: "Eng", store: "Engineering", note: null }], ...between, assignments: [], evidence: [],
      },
      {
        kind: "user", change: "anchor_moved", name: "bob@contoso.com", old_id: "9067a6b1c2-bob", new_id: "9067a6b1c2-bob", matched_on: null,
        differences: [{ attribute: "externalId", idp: "ext-bob", store: "ext-bob-2", note: null }], ...between, assignments: [], evidence: [],
      },
    ],
  };
}

async function fetchStore(req: FetchStoreReq, channel: ChannelArg): Promise<FetchStoreRes> {
  state.fetchCancelled = false;
  state.fetches.push(req);
  const base: FetchProgress = { phase: "connecting", identity_store_id: null, calls: 0, retries: 0, throttled: 0, users: 0, groups: 0, memberships: 0, groups_done: 0, groups_total: null, elapsed_ms: 0, rate: 0 };
  sendFetch(channel, 0, base);
  await sleep(100);
  if (req.endpoint_url?.includes("unreachable")) {
    throw { code: "AWS", aws: "UNREACHABLE", message: `AWS ListUsers failed: cannot reach ${req.endpoint_url}: connection refused (check --endpoint-url, --region and the network)`, path: null, position: null, expected: null, found: null } satisfies CommandError;
  }
  const slow = req.endpoint_url?.includes("slow") ?? false;
  for (let i = 0; i <= 20; i += 1) {
    sendFetch(channel, i + 1, { ...base, phase: "listing", identity_store_id: "d-1234567890", calls: 2 + i, users: 6, groups: 20, memberships: i * 3, groups_done: i, groups_total: 20, elapsed_ms: (i + 1) * 100, rate: 18.5 });
    await sleep(slow ? 200 : 20);
    if (state.fetchCancelled) throw { code: "CANCELLED", message: "import of identity store d-1234567890 cancelled; the workspace is unchanged", path: "identity store d-1234567890", position: null, expected: null, found: null } satisfies CommandError;
  }
  const snapshot = snapshotInfo(snapshotList().length + 1, "fetch", "https://identitystore.eu-west-1.amazonaws.com");
  snapshotList().push(snapshot);
  return {
    snapshot,
    stats: {
      identity_store_id: "d-1234567890", region: req.region, endpoint: "https://identitystore.eu-west-1.amazonaws.com", users: 6, groups: 20, memberships: 60,
      calls: 23, calls_list_instances: 1, calls_list_users: 1, calls_list_groups: 1, calls_list_group_memberships: 20, retries: 0, throttled: 0,
      minimum_calls: 23, seconds: 1.2, rate: 19, warnings: [],
    },
  };
}

const fetchChoices: FetchChoices = {
  profiles: [{ name: "prod-sso", region: "eu-west-1", sso: true }, { name: "audit", region: null, sso: false }],
  regions: ["us-east-1", "eu-west-1", "eu-central-1"],
};

mockWindows("main");
mockIPC(
  async (cmd, args) => {
    const a = (args ?? {}) as Record<string, unknown>;
    state.calls.push({ cmd, args: JSON.parse(JSON.stringify(a, (k, v) => (k === "onProgress" ? "[channel]" : v))) });
    switch (cmd) {
      case "app_info":
        return {
          version: "0.1.0",
          workspace: state.demo
            ? { path: "/data/demo/demo.sqlite", name: "demo", demo: true, ...(state.notice ? { notice: state.notice } : {}) }
            : { path: "/cases/acme.sqlite", name: "acme", demo: false },
          recent: [{ path: "/cases/acme.sqlite", name: "acme", exists: true }, { path: "/cases/gone.sqlite", name: "gone", exists: false }],
          e2e: false,
        } satisfies AppInfo;
      case "app_ready":
        return 123;
      case "categories":
        return categories;
      case "overview":
        return overview();
      case "sources":
        return sources;
      case "root_causes":
        return causes();
      case "problems_page":
        return page(a.query as ProblemQuery);
      case "entity":
        return entity(a.key as string);
      case "pseudonym_key":
        return "0123456789abcdef0123456789abcdef";
      case "import_files":
        return importFiles(a.paths as string[], a.onProgress as ChannelArg);
      case "cancel_import":
        state.cancelled = true;
        return null;
      case "open_workspace":
        state.demo = false;
        return { path: a.path, name: "acme", demo: false };
      case "open_demo":
        state.demo = true;
        return { path: "/data/demo/demo.sqlite", name: "demo", demo: true };
      case "forget_recent":
        return [];
      case "export_report": {
        const req = a.req as ExportReq;
        state.exports.push(req);
        return { path: req.path, bytes: 4096, entities: entities.length } satisfies ExportRes;
      }
      case "fetch_choices":
        return fetchChoices;
      case "fetch_store":
        return fetchStore(a.req as FetchStoreReq, a.onProgress as ChannelArg);
      case "cancel_fetch":
        state.fetchCancelled = true;
        return null;
      case "pull_okta":
        return pullOkta(a.req as PullOktaReq, a.onProgress as ChannelArg);
      case "pull_entra":
        return pullEntra(a.req as PullEntraReq, a.onProgress as ChannelArg);
      case "pull_cloudtrail":
        return pullCloudTrail(a.req as PullCloudTrailReq, a.onProgress as ChannelArg);
      case "pull_google_directory":
        return pullGoogle(a.req as PullGoogleReq, a.onProgress as ChannelArg);
      case "import_store_files": {
        const snapshot = snapshotInfo(snapshotList().length + 1, "file", (a.paths as string[]).join(", "));
        snapshotList().push(snapshot);
        return snapshot;
      }
      case "import_directory": {
        const paths = a.paths as string[];
        if (paths.some((p) => p.includes("not-a-directory"))) {
          throw { code: "UNKNOWN_FORMAT", message: `${paths[0]}: not a directory export scimlens recognises`, path: paths[0] ?? null, position: null, expected: null, found: null } satisfies CommandError;
        }
        const directory = directoryInfo(directoryList().length + 1, paths.join(", "));
        directoryList().push(directory);
        return directory;
      }
      // Copies, as over the real IPC: a list is never the object a later import changes.
      case "snapshots":
        return structuredClone(snapshotList());
      case "directories":
        return structuredClone(directoryList());
      case "compare_store":
        return compareSection((a.req as { include_in_sync: boolean }).include_in_sync);
      case "diff_snapshots":
        return diffSnapshots((a.from as number | null | undefined) ?? null, (a.to as number | null | undefined) ?? null);
      case "preflight_export":
        return preflight(a.req as PreflightReq);
      case "store_objects":
        return storeObjects(a.query as string);
      // The dialogs are the Rust side's: what the user picks there is what the page gets.
      case "pick_files": {
        const picked = state.dialogOpen === null ? null : [state.dialogOpen].flat();
        picked?.forEach((path) => granted.add(path));
        return picked;
      }
      case "pick_workspace":
        return typeof state.dialogOpen === "string" ? state.dialogOpen : null;
      case "pick_new_workspace":
      case "pick_export_path":
        return state.dialogSave;
      default:
        throw { code: "INVALID_ARGUMENT", message: `mock: no command ${cmd}`, path: null, position: null, expected: null, found: null } satisfies CommandError;
    }
  },
  { shouldMockEvents: true },
);
