// Browser tests: the built UI in Chromium against the mocked backend, one flow per view.
import assert from "node:assert/strict";
import { mkdir } from "node:fs/promises";
import { after, before, describe, test } from "node:test";

import { start } from "./harness.mjs";

let env;
const shots = new URL("../../test-results/", import.meta.url);

before(async () => {
  env = await start();
  await mkdir(shots, { recursive: true });
});
after(async () => env?.stop());

const calls = (page, cmd) => page.evaluate((c) => window.__mock.calls.filter((x) => x.cmd === c).map((x) => x.args), cmd);

async function withPage(opts, fn) {
  const { page, problems, close } = await env.open(opts);
  try {
    await fn(page);
    assert.deepEqual(problems, [], "no errors, CSP violations or dialogs");
  } finally {
    await close();
  }
}

describe("overview", () => {
  test("launch shows the demo label, alerts above totals, and both charts", () =>
    withPage({}, async (page) => {
      await page.getByTestId("demo-label").waitFor();
      await page.getByTestId("view-overview").waitFor();
      const order = await page.evaluate(() => {
        const alerts = document.querySelector("[data-testid=alerts]");
        const totals = document.querySelector("[data-testid=totals]");
        return alerts && totals ? alerts.compareDocumentPosition(totals) & Node.DOCUMENT_POSITION_FOLLOWING : 0;
      });
      assert.ok(order, "connection alerts come before the totals");
      assert.match(await page.getByTestId("alerts").innerText(), /Authentication failure/);
      assert.match(await page.getByTestId("alerts").innerText(), /Silent gap/);
      assert.equal(await page.getByTestId("total-Failing entities").locator(".total-value").innerText(), "4,445");
      await page.locator("[data-testid=category-chart] svg .recharts-bar-rectangle").first().waitFor();
      await page.locator("[data-testid=timeline-chart] svg .recharts-bar-rectangle").first().waitFor();
      assert.ok((await calls(page, "app_ready")).length >= 1, "the UI reports when it is interactive");
      assert.ok(await page.evaluate(() => Object.isFrozen(Object.prototype)), "the page runs with frozen prototypes, as in the app");
      await page.screenshot({ path: new URL("overview.png", shots).pathname });
    }));

  test("clicking a failures bar filters the problems to that cycle", () =>
    withPage({}, async (page) => {
      // Bars of zero height draw nothing: the first bar is the first cycle.
      await page.locator("[data-testid=timeline-chart] svg .recharts-bar-rectangle").first().click();
      await page.getByTestId("view-problems").waitFor();
      await page.getByTestId("range-chip").waitFor();
      const queries = await calls(page, "problems_page");
      const last = queries[queries.length - 1].query;
      assert.equal(last.from, Date.UTC(2026, 10, 20, 8, 57));
      assert.ok(last.to > last.from);
    }));

  test("clicking a category bar filters the problems by category", () =>
    withPage({}, async (page) => {
      await page.locator("[data-testid=category-chart] svg .recharts-bar-rectangle").first().click();
      await page.getByTestId("view-problems").waitFor();
      const queries = await calls(page, "problems_page");
      assert.equal(queries[queries.length - 1].query.categories.length, 1);
    }));
});

describe("problems", () => {
  test("root causes come first, largest first, and expand to their fix and entities", () =>
    withPage({}, async (page) => {
      await page.getByTestId("nav-problems").click();
      const counts = await page.getByTestId("cause-count").allInnerTexts();
      const numbers = counts.map((c) => Number(c.replace(/,/g, "")));
      assert.deepEqual(numbers, [...numbers].sort((a, b) => b - a));
      const first = page.getByTestId("root-cause").first();
      await first.locator(".cause-head").click();
      await first.getByText("Fix", { exact: true }).waitFor();
      await first.locator(".cause-entities button").first().waitFor();
      await page.screenshot({ path: new URL("problems.png", shots).pathname, fullPage: true });
      await first.locator(".cause-entities button").first().click();
      await page.getByTestId("view-entity").waitFor();
    }));

  test("the table is virtualized and pages from the backend as it scrolls", () =>
    withPage({}, async (page) => {
      await page.getByTestId("nav-problems").click();
      await page.getByTestId("problem-row").first().waitFor();
      assert.equal(await page.getByTestId("problem-total").innerText(), "5,000 entities");
      const rendered = await page.locator("[role=row][aria-rowindex]").count();
      assert.ok(rendered < 80, `only visible rows are in the DOM (${rendered})`);
      await page.getByTestId("problem-rows").evaluate((el) => (el.scrollTop = 34 * 3000));
      await page.locator("[aria-rowindex='3001'][data-testid=problem-row]").waitFor();
      const offsets = (await calls(page, "problems_page")).map((a) => a.query.offset);
      assert.ok(offsets.some((o) => o >= 2800), `a later page was fetched (${offsets})`);
    }));

  test("search, a kind filter and sorting go to the backend", () =>
    withPage({}, async (page) => {
      await page.getByTestId("nav-problems").click();
      await page.getByTestId("problem-search").fill("alice");
      await page.waitForFunction(() => document.querySelector("[data-testid=problem-total]")?.textContent === "1 entity");
      assert.equal(await page.getByTestId("problem-row").first().locator(".name-text").innerText(), "alice@contoso.com");
      await page.getByTestId("clear-filters").click();
      await page.getByRole("button", { name: "group", exact: true }).click();
      await page.waitForFunction(() => document.querySelector("[data-testid=problem-total]")?.textContent === "1 entity");
      await page.getByTestId("clear-filters").click();
      await page.getByRole("button", { name: /^Name/ }).click();
      await page.waitForFunction(() =>
        document.querySelector("[aria-rowindex='1'] .name-text")?.textContent === "Administrator",
      );
      const last = (await calls(page, "problems_page")).pop().query;
      assert.equal(last.sort, "name");
    }));

  test("keyboard: / searches, arrows move, Enter opens, Alt+Left goes back", () =>
    withPage({}, async (page) => {
      await page.getByTestId("view-overview").waitFor();
      await page.keyboard.press("/");
      await page.getByTestId("problem-search").waitFor();
      await page.waitForFunction(() => document.activeElement?.id === "problem-search");
      await page.keyboard.press("ArrowDown");
      await page.getByTestId("problem-row").first().waitFor();
      await page.keyboard.press("ArrowDown");
      await page.keyboard.press("ArrowDown");
      assert.equal(await page.locator("[aria-selected=true]").getAttribute("aria-rowindex"), "3");
      await page.keyboard.press("Enter");
      await page.getByTestId("view-entity").waitFor();
      await page.keyboard.press("Alt+ArrowLeft");
      await page.getByTestId("view-problems").waitFor();
      await page.keyboard.press("Control+1");
      await page.getByTestId("view-sources").waitFor();
    }));
});

