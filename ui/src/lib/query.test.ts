import { describe, expect, it } from "vitest";

import { EMPTY_FILTERS, activeFilterCount, nextSort, pageQuery, pagesFor, toggle } from "./query";

describe("problem queries", () => {
  it("maps filters onto one page of the backend query", () => {
    const q = pageQuery({ ...EMPTY_FILTERS, search: "  alice ", categories: ["THROTTLED"], range: { from: 1, to: 2, label: "x" } }, 3, 50);
    expect(q).toMatchObject({ search: "alice", categories: ["THROTTLED"], from: 1, to: 2, offset: 150, limit: 50, sort: "default" });
  });

  it("sends no search for blank text", () => {
    expect(pageQuery({ ...EMPTY_FILTERS, search: "   " }, 0).search).toBeNull();
  });

  it("lists the pages a visible window needs", () => {
    expect(pagesFor(0, 10, 200)).toEqual([0]);
    expect(pagesFor(190, 410, 200)).toEqual([0, 1, 2]);
    expect(pagesFor(5, 4)).toEqual([]);
  });

  it("cycles a column through ascending, descending and back to default", () => {
    let s = nextSort({ sort: "default", desc: false }, "name");
    expect(s).toEqual({ sort: "name", desc: false });
    s = nextSort(s, "name");
    expect(s).toEqual({ sort: "name", desc: true });
    expect(nextSort(s, "name")).toEqual({ sort: "default", desc: false });
    expect(nextSort(s, "events")).toEqual({ sort: "events", desc: false });
  });

  it("toggles list membership and counts active filters", () => {
    expect(toggle(["a"], "b")).toEqual(["a", "b"]);
    expect(toggle(["a", "b"], "a")).toEqual(["b"]);
    expect(activeFilterCount(EMPTY_FILTERS)).toBe(0);
    expect(activeFilterCount({ ...EMPTY_FILTERS, kinds: ["user", "group"], sourceId: 2 })).toBe(3);
  });
});
