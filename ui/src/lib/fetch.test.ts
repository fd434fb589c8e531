import { describe, expect, it } from "vitest";

import type { FetchProgress } from "../bindings/FetchProgress";
import { EMPTY_FETCH_FORM, cloudTrailAdvice, describePhase, fetchAdvice, fetchFraction, fetchRequest, googleAdvice, profileRegion } from "./fetch";

function progress(patch: Partial<FetchProgress>): FetchProgress {
  return {
    phase: "listing", identity_store_id: "d-1234567890", calls: 10, retries: 0, throttled: 0, users: 300, groups: 20,
    memberships: 0, groups_done: 0, groups_total: null, elapsed_ms: 500, rate: 18.5, ...patch,
  };
}

describe("fetch progress", () => {
  it("is indeterminate until the groups are known, then counts groups done", () => {
    expect(fetchFraction(null)).toBeNull();
    expect(fetchFraction(progress({}))).toBeNull();
    expect(fetchFraction(progress({ groups_done: 5, groups_total: 20 }))).toBe(0.25);
    expect(fetchFraction(progress({ groups_total: 0 }))).toBe(1);
    expect(fetchFraction(progress({ phase: "storing", groups_total: 20, groups_done: 3 }))).toBe(1);
  });

  it("says what the fetch is doing", () => {
    expect(describePhase(progress({ phase: "connecting" }))).toMatch(/credentials/);
    expect(describePhase(progress({ groups_done: 5, groups_total: 20 }))).toBe("Listing memberships: 5 of 20 groups");
    expect(describePhase(null)).toBe("Starting…");
  });
});

describe("fetch request", () => {
  it("leaves empty fields to the AWS defaults and trims the rest", () => {
    expect(fetchRequest(EMPTY_FETCH_FORM)).toEqual({ profile: null, region: null, identity_store_id: null, endpoint_url: null, rate: null, concurrency: null });
    expect(fetchRequest({ profile: "prod-sso", region: " eu-west-1 ", identityStoreId: "d-1234567890", endpointUrl: "" })).toMatchObject({
      profile: "prod-sso", region: "eu-west-1", identity_store_id: "d-1234567890", endpoint_url: null,
    });
  });

  it("offers the profile's region", () => {
    const choices = { profiles: [{ name: "prod-sso", region: "eu-west-1", sso: true }, { name: "dev", region: null, sso: false }], regions: ["us-east-1"] };
    expect(profileRegion(choices, "prod-sso")).toBe("eu-west-1");
    expect(profileRegion(choices, "dev")).toBeNull();
    expect(profileRegion(undefined, "x")).toBeNull();
  });

  it("advises by the kind of AWS failure", () => {
    expect(fetchAdvice("UNREACHABLE")).toMatch(/endpoint/);
    expect(fetchAdvice("CREDENTIALS")).toMatch(/aws sso login/);
    expect(fetchAdvice(undefined)).toBeNull();
  });
});

describe("live pull advice", () => {
  it("a refused CloudTrail pull names LookupEvents, other failures get the fetch's advice", () => {
    expect(cloudTrailAdvice("ACCESS_DENIED")).toMatch(/cloudtrail:LookupEvents/);
    expect(cloudTrailAdvice("UNREACHABLE")).toBe(fetchAdvice("UNREACHABLE"));
    expect(cloudTrailAdvice("CREDENTIALS")).toBe(fetchAdvice("CREDENTIALS"));
    expect(cloudTrailAdvice(undefined)).toBeNull();
  });

  it("a refused Google pull says where domain-wide delegation is granted and with which scopes", () => {
    const advice = googleAdvice("ACCESS_DENIED") ?? "";
    expect(advice).toMatch(/Domain-wide delegation/);
    expect(advice).toMatch(/admin\.directory\.group\.member\.readonly/);
    expect(googleAdvice("UNREACHABLE")).toMatch(/admin\.googleapis\.com/);
    expect(googleAdvice("THROTTLED")).toMatch(/try again/);
    expect(googleAdvice("OTHER")).toBeNull();
  });
});
