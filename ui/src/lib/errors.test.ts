import { describe, expect, it } from "vitest";

import { describePosition, errorCode, errorTitle, isInputError, isNotFound } from "./errors";

describe("errors", () => {
  it("describes positions the way the core does", () => {
    expect(describePosition({ line: 3, column: 14, record: null, byte_offset: null })).toBe("line 3, column 14");
    expect(describePosition({ line: null, column: null, record: 5, byte_offset: 99 })).toBe("record 5");
    expect(describePosition({ line: null, column: null, record: null, byte_offset: 99 })).toBe("byte 99");
    expect(describePosition(null)).toBeNull();
  });

  it("titles errors by code and knows which are about the input file", () => {
    expect(errorTitle("PARSE")).toMatch(/not valid/);
    expect(isInputError("PARSE")).toBe(true);
    expect(isInputError("WORKSPACE")).toBe(false);
  });

  it("tells a view that has nothing to work on from a real error", () => {
    const detail = (code: string) => ({ detail: { code, message: "m", path: null, position: null, expected: null, found: null } });
    expect(isNotFound(detail("NOT_FOUND"))).toBe(true);
    expect(isNotFound(detail("CORRUPT"))).toBe(false);
    expect(errorCode(detail("AWS"))).toBe("AWS");
    expect(errorCode(new Error("lost"))).toBeNull();
    expect(errorCode(null)).toBeNull();
  });
});
