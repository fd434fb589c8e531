import { describe, expect, it } from "vitest";

import { MAX_HISTORY, back, push, type NavState } from "./nav";

const start: NavState = { route: { view: "overview" }, history: [] };

describe("navigation", () => {
  it("goes back to where the user came from", () => {
    let s = push(start, { view: "problems" });
    s = push(s, { view: "entity", entityKey: "user|alice" });
    expect(s.route).toEqual({ view: "entity", entityKey: "user|alice" });
    s = back(s);
    expect(s.route).toEqual({ view: "problems" });
    s = back(s);
    expect(s.route).toEqual({ view: "overview" });
    expect(back(s)).toBe(s);
  });

  it("ignores a push to the current route", () => {
    expect(push(start, { view: "overview" })).toBe(start);
  });

  it("keeps a bounded history", () => {
    let s = start;
    for (let i = 0; i < MAX_HISTORY + 20; i += 1) s = push(s, { view: "entity", entityKey: `k${i}` });
    expect(s.history.length).toBe(MAX_HISTORY);
  });
});
