// Shared set-up for the browser tests: the built UI (ui/dist) served over HTTP with the app's
// CSP, the mocked backend bundled from mock.ts, and Debian's Chromium driven by playwright-core.
import { readFile } from "node:fs/promises";
import http from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { chromium } from "playwright-core";
import { build } from "vite";

const here = path.dirname(fileURLToPath(import.meta.url));
const ui = path.resolve(here, "../..");
const dist = path.join(ui, "dist");

export const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

async function appSecurity() {
  const conf = JSON.parse(await readFile(path.join(ui, "../src-tauri/tauri.conf.json"), "utf8"));
  return conf.app.security;
}

/** The CSP the app ships (tauri.conf.json), so a violation fails these tests too. */
async function appCsp() {
  return Object.entries((await appSecurity()).csp)
    .map(([k, v]) => `${k} ${v}`)
    .join("; ");
}

/** What Tauri runs before anything else in the page when `freezePrototype` is on, so code that
 * writes to a built-in prototype fails here as it would in the app. */
async function freezeScript() {
  return (await appSecurity()).freezePrototype ? "Object.freeze(Object.prototype);" : "";
}

const TYPES = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".png": "image/png", ".svg": "image/svg+xml" };

async function serve() {
  const csp = await appCsp();
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const file = path.join(dist, url.pathname === "/" ? "index.html" : path.normalize(url.pathname));
    if (!file.startsWith(dist)) {
      res.writeHead(403).end();
      return;
    }
    try {
      const body = await readFile(file);
      res.writeHead(200, { "content-type": TYPES[path.extname(file)] ?? "application/octet-stream", "content-security-policy": csp });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  return { server, base: `http://127.0.0.1:${port}/` };
}

async function bundleMock() {
  const out = await build({
    configFile: false,
    logLevel: "silent",
    root: ui,
    build: {
      write: false,
      minify: false,
      lib: { entry: path.join(here, "mock.ts"), formats: ["iife"], name: "scimlensMock", fileName: () => "mock.js" },
    },
  });
  const result = Array.isArray(out) ? out[0] : out;
  return result.output[0].code;
}

export async function start() {
  const [{ server, base }, freeze, mock, browser] = await Promise.all([
    serve(),
    freezeScript(),
    bundleMock(),
    chromium.launch({ executablePath: CHROMIUM, args: FLAGS, timeout: 30_000 }),
  ]);

  /** A fresh page with the mocked backend; `problems` collects page errors, CSP violations
   * and dialogs (an XSS would open one). */
  async function open({ colorScheme = "light", setup } = {}) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme });
    const page = await context.newPage();
    const problems = [];
    page.on("pageerror", (err) => problems.push(`page error: ${err.message}`));
    page.on("console", (msg) => {
      if (msg.type() === "error") problems.push(`console error: ${msg.text()}`);
    });
    page.on("dialog", async (d) => {
      problems.push(`dialog opened: ${d.message()}`);
      await d.dismiss();
    });
    if (freeze) await page.addInitScript({ content: freeze });
    await page.addInitScript({ content: mock });
    if (setup) await page.addInitScript(setup);
    await page.goto(base);
    return { page, problems, close: () => context.close() };
  }

  return {
    open,
    async stop() {
      await browser.close();
      server.close();
    },
  };
}
