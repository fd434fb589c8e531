import { useState } from "react";

import { useFetchChoices } from "../hooks/queries";
import { useFetch } from "../hooks/useFetch";
import { describePhase, EMPTY_FETCH_FORM, fetchAdvice, fetchFraction, fetchRequest, type FetchForm } from "../lib/fetch";
import { formatCount } from "../lib/format";
import { useUi } from "../state/ui";
import { AwsPickers } from "./AwsPickers";
import { CloudTrailPull } from "./CloudTrailPull";
import { ErrorBox } from "./ErrorBox";
import { GooglePull } from "./GooglePull";
import { IdpPull, type IdpSource } from "./IdpPull";

type Source = "aws" | "cloudtrail" | "google" | IdpSource;

/** The sources the dialog offers, in the order shown: AWS's two first. */
const SOURCES: [Source, string][] = [
  ["aws", "AWS identity store"],
  ["cloudtrail", "AWS CloudTrail"],
  ["entra", "Entra ID logs"],
  ["okta", "Okta System Log"],
  ["google", "Google Workspace directory"],
];

const TITLES: Record<Source, string> = {
  aws: "Fetch the AWS identity store",
  cloudtrail: "Pull the identity store's CloudTrail events",
  entra: "Pull Entra's provisioning logs",
  okta: "Pull Okta's System Log",
  google: "Pull Google Workspace's directory",
};

/** Fetch live evidence: the AWS identity store (profile and region pickers, then progress,
 * cancellable, then the outcome; credentials never pass through the UI: the Rust side uses the
 * AWS chain), the identity store's CloudTrail events with the same pickers (`CloudTrailPull`), or
 * the IdP's provisioning logs from Entra ID or Okta (`IdpPull`), or Google Workspace's directory
 * (`GooglePull`). */
