// A mocked backend for browser tests of the built UI: the real @tauri-apps/api mocks
// (mockIPC, mockWindows) answering every command with typed data. Bundled into an IIFE by
// run.mjs and injected before the app loads. Types come from src/bindings, so a changed Rust
// type breaks this file at type-check time instead of silently drifting.
import { mockIPC, mockWindows } from "@tauri-apps/api/mocks";

import type { AppInfo } from "../../src/bindings/AppInfo";
import type { Category } from "../../src/bindings/Category";
import type { CategoryInfo } from "../../src/bindings/CategoryInfo";
import type { CommandError } from "../../src/bindings/CommandError";
import type { EntityDetail } from "../../src/bindings/EntityDetail";
import type { EntityKind } from "../../src/bindings/EntityKind";
import type { EntityStatus } from "../../src/bindings/EntityStatus";
import type { ExportReq } from "../../src/bindings/ExportReq";
import type { ExportRes } from "../../src/bindings/ExportRes";
import type { ImportFilesRes } from "../../src/bindings/ImportFilesRes";
import type { ImportProgress } from "../../src/bindings/ImportProgress";
import type { Overview } from "../../src/bindings/Overview";
import type { ProblemEntityRow } from "../../src/bindings/ProblemEntityRow";
import type { ProblemPage } from "../../src/bindings/ProblemPage";
import type { ProblemQuery } from "../../src/bindings/ProblemQuery";
import type { RootCauseView } from "../../src/bindings/RootCauseView";
import type { SourceSummary } from "../../src/bindings/SourceSummary";

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
  exports: ExportReq[];
  dialogOpen: string[] | string | null;
  dialogSave: string | null;
  demo: boolean;
}

declare global {
  interface Window {
    __mock: MockState;
    __TAURI_INTERNALS__: { runCallback: (id: number, data: unknown) => void };
  }
}

const state: MockState = { calls: [], cancelled: false, exports: [], dialogOpen: null, dialogSave: null, demo: true };
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
            ? { path: "/data/demo/demo.sqlite", name: "demo", demo: true }
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
      case "plugin:dialog|open":
        return state.dialogOpen;
      case "plugin:dialog|save":
        return state.dialogSave;
      default:
        throw { code: "INVALID_ARGUMENT", message: `mock: no command ${cmd}`, path: null, position: null, expected: null, found: null } satisfies CommandError;
    }
  },
  { shouldMockEvents: true },
);