describe("entity", () => {
  test("shows the timeline, AWS error, fix and the raw record pretty-printed as text", () =>
    withPage({}, async (page) => {
      await page.getByTestId("nav-problems").click();
      await page.getByTestId("problem-search").fill("xss.probe");
      await page.waitForFunction(() => document.querySelector("[data-testid=problem-total]")?.textContent === "1 entity");
      await page.getByTestId("problem-row").first().click();
      await page.getByTestId("view-entity").waitFor();
      assert.equal(await page.getByTestId("entity-name").innerText(), "xss.probe@contoso.com");
      assert.equal(await page.getByTestId("attempt").count(), 2);
      await page.getByTestId("entity-explain").getByText("Fix", { exact: true }).waitFor();
      const raw = await page.getByTestId("raw-record").first().innerText();
      assert.match(raw, /\n {2}"sourceIdentity": \{/, "pretty-printed");
      assert.ok(raw.includes("<img src=x onerror=alert(1)>"), "markup shown literally");
      assert.ok((await page.getByTestId("attributes").innerText()).includes("<img src=x onerror=alert(1)>"));
      assert.equal(await page.locator("img[src=x]").count(), 0, "no element was created from log text");
      assert.match(await page.getByTestId("attributes").innerText(), /"" \(empty string\)/);
      await page.screenshot({ path: new URL("entity.png", shots).pathname, fullPage: true });
    }));
});

describe("access", () => {
  test("the overview counts what failures put at stake; its click sorts problems by access; the entity shows its access", () =>
    withPage({}, async (page) => {
      const card = page.getByTestId("access-overview");
      await card.waitFor();
      assert.match(await card.innerText(), /store snapshot #2/i);
      assert.equal(await card.getByTestId("total-Orphaned assignments").locator(".total-value").innerText(), "1");
      await card.getByTestId("total-Failing entities holding access").click();
      await page.getByTestId("view-problems").waitFor();
      const queries = await calls(page, "problems_page");
      const last = queries[queries.length - 1].query;
      assert.equal(last.sort, "access");
      assert.deepEqual(last.statuses, ["failing"]);
      const first = page.getByTestId("problem-row").first();
      await page.waitForFunction(() => document.querySelector("[data-testid=problem-row]")?.textContent?.includes("alice@contoso.com"));
      assert.match(await first.innerText(), /2 PS \/ 2 acct/);
      await first.click();
      const panel = page.getByTestId("entity-access");
      await panel.waitFor();
      assert.equal(await page.getByTestId("entity-access-summary").innerText(), "2 permission sets in 2 accounts");
      const text = await panel.innerText();
      assert.match(text, /Production/);
      assert.match(text, /AdministratorAccess/);
      assert.match(text, /group Finance-Analysts/);
      assert.match(text, /direct assignment/);
      await page.screenshot({ path: new URL("entity-access.png", shots).pathname, fullPage: true });
    }));
});

describe("sources", () => {
  test("import by dialog shows progress with records/s, then the outcome", () =>
    withPage({}, async (page) => {
      await page.getByTestId("nav-sources").click();
      await page.evaluate(() => (window.__mock.dialogOpen = ["/logs/cloudtrail/records.json"]));
      await page.getByRole("button", { name: "Import files…" }).click();
      await page.getByTestId("import-running").waitFor();
      await page.waitForFunction(() => /5,000 records\/s/.test(document.querySelector("[data-testid=import-rate]")?.textContent ?? ""));
      await page.getByTestId("import-done").waitFor();
      assert.match(await page.getByTestId("sources-table").innerText(), /records\.json/);
      assert.deepEqual((await calls(page, "import_files"))[0].paths, ["/logs/cloudtrail/records.json"]);
    }));

  test("a broken file shows the file, position and expectation, and nothing is lost", () =>
    withPage({}, async (page) => {
      await page.getByTestId("nav-sources").click();
      const before = await page.getByTestId("sources-table").locator("tbody tr").count();
      await page.evaluate(() => (window.__mock.dialogOpen = ["/logs/bad/truncated.json"]));
      await page.getByRole("button", { name: "Import files…" }).click();
      const box = page.getByTestId("error-box");
      await box.waitFor();
      const text = await box.innerText();
      assert.match(text, /truncated\.json/);
      assert.match(text, /line 1, column 18673/);
      assert.match(text, /a JSON value/);
      assert.match(text, /workspace holds exactly what it held before/);
      assert.equal(await page.getByTestId("sources-table").locator("tbody tr").count(), before);
      await page.screenshot({ path: new URL("import-error.png", shots).pathname, fullPage: true });
    }));

  test("a running import can be cancelled", () =>
    withPage({}, async (page) => {
      await page.getByTestId("nav-sources").click();
      await page.evaluate(() => (window.__mock.dialogOpen = ["/logs/slow.json"]));
      await page.getByRole("button", { name: "Import files…" }).click();
      await page.getByTestId("import-running").waitFor();
      await page.getByRole("button", { name: "Cancel" }).click();
      await page.getByTestId("import-failed").getByText("Import cancelled").waitFor();
      assert.equal((await calls(page, "cancel_import")).length, 1);
    }));

  test("files dropped on the window are imported", () =>
    withPage({}, async (page) => {
      await page.getByTestId("view-overview").waitFor();
      // The webview's own drop event only ends the hover; the import starts from the files the
      // Rust side granted and handed over.
      await page.evaluate(() =>
        window.__TAURI_INTERNALS__.invoke("plugin:event|emit", {
          event: "tauri://drag-drop",
          payload: { paths: ["/logs/a.json", "/logs/b.jsonl"], position: { x: 10, y: 10 } },
        }),
      );
      await page.waitForTimeout(100);
      assert.equal((await calls(page, "import_files")).length, 0, "a drop event from the page imports nothing");
      await page.evaluate(() =>
        window.__TAURI_INTERNALS__.invoke("plugin:event|emit", { event: "files-dropped", payload: ["/logs/a.json", "/logs/b.jsonl"] }),
      );
      await page.getByTestId("view-sources").waitFor();
      await page.getByTestId("import-done").waitFor();
      assert.deepEqual((await calls(page, "import_files"))[0].paths, ["/logs/a.json", "/logs/b.jsonl"]);
    }));

  test("opening a recent workspace replaces the demo", () =>
    withPage({}, async (page) => {
      await page.getByTestId("nav-sources").click();
      await page.getByRole("button", { name: "acme", exact: true }).click();
      await page.getByTestId("workspace-name").waitFor();
      assert.equal(await page.getByTestId("workspace-name").innerText(), "acme");
      assert.ok(await page.getByRole("button", { name: "gone", exact: true }).isDisabled(), "a missing file cannot be opened");
    }));
});

describe("export", () => {
  test("exports the chosen format through the save dialog, pseudonymized with the workspace key", () =>
    withPage({}, async (page) => {
      await page.getByTestId("nav-export").click();
      await page.evaluate(() => (window.__mock.dialogSave = "/tmp/report.csv"));
      await page.getByTestId("format-csv").check();
      await page.getByTestId("pseudonymize").check();
      await page.getByRole("button", { name: "Export CSV…" }).click();
      await page.getByTestId("export-done").waitFor();
      const [req] = await page.evaluate(() => window.__mock.exports);
      assert.deepEqual(req, { format: "csv", path: "/tmp/report.csv", pseudonymize: true, key: "0123456789abcdef0123456789abcdef" });
    }));

  test("a cancelled save dialog exports nothing", () =>
    withPage({}, async (page) => {
      await page.getByTestId("nav-export").click();
      await page.getByRole("button", { name: "Export HTML…" }).click();
      await page.waitForTimeout(200);
      assert.equal((await page.evaluate(() => window.__mock.exports)).length, 0);
    }));
});

describe("theme", () => {
  test("dark mode follows the OS", () =>
    withPage({ colorScheme: "dark" }, async (page) => {
      await page.getByTestId("view-overview").waitFor();
      const bg = await page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
      assert.equal(bg, "rgb(17, 23, 30)");
      await page.screenshot({ path: new URL("overview-dark.png", shots).pathname });
    }));
});

/** Starts in a workspace of the user's (not the demo, which holds a snapshot and a directory
 * export like the real one): the identity-store side is empty. */
const IN_A_CASE_FILE = () => {
  window.__mock.demo = false;
};

/** Imports a store snapshot and a directory export through the dialogs, from the Sources view. */
async function importBothSides(page) {
  await page.getByTestId("nav-sources").click();
  await page.evaluate(() => (window.__mock.dialogOpen = ["/aws/list-users.json", "/aws/list-groups.json", "/aws/list-group-memberships.json"]));
  await page.getByRole("button", { name: "Import store snapshot…" }).click();
  await page.getByTestId("store-imported").waitFor();
  await page.evaluate(() => (window.__mock.dialogOpen = ["/idp/entra-graph-users.json", "/idp/entra-graph-groups.json"]));
  await page.getByRole("button", { name: "Import directory export…" }).click();
  await page.getByTestId("directory-imported").waitFor();
}

describe("launch", () => {
  test("a last workspace that no longer opens shows the demo, says why, and leads to Sources", () =>
    withPage(
      {
        setup: () => {
          window.__mock.notice =
            "The workspace you had open last, /cases/notes.sqlite, did not open: /cases/notes.sqlite is not a scimlens workspace (not an SQLite database); it was not modified. You are looking at the demo; open another workspace under Sources.";
        },
      },
      async (page) => {
        const alert = page.getByRole("alert").filter({ hasText: "did not open" });
        await alert.waitFor();
        assert.match(await alert.innerText(), /notes\.sqlite is not a scimlens workspace/);
        await alert.getByRole("button", { name: "Open another workspace" }).click();
        await page.getByRole("button", { name: "Open the demo" }).or(page.getByText("Demo workspace")).first().waitFor();
      },
    ));
});

describe("identity store", () => {
  test("store snapshot and directory export import through the dialog and are listed", () =>
    withPage({ setup: IN_A_CASE_FILE }, async (page) => {
      await importBothSides(page);
      assert.match(await page.getByTestId("snapshots-table").innerText(), /d-1234567890/);
      assert.match(await page.getByTestId("directories-table").innerText(), /entra/);
      assert.deepEqual((await calls(page, "import_store_files"))[0].paths, ["/aws/list-users.json", "/aws/list-groups.json", "/aws/list-group-memberships.json"]);
      await page.evaluate(() => (window.__mock.dialogOpen = ["/idp/not-a-directory.txt"]));
      await page.getByRole("button", { name: "Import directory export…" }).click();
      await page.getByTestId("error-box").getByText("not a directory export").waitFor();
      assert.equal(await page.getByTestId("directories-table").locator("tbody tr").count(), 1, "nothing of the bad file was kept");
    }));

  test("fetch dialog: profile and region pickers, progress, then the stored snapshot", () =>
    withPage({}, async (page) => {
      await page.getByTestId("nav-sources").click();
      await page.getByTestId("open-fetch").click();
      await page.getByTestId("fetch-dialog").waitFor();
      await page.getByTestId("fetch-profile").locator("option", { hasText: "prod-sso" }).waitFor({ state: "attached" });
      await page.getByTestId("fetch-profile").selectOption("prod-sso");
      assert.equal(await page.getByTestId("fetch-region").inputValue(), "eu-west-1", "the profile's region is offered");
      await page.getByTestId("fetch-region").selectOption("eu-central-1");
      await page.getByTestId("fetch-store-id").fill("d-1234567890");
      await page.getByTestId("fetch-start").click();
      await page.getByTestId("fetch-running").waitFor();
      await page.waitForFunction(() => {
        const bar = document.querySelector("[data-testid=fetch-running] progress");
        return bar !== null && bar.hasAttribute("value") && Number(bar.getAttribute("value")) > 0;
      });
      assert.match(await page.getByTestId("fetch-phase").innerText(), /Listing memberships: \d+ of 20 groups/);
      assert.match(await page.getByTestId("fetch-rate").innerText(), /18\.5 calls\/s/);
      await page.getByTestId("fetch-done").waitFor();
      assert.match(await page.getByTestId("fetch-done").innerText(), /6 users, 20 groups, 60 memberships/);
      const [req] = await page.evaluate(() => window.__mock.fetches);
      assert.deepEqual(req, { profile: "prod-sso", region: "eu-central-1", identity_store_id: "d-1234567890", endpoint_url: null, rate: null, concurrency: null });
      await page.getByTestId("fetch-done").getByRole("button", { name: "Close" }).click();
      assert.match(await page.getByTestId("snapshots-table").innerText(), /fetched/);
    }));

  test("a running fetch can be cancelled and stores nothing", () =>
    withPage({ setup: IN_A_CASE_FILE }, async (page) => {
      await page.getByTestId("nav-sources").click();
      await page.getByTestId("open-fetch").click();
      await page.getByText("Advanced").click();
      await page.getByTestId("fetch-endpoint").fill("http://slow.test");
      await page.getByTestId("fetch-start").click();
      await page.getByTestId("fetch-running").waitFor();
      await page.getByTestId("fetch-cancel").click();
      await page.getByTestId("fetch-cancelled").waitFor();
      assert.equal((await calls(page, "cancel_fetch")).length, 1);
      await page.keyboard.press("Escape");
      await page.getByTestId("fetch-dialog").waitFor({ state: "detached" });
      assert.equal(await page.getByTestId("snapshots-table").count(), 0, "no snapshot");
    }));

  test("an unreachable endpoint shows the AWS error and what to check", () =>
    withPage({}, async (page) => {
      await page.getByTestId("nav-sources").click();
      await page.getByTestId("open-fetch").click();
      await page.getByText("Advanced").click();
      await page.getByTestId("fetch-endpoint").fill("http://unreachable.test:9");
      await page.getByTestId("fetch-start").click();
      const box = page.getByTestId("fetch-failed").getByTestId("error-box");
      await box.waitFor();
      const text = await box.innerText();
      assert.match(text, /AWS request failed/);
      assert.match(text, /cannot reach http:\/\/unreachable\.test:9/);
      assert.match(text, /Nothing was stored\. Check the region, the endpoint URL/);
      await page.getByTestId("fetch-failed").getByRole("button", { name: "Back" }).click();
      await page.getByTestId("fetch-start").waitFor();
    }));

  test("the fetch dialog pulls Okta's System Log: a refused token says what to do, then the new source", () =>
    withPage({}, async (page) => {
      await page.getByTestId("nav-sources").click();
      await page.getByTestId("open-fetch").click();
      await page.getByTestId("fetch-source-okta").check();
      await page.getByTestId("pull-okta-org").fill("https://example.okta.com");
      await page.getByTestId("pull-okta-token").fill("00expired-token");
      await page.getByTestId("pull-okta-start").click();
      const box = page.getByTestId("pull-failed").getByTestId("error-box");
      await box.waitFor();
      const text = await box.innerText();
      assert.match(text, /Identity provider request failed/);
      assert.match(text, /HTTP 401 \(E0000011: Invalid token provided\)/);
      assert.match(text, /Nothing was stored\. The token was refused: create a new API token under Security > API > Tokens/);
      await page.getByTestId("pull-failed").getByRole("button", { name: "Back" }).click();
      assert.equal(await page.getByTestId("pull-okta-token").inputValue(), "", "the page does not keep the token");
      await page.getByTestId("pull-okta-token").fill("00mock-idp-token");
      await page.getByTestId("pull-okta-start").click();
      await page.getByTestId("pull-done").waitFor();
      assert.match(await page.getByTestId("pull-done").innerText(), /1,000 new records from Okta/);
      assert.match(await page.getByTestId("pull-outcome").innerText(), /Imported as Okta System Log example\.okta\.com/);
      await page.getByTestId("pull-done").getByRole("button", { name: "Close" }).click();
      await page.getByTestId("fetch-dialog").waitFor({ state: "detached" });
      assert.match(await page.locator("body").innerText(), /Okta System Log example\.okta\.com/, "the new source is listed");
    }));

  test("an Entra pull signing in with a device code shows the code, then stores the logs and the job status", () =>
    withPage({}, async (page) => {
      await page.getByTestId("nav-sources").click();
      await page.getByTestId("open-fetch").click();
      await page.getByTestId("fetch-source-entra").check();
      await page.getByTestId("pull-entra-app").fill("AWS IAM Identity Center");
      await page.getByTestId("pull-entra-client-id").fill("c0ffee00-0000-4000-8000-000000000001");
      await page.getByTestId("pull-entra-start").click();
      await page.getByTestId("pull-sign-in").waitFor();
      assert.equal(await page.getByTestId("pull-user-code").innerText(), "FGHJ-KLMN");
      assert.equal(await page.getByTestId("fetch-source").count(), 0, "no switching source while a pull runs");
      await page.getByTestId("pull-done").waitFor();
      const outcomes = await page.getByTestId("pull-outcome").allInnerTexts();
      assert.equal(outcomes.length, 2, "the logs and the job status");
      const [req] = (await calls(page, "pull_entra")).map((a) => a.req);
      assert.equal(req.token, null);
      assert.equal(req.client_id, "c0ffee00-0000-4000-8000-000000000001");
    }));

  test("a running Okta pull can be cancelled and stores nothing", () =>
    withPage({}, async (page) => {
      await page.getByTestId("nav-sources").click();
      await page.getByTestId("open-fetch").click();
      await page.getByTestId("fetch-source-okta").check();
      await page.getByTestId("pull-okta-org").fill("https://slow.okta.com");
      await page.getByTestId("pull-okta-token").fill("00mock-idp-token");
      await page.getByTestId("pull-okta-start").click();
      await page.getByTestId("pull-running").waitFor();
      await page.getByTestId("pull-cancel").click();
      await page.getByTestId("pull-cancelled").waitFor();
      assert.equal((await calls(page, "cancel_fetch")).length, 1);
    }));

  test("the fetch dialog pulls CloudTrail beside the identity store: the profile's pickers, pages and throttling as they come, then the new and already-held events", () =>
    withPage({}, async (page) => {
      await page.getByTestId("nav-sources").click();
      await page.getByTestId("open-fetch").click();
      await page.getByTestId("fetch-source-cloudtrail").check();
      await page.getByTestId("pull-cloudtrail-profile").locator("option", { hasText: "prod-sso" }).waitFor({ state: "attached" });
      await page.getByTestId("pull-cloudtrail-profile").selectOption("prod-sso");
      assert.equal(await page.getByTestId("pull-cloudtrail-region").inputValue(), "eu-west-1", "the profile's region is offered");
      await page.getByTestId("pull-cloudtrail-since").fill("7d");
      await page.getByTestId("pull-cloudtrail-start").click();
      await page.getByTestId("pull-running").waitFor();
      await page.waitForFunction(() => /throttled, retried/.test(document.querySelector("[data-testid=pull-counts]")?.textContent ?? ""));
      assert.match(await page.getByTestId("pull-counts").innerText(), /\d+ pages\s+\d+ events\s+\d+ calls/);
      assert.match(await page.getByTestId("pull-phase").innerText(), /Reading (sso-directory|identitystore)\.amazonaws\.com/);
      await page.getByTestId("pull-done").waitFor();
      const done = await page.getByTestId("pull-done").innerText();
      assert.match(done, /400 new events from CloudTrail, 20 already held; 8 pages, 9 calls in 4\.4 s, 1 throttled/);
      assert.match(await page.getByTestId("pull-outcome").innerText(), /Imported as CloudTrail LookupEvents eu-west-1/);
      const [req] = (await calls(page, "pull_cloudtrail")).map((a) => a.req);
      assert.deepEqual(req, { profile: "prod-sso", region: "eu-west-1", endpoint_url: null, since: "7d", until: null });
      await page.getByTestId("pull-done").getByRole("button", { name: "Close" }).click();
      await page.getByTestId("fetch-dialog").waitFor({ state: "detached" });
      assert.match(await page.locator("body").innerText(), /CloudTrail LookupEvents eu-west-1/, "the new source is listed");
    }));

  test("a CloudTrail pull with nothing new stores nothing and says so", () =>
    withPage({}, async (page) => {
      await page.getByTestId("nav-sources").click();
      await page.getByTestId("open-fetch").click();
      await page.getByTestId("fetch-source-cloudtrail").check();
      await page.getByText("Advanced").click();
      await page.getByTestId("pull-cloudtrail-endpoint").fill("http://again.test");
      await page.getByTestId("pull-cloudtrail-start").click();
      await page.getByTestId("pull-done").waitFor();
      const done = await page.getByTestId("pull-done").innerText();
      assert.match(done, /0 new events from CloudTrail, 400 already held/);
      assert.match(done, /Nothing new: nothing stored/);
      assert.match(await page.getByTestId("pull-window").innerText(), /after the newest event held/);
      assert.equal(await page.getByTestId("pull-outcome").count(), 0);
    }));

  test("a running CloudTrail pull can be cancelled, and an unreachable endpoint gets the AWS fetch's advice", () =>
    withPage({}, async (page) => {
      await page.getByTestId("nav-sources").click();
      await page.getByTestId("open-fetch").click();
      await page.getByTestId("fetch-source-cloudtrail").check();
      await page.getByText("Advanced").click();
      await page.getByTestId("pull-cloudtrail-endpoint").fill("http://slow.test");
      await page.getByTestId("pull-cloudtrail-start").click();
      await page.getByTestId("pull-running").waitFor();
      assert.equal(await page.getByTestId("fetch-source").count(), 0, "no switching source while a pull runs");
      await page.getByTestId("pull-cancel").click();
      await page.getByTestId("pull-cancelled").waitFor();
      assert.equal((await calls(page, "cancel_fetch")).length, 1);
      await page.getByTestId("pull-failed").getByRole("button", { name: "Back" }).click();
      await page.getByText("Advanced").click();
      await page.getByTestId("pull-cloudtrail-endpoint").fill("http://unreachable.test:9");
      await page.getByTestId("pull-cloudtrail-start").click();
      const box = page.getByTestId("pull-failed").getByTestId("error-box");
      await box.waitFor();
      const text = await box.innerText();
      assert.match(text, /cannot reach http:\/\/unreachable\.test:9/);
      assert.match(text, /Nothing was stored\. Check the region, the endpoint URL/);
    }));

  test("the fetch dialog pulls Google Workspace's directory with a picked key file: missing delegation says where to grant it, then users, groups and memberships", () =>
    withPage({}, async (page) => {
      await page.getByTestId("nav-sources").click();
      await page.getByTestId("open-fetch").click();
      await page.getByTestId("fetch-source-google").check();
      assert.equal(await page.getByTestId("pull-google-start").isDisabled(), true, "no pull without a key file");
      await page.evaluate(() => (window.__mock.dialogOpen = "/keys/scimlens-sa.json"));
      await page.getByTestId("pull-google-key").click();
      await page.waitForFunction(() => /scimlens-sa\.json/.test(document.querySelector("[data-testid=pull-google-key-path]")?.textContent ?? ""));
      await page.getByTestId("pull-google-admin").fill("nodelegation@example.com");
      await page.getByTestId("pull-google-start").click();
      const box = page.getByTestId("pull-failed").getByTestId("error-box");
      await box.waitFor();
      const text = await box.innerText();
      assert.match(text, /unauthorized_client/);
      assert.match(text, /Nothing was stored\. In the Admin console, Security > Access and data control > API controls > Domain-wide delegation/);
      await page.getByTestId("pull-failed").getByRole("button", { name: "Back" }).click();
      await page.getByTestId("pull-google-admin").fill("admin@example.com");
      await page.getByTestId("pull-google-domain").fill("example.com");
      assert.equal(await page.getByTestId("pull-google-customer").isDisabled(), true, "a customer or a domain, not both");
      await page.getByTestId("pull-google-start").click();
      await page.getByTestId("pull-running").waitFor();
      await page.waitForFunction(() => /members of [1-4] of 4 groups/.test(document.querySelector("[data-testid=pull-counts]")?.textContent ?? ""));
      await page.getByTestId("pull-done").waitFor();
      assert.match(await page.getByTestId("pull-done").innerText(), /Directory stored \(Google Workspace example\.com \(Admin SDK, as admin@example\.com\)\): 300 users, 4 groups, 80 memberships in 2\.3 s, 9 calls, 1 throttled/);
      const [req] = (await calls(page, "pull_google_directory")).slice(-1).map((a) => a.req);
      assert.deepEqual(req, { key_file: "/keys/scimlens-sa.json", admin: "admin@example.com", customer: null, domain: "example.com", endpoint_url: null });
      await page.getByTestId("pull-done").getByRole("button", { name: "Close" }).click();
      await page.getByTestId("fetch-dialog").waitFor({ state: "detached" });
      assert.match(await page.getByTestId("directories-table").innerText(), /google\s+google-api-users, google-api-groups, google-api-members\s+300\s+4\s+80/, "the new directory is listed");
    }));

  test("a running Google Workspace pull can be cancelled and stores nothing", () =>
    withPage({}, async (page) => {
      await page.getByTestId("nav-sources").click();
      await page.getByTestId("open-fetch").click();
      await page.getByTestId("fetch-source-google").check();
      await page.evaluate(() => (window.__mock.dialogOpen = "/keys/scimlens-sa.json"));
      await page.getByTestId("pull-google-key").click();
      await page.waitForFunction(() => /scimlens-sa\.json/.test(document.querySelector("[data-testid=pull-google-key-path]")?.textContent ?? ""));
      await page.getByTestId("pull-google-admin").fill("admin@example.com");
      await page.getByTestId("pull-google-domain").fill("slow.example.com");
      await page.getByTestId("pull-google-start").click();
      await page.getByTestId("pull-running").waitFor();
      await page.getByTestId("pull-cancel").click();
      await page.getByTestId("pull-cancelled").waitFor();
      assert.equal((await calls(page, "cancel_fetch")).length, 1);
      await page.getByTestId("pull-failed").getByRole("button", { name: "Close" }).click();
      assert.doesNotMatch(await page.getByTestId("directories-table").innerText(), /google/, "no directory stored");
    }));

  test("compare shows identity changes over time once the workspace holds two snapshots: both ids, what matched, the old id's assignments and the log lines as text", () =>
    withPage({}, async (page) => {
      await page.getByTestId("nav-compare").click();
      await page.getByTestId("compare-counts").waitFor();
      assert.equal(await page.getByTestId("identity-changes").count(), 0, "one snapshot: nothing to compare over time");
      assert.equal((await calls(page, "diff_snapshots")).length, 0);
      await page.getByTestId("nav-sources").click();
      await page.evaluate(() => (window.__mock.dialogOpen = ["/aws/list-users.json", "/aws/list-groups.json", "/aws/list-group-memberships.json"]));
      await page.getByRole("button", { name: "Import store snapshot…" }).click();
      await page.waitForFunction(() => document.querySelectorAll("[data-testid=snapshots-table] tbody tr").length === 2);
      await page.getByTestId("nav-compare").click();
      const panel = page.getByTestId("identity-changes");
      await panel.getByTestId("identity-change").first().waitFor();
      assert.match(await page.getByTestId("identity-changes-span").innerText(), /Snapshot #1 \(2026-11-22 09:00:00 UTC\) to #2 .*users 1 added, 1 removed, 0 changed; groups 0 added, 0 removed, 1 changed; memberships 1 added, 1 removed/);
      const items = await panel.getByTestId("identity-change").allInnerTexts();
      assert.equal(items.length, 3);
      assert.match(items[0], /user alice@contoso\.com: deleted and created again \(matched on externalId\), between 2026-11-22 09:00:00 UTC and 2026-11-23 09:00:00 UTC/);
      assert.match(items[0], /9067a6b1c2-old-alice -> 9067a6b1c2-new-alice/);
      assert.match(items[0], /Assignments of the old id \(nobody gets them now\): 111122223333 AdministratorAccess, 444455556666 ReadOnlyAccess/);
      assert.match(items[0], /log: 2026-11-22 14:02:11 UTC DeleteUser Success of 9067a6b1c2-old-alice \(cloudtrail-2026-11-22\.json #41\)/);
      assert.match(items[0], /log: 2026-11-22 14:05:40 UTC Create <img src=x onerror=alert\(1\)> Success/, "log text is shown as text");
      assert.equal(await panel.locator("img").count(), 0, "no markup from the log is rendered");
      assert.match(items[1], /group Engineering: renamed, between/);
      assert.match(items[1], /displayName: was Eng, now Engineering/);
      assert.doesNotMatch(items[1], /->/, "a rename keeps its id");
      assert.match(items[2], /user bob@contoso\.com: externalId changed: the IdP's anchor moved/);
      assert.match(items[2], /externalId: was ext-bob, now ext-bob-2/);
      assert.deepEqual(await calls(page, "diff_snapshots"), [{ from: null, to: null }], "the two newest snapshots");
    }));

  test("compare: IdP beside AWS in two columns, drift highlighted, filter by state", () =>
    withPage({}, async (page) => {
      await importBothSides(page);
      await page.getByTestId("nav-compare").click();
      await page.getByTestId("compare-table").waitFor();
      assert.match(await page.getByTestId("count-NOT_PROVISIONED").innerText(), /^4\n/);
      assert.match(await page.getByTestId("compare-total").innerText(), /^7 entities/);
      const karen = page.getByTestId("compare-row").filter({ hasText: "karen.lee@contoso.com" });
      assert.equal(await karen.getAttribute("data-state"), "DRIFT");
      assert.equal(await karen.getByTestId("diff-idp").innerText(), "Director");
      assert.equal(await karen.getByTestId("diff-store").innerText(), "Manager");
      const highlight = await karen.getByTestId("diff-idp").evaluate((el) => getComputedStyle(el).backgroundColor);
      assert.notEqual(highlight, "rgba(0, 0, 0, 0)", "the differing value is highlighted");
      assert.equal(await karen.getByTestId("compare-idp").count(), 1, "the IdP column");
      assert.equal(await karen.getByTestId("compare-store").count(), 1, "the AWS column");
      const alice = page.getByTestId("compare-row").filter({ hasText: "alice@contoso.com" });
      assert.match(await alice.getByTestId("compare-store").innerText(), /Not in the identity store/);
      assert.match(await alice.getByTestId("compare-reason").innerText(), /provisioning failed/);
      const breakglass = page.getByTestId("compare-row").filter({ hasText: "breakglass.admin@contoso.com" });
      assert.match(await breakglass.getByTestId("compare-access").innerText(), /Holds in AWS: 2 permission sets in 2 accounts/);
      assert.match(await breakglass.getByTestId("compare-at-risk").innerText(), /^At risk: .*2 assignments would be orphaned/);
      assert.ok((await page.getByTestId("compare-table").innerText()).includes("<img src=x onerror=alert(1)>"), "names shown as text");
      assert.equal(await page.locator("img[src=x]").count(), 0);
      await page.screenshot({ path: new URL("compare.png", shots).pathname, fullPage: true });

      await page.getByTestId("state-filter-NOT_PROVISIONED").click();
      await page.waitForFunction(() => document.querySelector("[data-testid=compare-total]")?.textContent?.startsWith("4 entities"));
      const states = await page.getByTestId("compare-row").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-state")));
      assert.deepEqual([...new Set(states)], ["NOT_PROVISIONED"]);
      await page.getByTestId("state-filter-IN_SYNC").click();
      await page.getByTestId("compare-row").filter({ hasText: "grace.hopper@contoso.com" }).waitFor();
      const reqs = await calls(page, "compare_store");
      assert.equal(reqs[reqs.length - 1].req.include_in_sync, true, "in-sync entities are asked for only when shown");
      await page.getByTestId("compare-search").fill("alice");
      await page.waitForFunction(() => document.querySelector("[data-testid=compare-total]")?.textContent?.startsWith("1 entity"));
      await alice.getByRole("button", { name: "open the entity" }).click();
      await page.getByTestId("view-entity").waitFor();
      assert.equal(await page.getByTestId("entity-name").innerText(), "alice@contoso.com");
    }));

  test("compare without a snapshot says what to import", () =>
    withPage({ setup: IN_A_CASE_FILE }, async (page) => {
      await page.getByTestId("nav-compare").click();
      await page.getByTestId("compare-empty").waitFor();
      await page.getByTestId("compare-empty").getByRole("button", { name: /Sources/ }).click();
      await page.getByTestId("view-sources").waitFor();
    }));

  test("preflight: predicted failures of a picked export, against the store snapshot", () =>
    withPage({ setup: IN_A_CASE_FILE }, async (page) => {
      await importBothSides(page);
      await page.getByTestId("nav-preflight").click();
      assert.ok(await page.getByTestId("preflight-against-store").isChecked());
      await page.evaluate(() => (window.__mock.dialogOpen = ["/idp/entra-graph-users.json"]));
      await page.getByRole("button", { name: "Pick export and check…" }).click();
      await page.getByTestId("preflight-findings").waitFor();
      assert.equal(await page.getByTestId("preflight-errors").innerText(), "4");
      const table = await page.getByTestId("preflight-findings").innerText();
      assert.match(table, /alice@contoso\.com/);
      assert.match(table, /AWSSecurityAuditors/);
      assert.ok(table.includes("<img src=x onerror=alert(1)>"), "values shown as text");
      assert.equal(await page.locator("img[src=x]").count(), 0);
      assert.match(await page.getByTestId("preflight-causes").innerText(), /Reserved name/);
      assert.match(await page.getByTestId("preflight-at-risk").innerText(), /karen\.lee@contoso\.com: .*2 assignments would be orphaned/);
      const req = (await calls(page, "preflight_export")).map((c) => c.req).at(-1);
      assert.deepEqual(req, { paths: ["/idp/entra-graph-users.json"], against_store: true, snapshot_id: null, extra_reserved: [] });
      await page.screenshot({ path: new URL("preflight.png", shots).pathname, fullPage: true });
    }));

  test("a problem entity links to its state in the store and to Compare", () =>
    withPage({ setup: IN_A_CASE_FILE }, async (page) => {
      await page.getByTestId("nav-problems").click();
      await page.getByTestId("problem-search").fill("alice@contoso.com");
      await page.waitForFunction(() => document.querySelector("[data-testid=problem-total]")?.textContent === "1 entity");
      await page.getByTestId("problem-row").first().click();
      await page.getByTestId("entity-store-none").waitFor();

      await importBothSides(page);
      await page.getByTestId("nav-problems").click();
      await page.getByTestId("problem-row").first().click();
      const store = page.getByTestId("entity-store");
      await store.getByTestId("store-object").waitFor();
      const text = await store.innerText();
      assert.match(text, /9067a6b1c2-alice/);
      assert.match(text, /Engineer/);
      assert.ok(text.includes("<img src=x onerror=alert(1)>"), "store values shown as text");
      assert.equal(await page.locator("img[src=x]").count(), 0);
      await page.getByTestId("entity-compare-link").click();
      await page.getByTestId("view-compare").waitFor();
      assert.equal(await page.getByTestId("compare-search").inputValue(), "alice@contoso.com");
      await page.waitForFunction(() => document.querySelector("[data-testid=compare-total]")?.textContent?.startsWith("1 entity"));
    }));
});

describe("first launch and empty views", () => {
  test("the demo workspace opens Compare and Preflight on real rows, without an error", () =>
    withPage({}, async (page) => {
      await page.getByTestId("demo-label").waitFor();
      await page.getByTestId("nav-compare").click();
      await page.getByTestId("compare-table").waitFor();
      assert.equal(await page.getByTestId("compare-empty").count(), 0);
      assert.equal(await page.getByTestId("error-box").count(), 0, "no error box");
      assert.match(await page.getByTestId("side-idp").innerText(), /10 users, 4 groups/);
      assert.ok((await page.getByTestId("compare-row").count()) > 0);

      await page.getByTestId("nav-preflight").click();
      await page.getByTestId("preflight-findings").waitFor();
      assert.equal(await page.getByTestId("preflight-empty").count(), 0);
      assert.equal(await page.getByTestId("error-box").count(), 0, "no error box");
      assert.match(await page.getByTestId("preflight-inputs").innerText(), /entra-graph-users\.json/);
      assert.doesNotMatch(await page.getByTestId("preflight-inputs").innerText(), /\/tmp\//);
      const [req] = (await calls(page, "preflight_export")).map((c) => c.req);
      assert.deepEqual(req, { paths: [], against_store: true, snapshot_id: null, extra_reserved: [] }, "the workspace's directory export, against its snapshot");
      assert.match(await page.getByTestId("preflight-errors").innerText(), /^[1-9]/);
      await page.screenshot({ path: new URL("preflight-demo.png", shots).pathname, fullPage: true });
    }));

  test("compare with neither side says what it needs and imports both through its buttons", () =>
    withPage({ setup: IN_A_CASE_FILE }, async (page) => {
      await page.getByTestId("nav-compare").click();
      const empty = page.getByTestId("compare-empty");
      await empty.waitFor();
      assert.match(await empty.innerText(), /Compare needs an identity store snapshot and an IdP directory export/);
      assert.equal(await page.getByTestId("error-box").count(), 0, "an empty workspace is not an error");
      assert.equal((await calls(page, "compare_store")).length, 0, "nothing to compare: not asked");
      await page.screenshot({ path: new URL("compare-empty.png", shots).pathname, fullPage: true });

      await page.evaluate(() => (window.__mock.dialogOpen = ["/aws/list-users.json", "/aws/list-groups.json", "/aws/list-group-memberships.json"]));
      await empty.getByRole("button", { name: "Import a snapshot…" }).click();
      await page.waitForFunction(() => /Compare needs an IdP directory export/.test(document.querySelector("[data-testid=compare-empty]")?.textContent ?? ""));
      assert.equal(await empty.getByRole("button", { name: "Import a snapshot…" }).count(), 0, "only what is still missing is offered");
      assert.deepEqual((await calls(page, "import_store_files"))[0].paths, ["/aws/list-users.json", "/aws/list-groups.json", "/aws/list-group-memberships.json"]);

      await page.evaluate(() => (window.__mock.dialogOpen = ["/idp/entra-graph-users.json", "/idp/entra-graph-groups.json"]));
      await empty.getByRole("button", { name: "Import a directory export…" }).click();
      await page.getByTestId("compare-table").waitFor();
      assert.equal(await page.getByTestId("compare-empty").count(), 0);
      assert.match(await page.getByTestId("compare-total").innerText(), /^7 entities/);
    }));

  test("compare without a snapshot opens the fetch dialog from its button", () =>
    withPage({ setup: IN_A_CASE_FILE }, async (page) => {
      await page.getByTestId("nav-compare").click();
      await page.getByTestId("compare-empty").getByRole("button", { name: "Fetch from AWS…" }).click();
      await page.getByTestId("fetch-dialog").waitFor();
      await page.getByTestId("fetch-start").click();
      await page.getByTestId("fetch-done").waitFor();
      await page.getByTestId("fetch-done").getByRole("button", { name: "Close" }).click();
      await page.waitForFunction(() => /Compare needs an IdP directory export/.test(document.querySelector("[data-testid=compare-empty]")?.textContent ?? ""));
    }));

  test("a failed import from the empty view shows its error and keeps the empty view", () =>
    withPage({ setup: IN_A_CASE_FILE }, async (page) => {
      await page.getByTestId("nav-compare").click();
      const empty = page.getByTestId("compare-empty");
      await page.evaluate(() => (window.__mock.dialogOpen = ["/idp/not-a-directory.txt"]));
      await empty.getByRole("button", { name: "Import a directory export…" }).click();
      await empty.getByTestId("error-box").getByText("not a directory export").waitFor();
      assert.match(await empty.innerText(), /Nothing of it was imported/);
      assert.match(await empty.innerText(), /Compare needs an identity store snapshot and an IdP directory export/);
    }));

  test("preflight with no directory export offers to pick one or import one", () =>
    withPage({ setup: IN_A_CASE_FILE }, async (page) => {
      await page.getByTestId("nav-preflight").click();
      const empty = page.getByTestId("preflight-empty");
      await empty.waitFor();
      assert.match(await empty.innerText(), /Preflight needs an IdP directory export/);
      assert.equal(await page.getByTestId("error-box").count(), 0);
      assert.equal((await calls(page, "preflight_export")).length, 0);

      await page.evaluate(() => (window.__mock.dialogOpen = ["/idp/entra-graph-users.json", "/idp/entra-graph-groups.json"]));
      await empty.getByRole("button", { name: "Import a directory export…" }).click();
      await page.getByTestId("preflight-findings").waitFor();
      assert.equal(await page.getByTestId("preflight-empty").count(), 0);
      const [req] = (await calls(page, "preflight_export")).map((c) => c.req);
      assert.deepEqual(req, { paths: [], against_store: false, snapshot_id: null, extra_reserved: [] }, "the imported export; no snapshot to check against");
      assert.match(await page.getByTestId("preflight-inputs").innerText(), /entra-graph-users\.json/);

      // A picked file is checked instead; the imported export is one click away.
      await page.evaluate(() => (window.__mock.dialogOpen = ["/idp/okta-users.csv"]));
      await page.getByRole("button", { name: "Pick export and check…" }).click();
      await page.waitForFunction(() => /okta-users\.csv/.test(document.querySelector("[data-testid=preflight-inputs]")?.textContent ?? ""));
      await page.getByTestId("preflight-imported").click();
      await page.waitForFunction(() => /entra-graph-users\.json/.test(document.querySelector("[data-testid=preflight-inputs]")?.textContent ?? ""));
    }));

  test("preflight's pick button in the empty view checks a file without importing it", () =>
    withPage({ setup: IN_A_CASE_FILE }, async (page) => {
      await page.getByTestId("nav-preflight").click();
      await page.evaluate(() => (window.__mock.dialogOpen = ["/idp/entra-graph-users.json"]));
      await page.getByTestId("preflight-empty").getByRole("button", { name: "Pick an export and check…" }).click();
      await page.getByTestId("preflight-findings").waitFor();
      assert.equal((await calls(page, "import_directory")).length, 0, "nothing imported");
      const [req] = (await calls(page, "preflight_export")).map((c) => c.req);
      assert.deepEqual(req.paths, ["/idp/entra-graph-users.json"]);
    }));
});
