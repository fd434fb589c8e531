import { defineConfig, type Plugin } from "vite";
import react from "@vitejs/plugin-react";

/**
 * The app runs with Tauri's `freezePrototype`: `Object.prototype` is frozen before any page
 * script. A plain assignment to a property that only exists there (`obj.toString = f`,
 * `proto.constructor = C`) then throws in strict code (the "override mistake"), and three of the
 * chart library's dependencies do that while they load. Each rule below makes the property the
 * object's own before it is assigned, which is what the library meant; the build fails if a rule
 * no longer finds its text (an upgrade changed the file: check it again, and the browser tests,
 * which freeze the prototype too, show what breaks).
 */
const OWN_BEFORE_ASSIGN: { file: RegExp; find: string; replace: string }[] = [
  {
    // Decimal.prototype: `P.toString = P.valueOf = ...` and `x.constructor = Decimal` on instances
    // (in the package's "browser" file, decimal.js, and in its module one).
    file: /\/node_modules\/decimal\.js-light\/decimal\.m?js$/,
    find: "P = {};",
    replace: "P = { constructor: Object, toString: Object.prototype.toString, valueOf: Object.prototype.valueOf };",
  },
  {
    // `define(Color, color, {...})`: `prototype.constructor = constructor` on an object literal.
    file: /\/node_modules\/d3-color\/dist\/d3-color\.mjs$/,
    find: "  prototype.constructor = constructor;",
    replace:
      '  Object.defineProperty(prototype, "constructor", { value: constructor, writable: true, enumerable: true, configurable: true });',
  },
  {
    file: /\/node_modules\/d3-format\/dist\/d3-format\.mjs$/,
    find: "FormatSpecifier.prototype.toString = function() {",
    replace:
      'Object.defineProperty(FormatSpecifier.prototype, "toString", { writable: true, enumerable: true, configurable: true });\n' +
      "FormatSpecifier.prototype.toString = function() {",
  },
];

function frozenPrototypeSafe(): Plugin {
  const applied = new Set<number>();
  return {
    name: "scimlens-frozen-prototype-safe",
    apply: "build",
    transform(code, id) {
      const file = id.split("?")[0]!.replaceAll("\\", "/");
      let out = code;
      OWN_BEFORE_ASSIGN.forEach((rule, i) => {
        if (!rule.file.test(file)) return;
        if (out.split(rule.find).length !== 2) {
          this.error(`${file}: expected exactly one "${rule.find}" (see OWN_BEFORE_ASSIGN in vite.config.ts)`);
        }
        out = out.replace(rule.find, rule.replace);
        applied.add(i);
      });
      return out === code ? null : { code: out, map: null };
    },
    buildEnd(error) {
      if (error) return;
      const unused = OWN_BEFORE_ASSIGN.filter((_, i) => !applied.has(i)).map((r) => r.file.source);
      if (unused.length > 0) {
        this.error(`no bundled module matched ${unused.join(", ")} (see OWN_BEFORE_ASSIGN in vite.config.ts)`);
      }
    },
  };
}

// Tauri serves the built files itself; the dev server only backs `tauri dev`.
export default defineConfig({
  plugins: [react(), frozenPrototypeSafe()],
  clearScreen: false,
  server: { port: 5173, strictPort: true },
  build: {
    target: ["es2022", "safari15"],
    outDir: "dist",
    emptyOutDir: true,
    chunkSizeWarningLimit: 1500,
  },
  test: {
    include: ["src/**/*.test.ts", "src/**/*.test.tsx"],
    environment: "node",
  },
});
