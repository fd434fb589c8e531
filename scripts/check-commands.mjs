#!/usr/bin/env node
// The app's Tauri commands are named in six places that nothing else ties together; this
// check reads them all and fails, naming the file and line, when they disagree:
//
//   src-tauri/src/**/*.rs       `#[tauri::command]` functions (name, parameters, result type)
//   generate_handler![..]       the commands registered with the app (src-tauri/src, once)
//   src-tauri/build.rs          `COMMANDS`, the list tauri-build makes `allow-<command>` from
//   src-tauri/capabilities/     the `allow-<command>` grants the window gets
//   ui/src/backend/*.ts         the `invoke` calls (directly or through a forwarding wrapper
//                               such as `call(command, args)`): the only door to Tauri
//   ui/tests/browser/mock.ts    the `switch (cmd)` of the IPC mock the browser tests run against
//
// Rules:
// - every registered command has exactly one `#[tauri::command]` fn, and every such fn is
//   registered; build.rs's COMMANDS and the capabilities' allow-<command> grants name the same set
//   (a command missing there is refused at run time, which only the real-window run would see);
// - every backend call names a registered command with a string literal, and passes exactly the
//   Rust parameters' keys: camelCase by default (`rename_all` honoured), `Option<..>` parameters
//   may be left out. Parameters Tauri injects (State, AppHandle, Window, Webview, WebviewWindow,
//   ipc::Request, CommandScope, GlobalScope: tauri 2.12's CommandArg impls) are not passed. A
//   `Channel<T>` IS passed: the page creates it and sends it under the parameter's key
//   (`onProgress: channel`; tauri reads it from that key). `#[tauri::command(rename = ..)]` and
//   other unknown options fail the check rather than being guessed at;
// - every registered command is called from the backend. This fails rather than warns: a command
//   the UI never calls is still granted to the window (least privilege says it should not be)
//   and is code no test through the UI reaches; remove it or give it its typed function;
// - the mock handles exactly the commands the backend calls and only those Rust registers (a
//   missing case makes a browser test fail on "mock: no command" far from the cause), and the
//   argument keys a mock case reads are keys the command receives.
//
// Types, checked through the TypeScript compiler the UI already has (ui/node_modules/typescript,
// no new dependency): each Rust parameter and result type is mapped to TypeScript (String and
// paths -> string, integers and floats -> number, bool -> boolean, Option<T> -> T | null,
// Vec<T> -> T[], Result<T, _> and `type Res<T> = Result<T, _>` -> T, () -> void, Channel<T> ->
// Channel<T>, any other named type -> its ts-rs binding in ui/src/bindings, which must exist).
// Then, with the compiler's own assignability test:
//   - the value a backend call passes under a key must be assignable to the parameter's type;
//   - the result type a backend call states (`call<T>(..)`, required) must equal the command's
//     (assignable both ways);
//   - a mock case's cast of an argument (`a.req as FetchStoreReq`) must accept the parameter's type.
// A Rust type outside that mapping (maps, serde_json::Value, tuples, unknown tauri:: types) fails
// the check with its name rather than being skipped, so the mapping grows when it must. What it
// does not prove: that a binding is current (`make bindings-check` does), that `serde(rename)` or
// `#[ts(rename)]` keep the Rust and TypeScript names equal, the error side of a Result (every
// command's is CommandError, which BackendError wraps), that a u64 fits a JavaScript number, or
// what the mock returns (typed with `satisfies` where it matters, which `tsc` checks).
//
// Reading Rust: comments are blanked (positions kept), then strict patterns; anything in a
// command's signature it cannot read is a failure that says so, never a silent pass.
//
// Usage: node scripts/check-commands.mjs   (from anywhere; paths are relative to the script's repo)

import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const TAURI_SRC = path.join(ROOT, "src-tauri/src");
const BUILD_RS = path.join(ROOT, "src-tauri/build.rs");
const CAPABILITIES = path.join(ROOT, "src-tauri/capabilities");
const UI = path.join(ROOT, "ui");
const BACKEND = path.join(UI, "src/backend");
const BINDINGS = path.join(UI, "src/bindings");
const MOCK = path.join(UI, "tests/browser/mock.ts");
// Where the expected TypeScript types are compiled (in memory only, never written).
const EXPECTED = path.join(BACKEND, "__commands_expected__.ts");

/** Parameters Tauri fills in itself; the page never passes them. */
const INJECTED = new Set(["State", "AppHandle", "Window", "Webview", "WebviewWindow", "Request", "CommandScope", "GlobalScope"]);
const INTEGERS = new Set(["i8", "i16", "i32", "i64", "i128", "isize", "u8", "u16", "u32", "u64", "u128", "usize", "f32", "f64"]);
const STRINGS = new Set(["String", "str", "PathBuf", "Path", "char"]);
const LISTS = new Set(["Vec", "VecDeque", "HashSet", "BTreeSet"]);
const WRAPPERS = new Set(["Box", "Arc", "Rc"]);

