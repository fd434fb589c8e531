import type { FetchChoices } from "../bindings/FetchChoices";
import { profileRegion } from "../lib/fetch";

/** The AWS profile and region pickers the identity-store fetch and the CloudTrail pull share:
 * picking a profile offers its region; the SSO hint says how to renew an expired session. */
export function AwsPickers({
  choices,
  profile,
  region,
  testId,
  onChange,
}: {
  choices: FetchChoices | undefined;
  profile: string;
  region: string;
  testId: string;
  onChange: (next: { profile: string; region: string }) => void;
}) {
  return (
    <>
      <label>
        <span className="label">Profile</span>
        <select
          value={profile}
          data-testid={`${testId}-profile`}
          onChange={(e) => {
            const next = e.target.value;
            onChange({ profile: next, region: profileRegion(choices, next) ?? region });
          }}
        >
          <option value="">Default credentials (environment, default profile)</option>
          {choices?.profiles.map((pr) => (
            <option key={pr.name} value={pr.name}>
              {pr.name}
              {pr.sso ? " (IAM Identity Center SSO)" : ""}
              {pr.region ? ` · ${pr.region}` : ""}
            </option>
          ))}
        </select>
      </label>
      {choices?.profiles.find((pr) => pr.name === profile)?.sso && (
        <p className="small muted">An SSO profile: run <span className="mono">aws sso login --profile {profile}</span> first if its session has expired.</p>
      )}
      <label>
        <span className="label">Region</span>
        <select value={region} data-testid={`${testId}-region`} onChange={(e) => onChange({ profile, region: e.target.value })}>
          <option value="">The profile&apos;s or the environment&apos;s region</option>
          {choices?.regions.map((r) => (
            <option key={r} value={r}>{r}</option>
          ))}
        </select>
      </label>
    </>
  );
}