export function FetchDialog() {
  const open = useUi((s) => s.fetchOpen);
  const setOpen = useUi((s) => s.setFetchOpen);
  const state = useUi((s) => s.fetchState);
  const setFetch = useUi((s) => s.setFetch);
  const navigate = useUi((s) => s.navigate);
  const choices = useFetchChoices(open);
  const { start, cancel } = useFetch();
  const [form, setForm] = useState<FetchForm>(EMPTY_FETCH_FORM);
  const [source, setSource] = useState<Source>("aws");
  const [pulling, setPulling] = useState(false);

  if (!open) return null;
  const close = () => {
    setOpen(false);
    if (state.phase !== "running") setFetch({ phase: "idle" });
  };
  const p = state.phase === "running" ? state.progress : null;
  const fraction = fetchFraction(p);

  return (
    <div className="modal" role="dialog" aria-modal="true" aria-label={TITLES[source]} data-testid="fetch-dialog">
      <div className="modal-body fetch-body">
        <h2>{TITLES[source]}</h2>
        {state.phase !== "running" && !pulling && (
          <div className="row small" role="radiogroup" aria-label="Source" data-testid="fetch-source">
            {SOURCES.map(([s, label]) => (
              <label key={s}>
                <input type="radio" name="fetch-source" value={s} checked={source === s} data-testid={`fetch-source-${s}`} onChange={() => setSource(s)} />
                {label}
              </label>
            ))}
          </div>
        )}
        {(source === "okta" || source === "entra") && <IdpPull key={source} source={source} onClose={close} onBusy={setPulling} />}
        {source === "cloudtrail" && <CloudTrailPull choices={choices.data} onClose={close} onBusy={setPulling} />}
        {source === "google" && <GooglePull onClose={close} onBusy={setPulling} />}
        {source === "aws" && state.phase === "idle" && (
          <form
            className="fetch-form"
            onSubmit={(e) => {
              e.preventDefault();
              void start(fetchRequest(form));
            }}
          >
            <p className="muted small">
              Read-only calls (ListUsers, ListGroups, ListGroupMemberships) with the standard AWS credentials of the
              profile you pick. Nothing secret is stored; the snapshot lands in this workspace.
            </p>
            <AwsPickers
              choices={choices.data}
              profile={form.profile}
              region={form.region}
              testId="fetch"
              onChange={(next) => setForm({ ...form, ...next })}
            />
            <label>
              <span className="label">Identity store id (optional)</span>
              <input
                className="mono"
                placeholder="d-1234567890 (found with ListInstances when empty)"
                value={form.identityStoreId}
                data-testid="fetch-store-id"
                onChange={(e) => setForm({ ...form, identityStoreId: e.target.value })}
              />
            </label>
            <details>
              <summary className="small">Advanced</summary>
              <label>
                <span className="label">Endpoint URL</span>
                <input
                  className="mono"
                  placeholder="https://identitystore.REGION.amazonaws.com"
                  value={form.endpointUrl}
                  data-testid="fetch-endpoint"
                  onChange={(e) => setForm({ ...form, endpointUrl: e.target.value })}
                />
              </label>
            </details>
            <div className="row">
              <button type="submit" className="primary" data-testid="fetch-start">Fetch</button>
              <button type="button" onClick={close}>Close</button>
            </div>
          </form>
        )}

        {source === "aws" && state.phase === "running" && (
          <section aria-live="polite" data-testid="fetch-running">
            <div className="small" data-testid="fetch-phase">{describePhase(p)}</div>
            {fraction === null ? (
              <progress aria-label="Fetch progress" />
            ) : (
              <progress max={1} value={fraction} aria-label="Fetch progress" />
            )}
            <div className="row small muted" data-testid="fetch-counts">
              <span>{formatCount(p?.users ?? 0)} users</span>
              <span>{formatCount(p?.groups ?? 0)} groups</span>
              <span>{formatCount(p?.memberships ?? 0)} memberships</span>
              <span>{formatCount(p?.calls ?? 0)} API calls</span>
              <span data-testid="fetch-rate">{p ? `${p.rate.toFixed(1)} calls/s` : ""}</span>
              {p && p.throttled > 0 && <span className="warning">{formatCount(p.throttled)} throttled, retried</span>}
            </div>
            <div className="row">
              <button type="button" onClick={cancel} disabled={state.cancelling} data-testid="fetch-cancel">
                {state.cancelling ? "Cancelling…" : "Cancel"}
              </button>
            </div>
          </section>
        )}

        {source === "aws" && state.phase === "failed" && (
          <section data-testid="fetch-failed">
            {state.error.code === "CANCELLED" ? (
              <p className="warning" data-testid="fetch-cancelled">Fetch cancelled: nothing was stored.</p>
            ) : (
              <ErrorBox error={state.error} note={`Nothing was stored. ${fetchAdvice(state.error.aws) ?? ""}`.trim()} />
            )}
            <div className="row">
              <button type="button" onClick={() => setFetch({ phase: "idle" })}>Back</button>
              <button type="button" onClick={close}>Close</button>
            </div>
          </section>
        )}

        {source === "aws" && state.phase === "done" && (
          <section data-testid="fetch-done">
            <p>
              <strong>Snapshot stored</strong> ({state.result.stats.identity_store_id}):{" "}
              {formatCount(state.result.stats.users)} users, {formatCount(state.result.stats.groups)} groups,{" "}
              {formatCount(state.result.stats.memberships)} memberships in {state.result.stats.seconds.toFixed(1)} s,{" "}
              {formatCount(state.result.stats.calls)} API calls.
            </p>
            {state.result.stats.warnings.map((w) => (
              <div key={w} className="warning small">{w}</div>
            ))}
            <div className="row">
              <button
                type="button"
                className="primary"
                onClick={() => {
                  close();
                  navigate({ view: "compare" });
                }}
              >
                Compare with the IdP
              </button>
              <button type="button" onClick={close}>Close</button>
            </div>
          </section>
        )}
      </div>
    </div>
  );
}