const failures = [];
const rel = (file) => path.relative(ROOT, file);
const fail = (file, line, message) => failures.push({ where: `${rel(file)}${line ? `:${line}` : ""}`, message });
const at = (loc) => `${rel(loc.file)}:${loc.line}`;

// ---------------------------------------------------------------------------------------------
// Rust

/** `text` with comments replaced by spaces (newlines kept), so offsets and lines still match. */
function blankRustComments(text) {
  const out = text.split("");
  const blank = (from, to) => {
    for (let k = from; k < to; k += 1) if (out[k] !== "\n") out[k] = " ";
  };
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    const next = text[i + 1];
    if (c === "/" && next === "/") {
      const end = text.indexOf("\n", i);
      const stop = end === -1 ? text.length : end;
      blank(i, stop);
      i = stop;
    } else if (c === "/" && next === "*") {
      let depth = 1;
      let j = i + 2;
      while (j < text.length && depth > 0) {
        if (text[j] === "/" && text[j + 1] === "*") (depth += 1), (j += 2);
        else if (text[j] === "*" && text[j + 1] === "/") (depth -= 1), (j += 2);
        else j += 1;
      }
      blank(i, j);
      i = j;
    } else if (c === "r" && /^r#*"/.test(text.slice(i, i + 40)) && !/\w/.test(text[i - 1] ?? "")) {
      const hashes = /^r(#*)"/.exec(text.slice(i))[1];
      const end = text.indexOf(`"${hashes}`, i + hashes.length + 2);
      i = end === -1 ? text.length : end + hashes.length + 1;
    } else if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === "\\" ? 2 : 1;
      i = j + 1;
    } else if (c === "'") {
      // A char literal ('a', '\n', '\u{1F600}') or a lifetime ('a, '_, 'static).
      const literal = /^'(\\(u\{[0-9a-fA-F]+\}|x[0-9a-fA-F]{2}|.)|[^\\'])'/u.exec(text.slice(i, i + 14));
      i += literal ? literal[0].length : 1;
    } else {
      i += 1;
    }
  }
  return out.join("");
}

function lineAt(text, offset) {
  let line = 1;
  for (let k = 0; k < offset; k += 1) if (text.charCodeAt(k) === 10) line += 1;
  return line;
}

/** The offset just past the bracket that closes the one at `open`. `->` is not a closing `>`. */
function closeOf(text, open) {
  const pairs = { "(": ")", "[": "]", "{": "}", "<": ">" };
  const stack = [pairs[text[open]]];
  let i = open + 1;
  while (i < text.length && stack.length > 0) {
    const c = text[i];
    if (c === "-" && text[i + 1] === ">") i += 2;
    else if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === "\\" ? 2 : 1;
      i = j + 1;
    } else {
      if (pairs[c]) stack.push(pairs[c]);
      else if (c === stack[stack.length - 1]) stack.pop();
      i += 1;
    }
  }
  return stack.length === 0 ? i : -1;
}

/** Splits at commas outside any brackets. */
function splitTopLevel(text) {
  const parts = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (c === "-" && text[i + 1] === ">") i += 1;
    else if ("([{<".includes(c)) depth += 1;
    else if (")]}>".includes(c)) depth -= 1;
    else if (c === "," && depth === 0) parts.push(text.slice(start, i)), (start = i + 1);
  }
  parts.push(text.slice(start));
  return parts.map((p) => p.trim()).filter((p) => p !== "");
}

/** A Rust type as a tree: path (last segment `name`, generic `args`), ref, tuple or slice. */
function parseRustType(source) {
  const tokens = source.match(/'\w+|::|\w+|[<>(),&\[\];]/g) ?? [];
  let k = 0;
  const peek = () => tokens[k];
  const take = (expected) => {
    const t = tokens[k];
    if (expected !== undefined && t !== expected) throw new Error(`expected "${expected}" in \`${source}\`, found "${t ?? "end"}"`);
    k += 1;
    return t;
  };
  function type() {
    const t = peek();
    if (t === "&") {
      take();
      if (peek()?.startsWith("'")) take();
      if (peek() === "mut") take();
      return { kind: "ref", inner: type() };
    }
    if (t === "(") {
      take();
      const items = [];
      while (peek() !== ")") {
        items.push(type());
        if (peek() === ",") take();
      }
      take(")");
      return { kind: "tuple", items };
    }
    if (t === "[") {
      take();
      const inner = type();
      if (peek() === ";") while (peek() !== "]" && k < tokens.length) take();
      take("]");
      return { kind: "slice", inner };
    }
    if (t === "dyn" || t === "impl") throw new Error(`\`${source}\`: trait objects are not wire types`);
    if (t === undefined || !/^\w+$/.test(t)) throw new Error(`cannot read the type \`${source}\``);
    const segments = [take()];
    while (peek() === "::") {
      take();
      if (peek() === "<") break;
      segments.push(take());
    }
    const args = [];
    if (peek() === "<") {
      take();
      while (peek() !== ">") {
        if (peek()?.startsWith("'")) take();
        else args.push(type());
        if (peek() === ",") take();
        else if (peek() !== ">") throw new Error(`cannot read the generic arguments of \`${source}\``);
      }
      take(">");
    }
    return { kind: "path", name: segments[segments.length - 1], full: segments.join("::"), args };
  }
  const result = type();
  if (k !== tokens.length) throw new Error(`cannot read the type \`${source}\` past "${tokens[k]}"`);
  return result;
}

function rustFiles(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return rustFiles(full);
    return name.endsWith(".rs") ? [full] : [];
  });
}

