import { describe, expect, it } from "vitest";

import { prettyRecord } from "./raw";

describe("prettyRecord", () => {
  it("indents JSON records", () => {
    expect(prettyRecord('{"a":1,"b":["x"]}')).toBe('{\n  "a": 1,\n  "b": [\n    "x"\n  ]\n}');
  });

  it("leaves text lines and broken JSON as they were", () => {
    expect(prettyRecord("Error: cannot sync groups")).toBe("Error: cannot sync groups");
    expect(prettyRecord('{"cut":')).toBe('{"cut":');
  });

  it("keeps markup in values as literal characters", () => {
    expect(prettyRecord('{"displayName":"<img src=x onerror=alert(1)>"}')).toContain("<img src=x onerror=alert(1)>");
  });
});
