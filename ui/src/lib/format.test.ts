import { describe, expect, it } from "vitest";

import { bucketLabel, countNoun, fileName, formatBytes, formatCount, formatMs, fractionRead, orNotStated, recordsPerSecond } from "./format";

describe("format", () => {
  it("counts with a singular or plural noun", () => {
    expect(countNoun(1, "user")).toBe("1 user");
    expect(countNoun(0, "group")).toBe("0 groups");
    expect(countNoun(1200, "user")).toBe("1,200 users");
  });

  it("groups thousands in counts", () => {
    expect(formatCount(1000000)).toBe("1,000,000");
  });

  it("computes records per second only once time has passed", () => {
    expect(recordsPerSecond({ records: 0, elapsed_ms: 0 })).toBeNull();
    expect(recordsPerSecond({ records: 5000, elapsed_ms: 2000 })).toBe(2500);
  });

  it("clamps the fraction read and copes with an unknown size", () => {
    expect(fractionRead({ bytes_read: 50, bytes_total: 100 })).toBe(0.5);
    expect(fractionRead({ bytes_read: 150, bytes_total: 100 })).toBe(1);
    expect(fractionRead({ bytes_read: 10, bytes_total: 0 })).toBe(0);
  });

  it("formats sizes and file names", () => {
    expect(formatBytes(512)).toBe("512 B");
    expect(formatBytes(54 * 1024)).toBe("54.0 KB");
    expect(fileName("/var/logs/entra/page1.json")).toBe("page1.json");
    expect(fileName("C:\\logs\\okta.json")).toBe("okta.json");
  });

  it("formats times in UTC", () => {
    const ms = Date.UTC(2026, 10, 20, 10, 57, 8);
    expect(formatMs(ms)).toBe("2026-11-20 10:57:08 UTC");
    expect(bucketLabel(ms, false)).toBe("10:57");
    expect(bucketLabel(ms, true)).toBe("11-20 10:57");
  });

  it("says when the log does not state a value", () => {
    expect(orNotStated(null)).toBe("not stated in the log");
    expect(orNotStated("")).toBe("not stated in the log");
    expect(orNotStated(409)).toBe("409");
  });
});