/** Tauri's key for a parameter (heck's lowerCamelCase: `on_progress` -> `onProgress`). */
function snakeToCamel(name) {
  return name.replace(/^_+/, "").replace(/_+([a-z0-9])/g, (_, c) => c.toUpperCase());
}

/** `type Res<T> = Result<T, CommandError>;`: aliases whose result is their first argument. */
function resultAliases(files) {
  const aliases = new Set(["Result"]);
  for (const { text } of files) {
    for (const m of text.matchAll(/\btype\s+(\w+)\s*<\s*(\w+)\s*>\s*=\s*(?:[\w:]*::)?Result\s*<\s*(\w+)\s*[,>]/g)) {
      if (m[2] === m[3]) aliases.add(m[1]);
    }
  }
  return aliases;
}

/** The `#[tauri::command]` functions in src-tauri/src. */
function readCommandFns(files) {
  const fns = [];
  for (const { file, text } of files) {
    if (/\buse\s+tauri::(?:command\b|\{[^}]*\bcommand\b)/.test(text)) {
      fail(file, lineAt(text, text.search(/\buse\s+tauri::/)), "imports `tauri::command`: write `#[tauri::command]` in full so this check sees every command");
    }
    for (const m of text.matchAll(/#\[\s*tauri\s*::\s*command\s*(?:\(([^)]*)\))?\s*\]/g)) {
      const line = lineAt(text, m.index);
      let renameAll = "camelCase";
      for (const option of splitTopLevel(m[1] ?? "")) {
        const kv = /^(\w+)\s*(?:=\s*"([^"]*)")?$/.exec(option);
        if (kv?.[1] === "rename_all" && (kv[2] === "snake_case" || kv[2] === "camelCase")) renameAll = kv[2];
        else if (kv?.[1] !== "async" && kv?.[1] !== "root") fail(file, line, `#[tauri::command(${m[1]})]: this check does not know the option \`${option}\``);
      }
      const rest = text.slice(m.index + m[0].length);
      const head = /^(?:\s*#\[[^\]]*\])*\s*(?:pub(?:\s*\([^)]*\))?\s+)?(?:async\s+)?fn\s+(\w+)\s*/.exec(rest);
      if (!head) {
        fail(file, line, "#[tauri::command] is not followed by a function this check can read");
        continue;
      }
      const name = head[1];
      let i = m.index + m[0].length + head[0].length;
      if (text[i] === "<") i = closeOf(text, i);
      while (/\s/.test(text[i])) i += 1;
      if (text[i] !== "(") {
        fail(file, line, `${name}: cannot find the parameter list`);
        continue;
      }
      const close = closeOf(text, i);
      const params = [];
      for (const param of splitTopLevel(text.slice(i + 1, close - 1))) {
        const p = /^(?:mut\s+)?(\w+)\s*:\s*([\s\S]+)$/.exec(param);
        if (!p) {
          fail(file, line, `${name}: cannot read the parameter \`${param}\` (write \`name: Type\`)`);
          continue;
        }
        try {
          params.push({ name: p[1], source: p[2].replace(/\s+/g, " ").trim(), type: parseRustType(p[2]) });
        } catch (err) {
          fail(file, line, `${name}: parameter ${p[1]}: ${err.message}`);
        }
      }
      const tail = /^\s*(?:->\s*([\s\S]*?))?\s*(?:where\b[\s\S]*?)?\{/.exec(text.slice(close));
      let result = { kind: "tuple", items: [] };
      if (!tail) {
        fail(file, line, `${name}: cannot find where the function's body starts`);
      } else if (tail[1]) {
        try {
          result = parseRustType(tail[1]);
        } catch (err) {
          fail(file, line, `${name}: result: ${err.message}`);
        }
      }
      fns.push({ name, file, line, renameAll, params, result, resultSource: tail?.[1]?.trim() ?? "()" });
    }
  }
  return fns;
}

/** The names in the one `generate_handler![..]`, with their lines. */
function readRegistered(files) {
  const found = [];
  for (const { file, text } of files) {
    for (const m of text.matchAll(/generate_handler!\s*\[/g)) found.push({ file, text, open: m.index + m[0].length - 1 });
  }
  if (found.length !== 1) {
    fail(TAURI_SRC, 0, `expected one tauri::generate_handler![..] under src-tauri/src, found ${found.length}`);
    return [];
  }
  const { file, text, open } = found[0];
  const close = closeOf(text, open);
  const entries = [];
  let offset = open + 1;
  for (const raw of text.slice(open + 1, close - 1).split(",")) {
    const entry = raw.trim();
    const line = lineAt(text, offset + raw.indexOf(entry));
    offset += raw.length + 1;
    if (entry === "") continue;
    const m = /^(?:[A-Za-z_]\w*::)*([A-Za-z_]\w*)$/.exec(entry);
    if (m) entries.push({ name: m[1], path: entry, file, line });
    else fail(file, line, `generate_handler!: cannot read the entry \`${entry}\` (expected a path like commands::name)`);
  }
  return entries;
}

/** build.rs's `COMMANDS` (the app manifest's command list), if the app has one. */
function readBuildCommands() {
  if (!existsSync(BUILD_RS)) return null;
  const text = blankRustComments(readFileSync(BUILD_RS, "utf8"));
  if (!/\.commands\s*\(/.test(text)) return null;
  const m = /const\s+COMMANDS\s*:\s*&\[\s*&str\s*\]\s*=\s*&\[/.exec(text);
  if (!m) {
    fail(BUILD_RS, 0, "the app manifest's commands are not a `const COMMANDS: &[&str] = &[..]` this check can read");
    return null;
  }
  const open = m.index + m[0].length - 1;
  const body = text.slice(open + 1, closeOf(text, open) - 1);
  return [...body.matchAll(/"([^"]*)"/g)].map((s) => ({ name: s[1], file: BUILD_RS, line: lineAt(text, open + 1 + s.index) }));
}

/** The `allow-<command>` grants of every capability file (plugin and core grants have a colon). */
function readGrants() {
  if (!existsSync(CAPABILITIES)) return [];
  const grants = [];
  for (const name of readdirSync(CAPABILITIES).filter((n) => n.endsWith(".json")).sort()) {
    const file = path.join(CAPABILITIES, name);
    const text = readFileSync(file, "utf8");
    let capability;
    try {
      capability = JSON.parse(text);
    } catch (err) {
      fail(file, 0, `not JSON: ${err.message}`);
      continue;
    }
    for (const permission of capability.permissions ?? []) {
      const id = typeof permission === "string" ? permission : permission?.identifier;
      if (typeof id !== "string" || id.includes(":")) continue;
      const line = lineAt(text, text.indexOf(`"${id}"`));
      if (!id.startsWith("allow-")) fail(file, line, `"${id}": only allow-<command> grants are expected for the app's own commands`);
      else grants.push({ name: id.slice("allow-".length).replaceAll("-", "_"), id, file, line });
    }
  }
  return grants;
}

// ---------------------------------------------------------------------------------------------
// Rust types as TypeScript

/** The TypeScript text of a Rust type; `names` collects the ts-rs bindings it uses. */
function toTs(type, names, aliases, position) {
  const one = (t) => toTs(t, names, aliases, position);
  if (type.kind === "ref") return one(type.inner);
  if (type.kind === "slice") return `Array<${one(type.inner)}>`;
  if (type.kind === "tuple") {
    if (type.items.length === 0) return position === "result" ? "void" : "null";
    throw new Error("tuples are outside this check's type mapping");
  }
  const { name, args } = type;
  const arity = (n) => {
    if (args.length !== n) throw new Error(`${type.full} with ${args.length} generic arguments`);
  };
  if (aliases.has(name) && position === "result" && args.length >= 1) return one(args[0]);
  if (STRINGS.has(name)) return "string";
  if (INTEGERS.has(name)) return "number";
  if (name === "bool") return "boolean";
  if (name === "Option") return arity(1), `${one(args[0])} | null`;
  if (LISTS.has(name)) return arity(1), `Array<${one(args[0])}>`;
  if (WRAPPERS.has(name)) return arity(1), one(args[0]);
  if (name === "Channel") return arity(1), names.add("Channel"), `Channel<${one(args[0])}>`;
  if (type.full.startsWith("tauri::") || type.full.startsWith("serde_json::") || ["HashMap", "BTreeMap", "Value"].includes(name)) {
    throw new Error(`${type.full} is outside this check's type mapping (extend toTs in scripts/check-commands.mjs)`);
  }
  if (!existsSync(path.join(BINDINGS, `${name}.ts`))) {
    throw new Error(`${type.full} has no generated binding ui/src/bindings/${name}.ts (derive ts_rs::TS with #[ts(export)])`);
  }
  names.add(name);
  return args.length === 0 ? name : `${name}<${args.map(one).join(", ")}>`;
}

// ---------------------------------------------------------------------------------------------
// TypeScript

const requireUi = createRequire(path.join(UI, "package.json"));
let ts;
try {
  ts = requireUi("typescript");
} catch {
  console.error("check-commands: ui/node_modules/typescript is missing; run `make ui-deps` first");
  process.exit(2);
}

/** One program over the UI's sources and its tests (tests/tsconfig.json extends the UI's options)
 * plus the in-memory file of expected types. */
function program(expectedText) {
  const parse = (tsconfig) =>
    ts.getParsedCommandLineOfConfigFile(tsconfig, { noUnusedLocals: false }, {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => fail(tsconfig, 0, ts.flattenDiagnosticMessageText(d.messageText, "\n")),
    });
  const [srcConfig, testsConfig] = [parse(path.join(UI, "tsconfig.json")), parse(path.join(UI, "tests/tsconfig.json"))];
  const parsed = { options: testsConfig.options, fileNames: [...new Set([...srcConfig.fileNames, ...testsConfig.fileNames])] };
  const host = ts.createCompilerHost(parsed.options, true);
  const { getSourceFile, fileExists, readFile } = host;
  const isExpected = (f) => path.resolve(f) === EXPECTED;
  host.fileExists = (f) => isExpected(f) || fileExists.call(host, f);
  host.readFile = (f) => (isExpected(f) ? expectedText : readFile.call(host, f));
  host.getSourceFile = (f, lang, ...rest) =>
    isExpected(f) ? ts.createSourceFile(f, expectedText, lang, true) : getSourceFile.call(host, f, lang, ...rest);
  const p = ts.createProgram([...parsed.fileNames, EXPECTED], parsed.options, host);
  const checker = p.getTypeChecker();
  const expectedSf = p.getSourceFile(EXPECTED);
  for (const d of p.getSemanticDiagnostics(expectedSf)) {
    fail(EXPECTED, 0, `the expected types derived from Rust do not compile: ${ts.flattenDiagnosticMessageText(d.messageText, " ")}`);
  }
  const expected = new Map();
  for (const statement of expectedSf.statements) {
    if (ts.isTypeAliasDeclaration(statement)) expected.set(statement.name.text, checker.getTypeFromTypeNode(statement.type));
  }
  return { p, checker, expected };
}

const lineOf = (node) => node.getSourceFile().getLineAndCharacterOfPosition(node.getStart()).line + 1;
const stringValue = (node) => (node && (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) ? node.text : null);

function walk(node, visit) {
  visit(node);
  ts.forEachChild(node, (child) => walk(child, visit));
}

/** Backend calls: `invoke("name", {..})` or through a wrapper that forwards its first two parameters. */
function readBackendCalls(checker, p) {
  const files = readdirSync(BACKEND)
    .filter((n) => /\.tsx?$/.test(n) && !/\.test\.tsx?$/.test(n))
    .map((n) => p.getSourceFile(path.join(BACKEND, n)))
    .filter(Boolean);
  // Wrappers: functions whose body calls invoke(firstParam, secondParam?).
  const callees = new Set(["invoke"]);
  const forwarding = new Set();
  for (const sf of files) {
    walk(sf, (node) => {
      if (!ts.isFunctionDeclaration(node) || !node.name || !node.body) return;
      const [first, second] = node.parameters.map((param) => (ts.isIdentifier(param.name) ? param.name.text : null));
      walk(node.body, (inner) => {
        if (!ts.isCallExpression(inner) || !ts.isIdentifier(inner.expression) || inner.expression.text !== "invoke") return;
        const [command, args] = inner.arguments;
        if (command && ts.isIdentifier(command) && command.text === first && (!args || (ts.isIdentifier(args) && args.text === second))) {
          callees.add(node.name.text);
          forwarding.add(inner);
        }
      });
    });
  }
  const calls = [];
  for (const sf of files) {
    walk(sf, (node) => {
      if (!ts.isCallExpression(node) || !ts.isIdentifier(node.expression) || !callees.has(node.expression.text) || forwarding.has(node)) return;
      const file = sf.fileName;
      const line = lineOf(node);
      const name = stringValue(node.arguments[0]);
      if (name === null) {
        fail(file, line, `${node.expression.text}(..): the command name is not a string literal, so it cannot be checked`);
        return;
      }
      const call = { name, file, line, node, resultType: node.typeArguments?.[0] ?? null, args: new Map(), argsChecked: true };
      const args = node.arguments[1];
      if (args && !ts.isObjectLiteralExpression(args)) {
        fail(file, line, `${name}: the arguments are not an object literal ({ key, ... }), so their keys cannot be checked`);
        call.argsChecked = false;
      } else if (args) {
        for (const prop of args.properties) {
          if (ts.isShorthandPropertyAssignment(prop)) {
            const symbol = checker.getShorthandAssignmentValueSymbol(prop);
            call.args.set(prop.name.text, { node: prop, type: symbol ? checker.getTypeOfSymbolAtLocation(symbol, prop) : checker.getTypeAtLocation(prop.name) });
          } else if (ts.isPropertyAssignment(prop) && (ts.isIdentifier(prop.name) || ts.isStringLiteral(prop.name))) {
            call.args.set(prop.name.text, { node: prop, type: checker.getTypeAtLocation(prop.initializer) });
          } else {
            fail(file, lineOf(prop), `${name}: the argument \`${prop.getText()}\` is not a plain key, so it cannot be checked`);
            call.argsChecked = false;
          }
        }
      }
      calls.push(call);
    });
  }
  return calls;
}

/** The mock's `switch (cmd)` cases, grouped where they fall through, and the argument keys each reads. */
function readMockCases(p) {
  const sf = p.getSourceFile(MOCK);
  if (!sf) {
    fail(MOCK, 0, "not part of ui/tests/tsconfig.json, or missing");
    return [];
  }
  let handler = null;
  walk(sf, (node) => {
    if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === "mockIPC") handler = node.arguments[0];
  });
  if (!handler || !(ts.isArrowFunction(handler) || ts.isFunctionExpression(handler)) || handler.parameters.length < 1) {
    fail(MOCK, 0, "no mockIPC((cmd, args) => ..) handler this check can read");
    return [];
  }
  const [cmdName, argsName] = handler.parameters.map((param) => (ts.isIdentifier(param.name) ? param.name.text : null));
  // The names the arguments object goes by: the parameter and consts made from it (`const a = (args ?? {}) as ..`).
  const argNames = new Set(argsName ? [argsName] : []);
  walk(handler.body, (node) => {
    if (!ts.isVariableDeclaration(node) || !ts.isIdentifier(node.name) || !node.initializer) return;
    let value = node.initializer;
    for (;;) {
      if (ts.isParenthesizedExpression(value) || ts.isAsExpression(value) || ts.isSatisfiesExpression(value) || ts.isNonNullExpression(value)) value = value.expression;
      else if (ts.isBinaryExpression(value) && [ts.SyntaxKind.QuestionQuestionToken, ts.SyntaxKind.BarBarToken].includes(value.operatorToken.kind)) value = value.left;
      else break;
    }
    if (ts.isIdentifier(value) && argNames.has(value.text)) argNames.add(node.name.text);
  });
  const switches = [];
  walk(handler.body, (node) => {
    if (ts.isSwitchStatement(node) && ts.isIdentifier(node.expression) && node.expression.text === cmdName) switches.push(node);
  });
  if (switches.length !== 1) {
    fail(MOCK, lineOf(handler), `expected one \`switch (${cmdName})\` in the mockIPC handler, found ${switches.length}`);
    return [];
  }
  const groups = [];
  let pending = [];
  for (const clause of switches[0].caseBlock.clauses) {
    if (ts.isDefaultClause(clause)) {
      pending = [];
      continue;
    }
    const name = stringValue(clause.expression);
    if (name === null) fail(MOCK, lineOf(clause), `case ${clause.expression.getText()}: not a string literal, so it cannot be checked`);
    else pending.push({ name, file: MOCK, line: lineOf(clause) });
    if (clause.statements.length === 0) continue;
    const reads = [];
    for (const statement of clause.statements) {
      walk(statement, (node) => {
        let key = null;
        if (ts.isPropertyAccessExpression(node) && ts.isIdentifier(node.expression) && argNames.has(node.expression.text)) key = node.name.text;
        if (ts.isElementAccessExpression(node) && ts.isIdentifier(node.expression) && argNames.has(node.expression.text)) key = stringValue(node.argumentExpression);
        if (key === null) return;
        let outer = node.parent;
        while (ts.isParenthesizedExpression(outer)) outer = outer.parent;
        reads.push({ key, line: lineOf(node), cast: ts.isAsExpression(outer) ? outer.type : null });
      });
    }
    groups.push({ cases: pending, reads });
    pending = [];
  }
  return groups;
}

// ---------------------------------------------------------------------------------------------
// The check

const rustSources = rustFiles(TAURI_SRC).map((file) => ({ file, text: blankRustComments(readFileSync(file, "utf8")) }));
const aliases = resultAliases(rustSources);
const fns = readCommandFns(rustSources);
const registered = readRegistered(rustSources);

const fnsByName = new Map();
for (const fn of fns) {
  const other = fnsByName.get(fn.name);
  if (other) fail(fn.file, fn.line, `#[tauri::command] ${fn.name} is defined twice (also ${at(other)}); the window would reach only one`);
  else fnsByName.set(fn.name, fn);
}
const registeredNames = new Map();
for (const entry of registered) {
  const other = registeredNames.get(entry.name);
  if (other) fail(entry.file, entry.line, `${entry.path} is registered twice in generate_handler! (also line ${other.line})`);
  else registeredNames.set(entry.name, entry);
  if (!fnsByName.has(entry.name)) fail(entry.file, entry.line, `${entry.path} is registered in generate_handler! but no #[tauri::command] fn ${entry.name} exists under src-tauri/src`);
}
for (const fn of fns) {
  if (!registeredNames.has(fn.name)) fail(fn.file, fn.line, `#[tauri::command] fn ${fn.name} is not registered in generate_handler! (${registered[0] ? rel(registered[0].file) : "src-tauri/src"})`);
}

/** One declared list against the registered commands, both ways. */
function sameSet(list, what, registerHint) {
  const seen = new Map();
  for (const item of list) {
    if (seen.has(item.name)) fail(item.file, item.line, `${what} names ${item.name} twice (also line ${seen.get(item.name).line})`);
    seen.set(item.name, item);
    if (!registeredNames.has(item.name)) fail(item.file, item.line, `${what} names ${item.id ?? item.name}, but no command ${item.name} is registered in generate_handler!`);
  }
  for (const entry of registeredNames.values()) {
    if (!seen.has(entry.name)) fail(entry.file, entry.line, `${entry.name} is registered but ${registerHint(entry.name)}`);
  }
}
const buildCommands = readBuildCommands();
const kebab = (name) => `allow-${name.replaceAll("_", "-")}`;
if (buildCommands) {
  sameSet(buildCommands, "src-tauri/build.rs COMMANDS", (name) => `missing from src-tauri/build.rs COMMANDS (no ${kebab(name)} permission is generated for it)`);
}
if (existsSync(CAPABILITIES)) {
  sameSet(readGrants(), "a capability", (name) => `not granted in src-tauri/capabilities (the window is refused it without "${kebab(name)}")`);
}

// The expected TypeScript types of every command's keys and result.
const expectation = new Map();
const bindingNames = new Set();
const expectedLines = [];
const expectedText = new Map();
const expect = (alias, type, position) => {
  const text = toTs(type, bindingNames, aliases, position);
  expectedText.set(alias, text);
  expectedLines.push(`export type ${alias} = ${text};`);
};
for (const fn of fns) {
  const keys = new Map();
  for (const param of fn.params) {
    const { type } = param;
    const head = type.kind === "ref" ? type.inner : type;
    if (head.kind === "path" && INJECTED.has(head.name)) continue;
    if (head.kind === "path" && head.full.startsWith("tauri::") && head.name !== "Channel") {
      fail(fn.file, fn.line, `${fn.name}: parameter ${param.name}: ${head.full} is not a type this check knows Tauri injects (add it to INJECTED in scripts/check-commands.mjs if it is)`);
      continue;
    }
    const key = fn.renameAll === "snake_case" ? param.name : snakeToCamel(param.name);
    const alias = `Arg__${fn.name}__${key}`;
    try {
      expect(alias, type, "argument");
    } catch (err) {
      fail(fn.file, fn.line, `${fn.name}: parameter ${param.name}: ${err.message}`);
    }
    keys.set(key, { param, alias, optional: head.kind === "path" && head.name === "Option" });
  }
  const resultAlias = `Result__${fn.name}`;
  try {
    expect(resultAlias, fn.result, "result");
  } catch (err) {
    fail(fn.file, fn.line, `${fn.name}: result \`${fn.resultSource}\`: ${err.message}`);
  }
  expectation.set(fn.name, { fn, keys, resultAlias });
}
const imports = [...bindingNames].sort().map((name) =>
  name === "Channel" ? `import type { Channel } from "@tauri-apps/api/core";` : `import type { ${name} } from "../bindings/${name}";`,
);
const expectedSource = `${imports.join("\n")}\n${expectedLines.join("\n")}\n`;

// Backend calls against Rust.
const src = program(expectedSource);
const typeText = (checker, type) => checker.typeToString(type, undefined, ts.TypeFormatFlags.NoTruncation);
const calls = readBackendCalls(src.checker, src.p);
const called = new Set();
for (const call of calls) {
  called.add(call.name);
  const expected = expectation.get(call.name);
  if (!registeredNames.has(call.name)) {
    fail(call.file, call.line, `calls "${call.name}", which Rust does not register in generate_handler!`);
    continue;
  }
  if (!expected) continue;
  const { fn, keys, resultAlias } = expected;
  const where = `${call.name} (${at(fn)})`;
  if (call.argsChecked) {
    for (const [key, arg] of call.args) {
      const param = keys.get(key);
      if (!param) {
        const same = fn.params.find((p) => snakeToCamel(p.name) === snakeToCamel(key));
        const takes = `it takes ${[...keys.keys()].join(", ") || "no arguments"}`;
        const why = !same ? takes
          : [...keys.values()].some((k) => k.param === same) ? `${takes} (Tauri's key for ${same.name} is ${fn.renameAll === "snake_case" ? "snake_case: #[tauri::command(rename_all = \"snake_case\")]" : "camelCase"})`
          : `${same.name} is injected by Tauri (${same.source}), not passed`;
        fail(call.file, lineOf(arg.node), `${call.name}: passes "${key}", which the Rust command has no parameter for: ${why} (${at(fn)})`);
        continue;
      }
      const target = src.expected.get(param.alias);
      if (target && !src.checker.isTypeAssignableTo(arg.type, target)) {
        fail(call.file, lineOf(arg.node), `${call.name}: "${key}" is ${typeText(src.checker, arg.type)}, but the Rust parameter ${param.param.name}: ${param.param.source} expects ${expectedText.get(param.alias)} (${at(fn)})`);
      }
    }
    for (const [key, param] of keys) {
      if (!call.args.has(key) && !param.optional) {
        fail(call.file, call.line, `${call.name}: does not pass "${key}", which the Rust command requires (${param.param.name}: ${param.param.source}, ${at(fn)})`);
      }
    }
  }
  const target = src.expected.get(resultAlias);
  if (!call.resultType) {
    fail(call.file, call.line, `${call.name}: states no result type; write ${call.node.expression.getText()}<${expectedText.get(resultAlias) ?? "T"}>(..)`);
  } else if (target) {
    const stated = src.checker.getTypeFromTypeNode(call.resultType);
    if (!src.checker.isTypeAssignableTo(stated, target) || !src.checker.isTypeAssignableTo(target, stated)) {
      fail(call.file, call.line, `${where}: the call expects ${call.resultType.getText()}, but the Rust command returns ${fn.resultSource}, which is ${expectedText.get(resultAlias)} in TypeScript`);
    }
  }
}
for (const entry of registeredNames.values()) {
  if (!called.has(entry.name)) fail(entry.file, entry.line, `${entry.name} is registered but ui/src/backend never calls it (a command the UI does not use should not be granted to the window)`);
}

// The mock against Rust and the backend.
const mocked = new Map();
for (const group of readMockCases(src.p)) {
  for (const c of group.cases) {
    if (mocked.has(c.name)) fail(c.file, c.line, `the mock handles "${c.name}" twice (also line ${mocked.get(c.name).line})`);
    mocked.set(c.name, c);
    if (!registeredNames.has(c.name)) fail(c.file, c.line, `the mock handles "${c.name}", which Rust does not register in generate_handler!`);
  }
  for (const read of group.reads) {
    for (const c of group.cases) {
      const expected = expectation.get(c.name);
      if (!expected) continue;
      const param = expected.keys.get(read.key);
      if (!param) {
        fail(MOCK, read.line, `the mock's "${c.name}" reads args.${read.key}, which the Rust command never receives (it takes ${[...expected.keys.keys()].join(", ") || "no arguments"}; ${at(expected.fn)})`);
        continue;
      }
      const target = src.expected.get(param.alias);
      if (read.cast && target) {
        const cast = src.checker.getTypeFromTypeNode(read.cast);
        if (!src.checker.isTypeAssignableTo(target, cast)) {
          fail(MOCK, read.line, `the mock's "${c.name}" treats args.${read.key} as ${read.cast.getText()}, but Rust's ${param.param.name}: ${param.param.source} is ${expectedText.get(param.alias)} (${at(expected.fn)})`);
        }
      }
    }
  }
}
for (const call of calls) {
  if (!mocked.has(call.name)) fail(call.file, call.line, `calls "${call.name}", which ui/tests/browser/mock.ts does not handle (the browser tests would get "mock: no command ${call.name}")`);
}

if (failures.length > 0) {
  for (const f of failures) console.error(`${f.where}: ${f.message}`);
  console.error(`check-commands: ${failures.length} mismatch${failures.length === 1 ? "" : "es"} between the Rust commands, ui/src/backend and the browser-test mock`);
  process.exit(1);
}
console.log(
  `check-commands: ${registeredNames.size} commands agree across #[tauri::command], generate_handler!` +
    `${buildCommands ? ", build.rs" : ""}${existsSync(CAPABILITIES) ? ", capabilities" : ""}, ui/src/backend (${calls.length} calls) and the mock (${mocked.size} cases)`,
);
