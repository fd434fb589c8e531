import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";

import { BackendError, cancelFetch, pullCloudTrail } from "../backend";
import type { CloudTrailProgress } from "../bindings/CloudTrailProgress";
import type { CommandError } from "../bindings/CommandError";
import type { FetchChoices } from "../bindings/FetchChoices";
import type { PullCloudTrailRes } from "../bindings/PullCloudTrailRes";
import { unexpected } from "../lib/errors";
import { cloudTrailAdvice } from "../lib/fetch";
import { formatCount } from "../lib/format";
import { AwsPickers } from "./AwsPickers";
import { ErrorBox } from "./ErrorBox";

type PullState =
  | { phase: "idle" }
  | { phase: "running"; progress: CloudTrailProgress | null; cancelling: boolean }
  | { phase: "failed"; error: CommandError }
  | { phase: "done"; result: PullCloudTrailRes };

const opt = (s: string) => (s.trim() === "" ? null : s.trim());

/** The CloudTrail part of the fetch dialog: the identity store's events (SCIM calls and the
 * Identity Store API's writes) read with LookupEvents under the picked profile, incremental from
 * the newest event held; progress with cancel (`cancel_fetch`), then the outcome or the error
 * with the AWS fetch's advice. */
export function CloudTrailPull({ choices, onClose, onBusy }: { choices: FetchChoices | undefined; onClose: () => void; onBusy: (busy: boolean) => void }) {
  const queryClient = useQueryClient();
  const [state, setState] = useState<PullState>({ phase: "idle" });
  const [target, setTarget] = useState({ profile: "", region: "" });
  const [since, setSince] = useState("");
  const [until, setUntil] = useState("");
  const [endpoint, setEndpoint] = useState("");

  const start = async () => {
    setState({ phase: "running", progress: null, cancelling: false });
    onBusy(true);
    try {
      const result = await pullCloudTrail(
        { profile: opt(target.profile), region: opt(target.region), endpoint_url: opt(endpoint), since: opt(since), until: opt(until) },
        (p) => setState((s) => (s.phase === "running" ? { ...s, progress: p } : s)),
      );
      setState({ phase: "done", result });
      await queryClient.invalidateQueries();
    } catch (err) {
      // A failed or cancelled pull stores nothing: no query needs refreshing.
      setState({ phase: "failed", error: err instanceof BackendError ? err.detail : unexpected(err) });
    } finally {
      onBusy(false);
    }
  };

  const cancel = async () => {
    setState((s) => (s.phase === "running" ? { ...s, cancelling: true } : s));
    await cancelFetch();
  };

  return (
    <>
      {state.phase === "idle" && (
        <form
          className="fetch-form"
          data-testid="pull-cloudtrail-form"
          onSubmit={(e) => {
            e.preventDefault();
            void start();
          }}
        >
          <p className="muted small">
            Reads the identity store&apos;s events from CloudTrail&apos;s event history (LookupEvents, read-only, 90 days at most): the SCIM
            calls and the Identity Store API&apos;s writes. Needs cloudtrail:LookupEvents in the region IAM Identity Center runs in. Without a
            start it continues after the newest CloudTrail event this workspace holds.
          </p>
          <AwsPickers choices={choices} profile={target.profile} region={target.region} testId="pull-cloudtrail" onChange={setTarget} />
          <label>
            <span className="label">Since (optional)</span>
            <input placeholder="7d, 2026-11-01 (default: after the newest event held)" value={since} data-testid="pull-cloudtrail-since" onChange={(e) => setSince(e.target.value)} />
          </label>
          <label>
            <span className="label">Until (optional)</span>
            <input placeholder="2026-11-20, 12h (default: now)" value={until} data-testid="pull-cloudtrail-until" onChange={(e) => setUntil(e.target.value)} />
          </label>
          <details>
            <summary className="small">Advanced</summary>
            <label>
              <span className="label">Endpoint URL</span>
              <input
                className="mono"
                placeholder="https://cloudtrail.REGION.amazonaws.com"
                value={endpoint}
                data-testid="pull-cloudtrail-endpoint"
                onChange={(e) => setEndpoint(e.target.value)}
              />
            </label>
          </details>
          <div className="row">
            <button type="submit" className="primary" data-testid="pull-cloudtrail-start">Pull from CloudTrail</button>
            <button type="button" onClick={onClose}>Close</button>
          </div>
        </form>
      )}

      {state.phase === "running" && (
        <section aria-live="polite" data-testid="pull-running">
          <div className="small" data-testid="pull-phase">
            {state.progress ? `Reading ${state.progress.source}…` : "Loading credentials…"}
          </div>
          <progress aria-label="Pull progress" />
          <div className="row small muted" data-testid="pull-counts">
            <span>{formatCount(state.progress?.pages ?? 0)} pages</span>
            <span>{formatCount(state.progress?.events ?? 0)} events</span>
            <span>{formatCount(state.progress?.calls ?? 0)} calls</span>
            {(state.progress?.throttled ?? 0) > 0 && <span className="warning">{formatCount(state.progress?.throttled ?? 0)} throttled, retried</span>}
          </div>
          <div className="row">
            <button type="button" onClick={() => void cancel()} disabled={state.cancelling} data-testid="pull-cancel">
              {state.cancelling ? "Cancelling…" : "Cancel"}
            </button>
          </div>
        </section>
      )}

      {state.phase === "failed" && (
        <section data-testid="pull-failed">
          {state.error.code === "CANCELLED" ? (
            <p className="warning" data-testid="pull-cancelled">Pull cancelled: nothing was stored.</p>
          ) : (
            <ErrorBox error={state.error} note={`Nothing was stored. ${cloudTrailAdvice(state.error.aws) ?? ""}`.trim()} />
          )}
          <div className="row">
            <button type="button" onClick={() => setState({ phase: "idle" })}>Back</button>
            <button type="button" onClick={onClose}>Close</button>
          </div>
        </section>
      )}

      {state.phase === "done" && (
        <section data-testid="pull-done">
          <p>
            <strong>{formatCount(state.result.new_events)} new events</strong> from CloudTrail, {formatCount(state.result.already_held)} already
            held; {formatCount(state.result.stats.pages)} pages, {formatCount(state.result.stats.calls)} calls in {state.result.stats.seconds.toFixed(1)} s
            {state.result.stats.throttled > 0 ? `, ${formatCount(state.result.stats.throttled)} throttled` : ""}.
          </p>
          <div className="small muted" data-testid="pull-window">
            {state.result.since} to {state.result.until}
            {state.result.incremental ? " (after the newest event held)" : ""}
            {state.result.clamped ? " (moved to the start of CloudTrail's 90 days)" : ""}
          </div>
          {state.result.outcome && (
            <div className="small" data-testid="pull-outcome">
              {state.result.outcome.result === "imported" ? `Imported as ${state.result.outcome.path}` : `Already in the workspace as ${state.result.outcome.existing_path}`}
            </div>
          )}
          {!state.result.outcome && <div className="small muted">Nothing new: nothing stored.</div>}
          <div className="row">
            <button type="button" className="primary" onClick={onClose}>Close</button>
          </div>
        </section>
      )}
    </>
  );
}
