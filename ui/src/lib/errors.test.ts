import { describe, expect, it } from "vitest";

import { describePosition, errorTitle, isInputError } from "./errors";

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
});
