// How a running fetch of the identity store reads: its share done, its phase in words, and the
// request the dialog's choices make.
import type { AwsErrorKind } from "../bindings/AwsErrorKind";
import type { FetchChoices } from "../bindings/FetchChoices";
import type { FetchProgress } from "../bindings/FetchProgress";
import type { FetchStoreReq } from "../bindings/FetchStoreReq";
import type { IdpErrorKind } from "../bindings/IdpErrorKind";

/** 0..1 of the groups whose memberships are listed; null until the groups are known (the
 * progress bar is then indeterminate). */
export function fetchFraction(p: FetchProgress | null): number | null {
  if (!p) return null;
  if (p.phase === "storing" || p.phase === "done") return 1;
  if (p.groups_total === null) return null;
  if (p.groups_total === 0) return 1;
  return Math.min(1, p.groups_done / p.groups_total);
}

export function describePhase(p: FetchProgress | null): string {
  if (!p) return "Starting…";
  switch (p.phase) {
    case "connecting":
      return "Loading credentials and finding the identity store…";
    case "listing":
      return p.groups_total === null
        ? "Listing users and groups…"
        : `Listing memberships: ${p.groups_done} of ${p.groups_total} groups`;
    case "storing":
      return "Storing the snapshot…";
    case "done":
      return "Done";
  }
}

export interface FetchForm {
  profile: string;
  region: string;
  identityStoreId: string;
  endpointUrl: string;
}

export const EMPTY_FETCH_FORM: FetchForm = { profile: "", region: "", identityStoreId: "", endpointUrl: "" };

/** The request: empty fields fall back to the AWS defaults (default profile chain, the
 * profile's region, the store found through ListInstances). */
export function fetchRequest(f: FetchForm): FetchStoreReq {
  const opt = (s: string) => (s.trim() === "" ? null : s.trim());
  return {
    profile: opt(f.profile),
    region: opt(f.region),
    identity_store_id: opt(f.identityStoreId),
    endpoint_url: opt(f.endpointUrl),
    rate: null,
    concurrency: null,
  };
}

/** The region a profile sets, offered when the user picks it (the region picker stays free). */
export function profileRegion(choices: FetchChoices | undefined, profile: string): string | null {
  return choices?.profiles.find((p) => p.name === profile)?.region ?? null;
}

/** What to do about a failed fetch, by the kind of AWS failure. */
export function fetchAdvice(kind: AwsErrorKind | undefined): string | null {
  switch (kind) {
    case "UNREACHABLE":
      return "Check the region, the endpoint URL and the network (proxy, VPN).";
    case "CREDENTIALS":
      return "Pick a profile with credentials; for an IAM Identity Center (SSO) profile run `aws sso login --profile NAME` first.";
    case "ACCESS_DENIED":
      return "The credentials lack read access: identitystore:ListUsers, ListGroups, ListGroupMemberships (and sso:ListInstances without a store id).";
    case "NOT_FOUND":
      return "Check the identity store id (d-…) and that the region is the one IAM Identity Center runs in.";
    case "THROTTLED":
      return "AWS kept throttling: try again in a minute.";
    default:
      return null;
  }
}

/** What to do about a failed CloudTrail pull: the identity store fetch's advice, but for
 * LookupEvents' own permission. */
export function cloudTrailAdvice(kind: AwsErrorKind | undefined): string | null {
  switch (kind) {
    case "ACCESS_DENIED":
      return "The credentials lack cloudtrail:LookupEvents (read-only); ask for it in the region IAM Identity Center runs in.";
    case "NOT_FOUND":
      return "Check the region: CloudTrail's event history is per region, the one IAM Identity Center runs in.";
    default:
      return fetchAdvice(kind);
  }
}

/** What to do after an IdP pull failed, by how it failed (a CommandError's `idp`). */
export function idpAdvice(source: "okta" | "entra", kind: IdpErrorKind | undefined): string | null {
  switch (kind) {
    case "UNREACHABLE":
      return source === "okta"
        ? "Check the org address (https://ORG.okta.com) and the network (proxy, VPN)."
        : "Check the network (proxy, VPN): graph.microsoft.com and login.microsoftonline.com must be reachable.";
    case "SIGN_IN":
      return source === "okta"
        ? "The token was refused: create a new API token under Security > API > Tokens (they expire after 30 days unused)."
        : "The sign-in expired or was refused: get a new token (az account get-access-token --resource-type ms-graph) or sign in again.";
    case "ACCESS_DENIED":
      return source === "okta"
        ? "The token may not read the System Log: its admin needs a role that can (Read-only Administrator), or an OAuth token needs the okta.logs.read scope."
        : "The sign-in lacks AuditLog.Read.All (and a reader role such as Reports Reader), Synchronization.Read.All (the job status) or Application.Read.All (the app by name); provisioning logs also need Entra ID P1 or P2.";
    case "NOT_FOUND":
      return source === "okta" ? "Check the org address." : "Check the app's name (exact) or object id, and the tenant.";
    case "THROTTLED":
      return "The IdP kept throttling: try again in a few minutes.";
    default:
      return null;
  }
}

/** What to do after a Google Workspace pull failed, by how it failed (a CommandError's `idp`).
 * A missing domain-wide delegation and an administrator without the privilege both come back
 * as ACCESS_DENIED: the advice names both. */
export function googleAdvice(kind: IdpErrorKind | undefined): string | null {
  switch (kind) {
    case "UNREACHABLE":
      return "Check the network (proxy, VPN): oauth2.googleapis.com and admin.googleapis.com must be reachable.";
    case "SIGN_IN":
      return "Google refused the sign-in: check that the admin email is an existing administrator's, that the key is not deleted or disabled, and this computer's clock.";
    case "ACCESS_DENIED":
      return "In the Admin console, Security > Access and data control > API controls > Domain-wide delegation, add the service account's client id with the three read-only scopes (admin.directory.user.readonly, admin.directory.group.readonly, admin.directory.group.member.readonly); the admin must be allowed to read users and groups.";
    case "NOT_FOUND":
      return "Check the customer id (C0…) and the domain.";
    case "THROTTLED":
      return "Google kept throttling: try again in a few minutes.";
    default:
      return null;
  }
}
