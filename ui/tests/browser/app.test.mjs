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
      await page.evaluate(() =>
        window.__TAURI_INTERNALS__.invoke("plugin:event|emit", {
          event: "tauri://drag-drop",
          payload: { paths: ["/logs/a.json", "/logs/b.jsonl"], position: { x: 10, y: 10 } },
        }),
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
