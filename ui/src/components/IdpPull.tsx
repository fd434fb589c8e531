import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";

import { BackendError, cancelFetch, pullEntra, pullOkta } from "../backend";
import type { CommandError } from "../bindings/CommandError";
import type { DeviceCodePrompt } from "../bindings/DeviceCodePrompt";
import type { ImportOutcome } from "../bindings/ImportOutcome";
import { unexpected } from "../lib/errors";
import { idpAdvice } from "../lib/fetch";
import { formatCount } from "../lib/format";
import { ErrorBox } from "./ErrorBox";

export type IdpSource = "okta" | "entra";

/** What a running pull shows: counts, a wait for the rate limit, the sign-in code. */
type Running = { pages: number; records: number; calls: number; throttled: number; waiting: boolean; signIn: DeviceCodePrompt | null };

type PullState =
  | { phase: "idle" }
  | { phase: "running"; progress: Running; cancelling: boolean }
  | { phase: "failed"; error: CommandError }
  | { phase: "done"; outcomes: (ImportOutcome | null)[]; calls: number; seconds: number; records: number };

const START: Running = { pages: 0, records: 0, calls: 0, throttled: 0, waiting: false, signIn: null };

/** The Entra or Okta part of the fetch dialog: the form (the token typed here goes to the Rust
 * side once and is not kept by the page), then progress with cancel, then the outcome or the
 * error with advice. */
export function IdpPull({ source, onClose, onBusy }: { source: IdpSource; onClose: () => void; onBusy: (busy: boolean) => void }) {
  const queryClient = useQueryClient();
  const [state, setState] = useState<PullState>({ phase: "idle" });
  const [org, setOrg] = useState("");
  const [app, setApp] = useState("");
  const [tenant, setTenant] = useState("");
  const [clientId, setClientId] = useState("");
  const [since, setSince] = useState("");
  const [failuresOnly, setFailuresOnly] = useState(false);
  const [token, setToken] = useState("");

  const update = (next: Partial<Running>) =>
    setState((s) => (s.phase === "running" ? { ...s, progress: { ...s.progress, ...next } } : s));

  const start = async () => {
    const secret = token.trim() === "" ? null : token.trim();
    // The page forgets the token as soon as the request is made.
    setToken("");
    setState({ phase: "running", progress: START, cancelling: false });
    onBusy(true);
    try {
      if (source === "okta") {
        const res = await pullOkta(
          { org, since: since || null, until: null, token: secret, token_kind: null },
          (p) => update({ pages: p.pages, records: p.events, calls: p.calls, throttled: p.throttled, waiting: p.waiting_ms !== null }),
        );
        setState({ phase: "done", outcomes: [res.outcome], calls: res.stats.calls, seconds: res.stats.seconds, records: res.new_events });
      } else {
        const res = await pullEntra(
          { tenant: tenant || null, since: since || null, until: null, app: app || null, failures_only: failuresOnly, token: secret, client_id: clientId || null },
          (p) =>
            p.sign_in
              ? update({ signIn: p.sign_in })
              : update({ signIn: null, pages: p.pages, records: p.records, calls: p.calls, throttled: p.throttled, waiting: p.waiting_ms !== null }),
        );
        setState({ phase: "done", outcomes: [res.outcome, res.job_outcome], calls: res.stats.calls, seconds: res.stats.seconds, records: res.new_records });
      }
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

  const name = source === "okta" ? "Okta" : "Entra ID";
  return (
    <>
      {state.phase === "idle" && (
        <form
          className="fetch-form"
          data-testid={`pull-${source}-form`}
          onSubmit={(e) => {
            e.preventDefault();
            void start();
          }}
        >
          {source === "okta" ? (
            <>
              <p className="muted small">
                Reads the provisioning events of Okta&apos;s System Log (read-only, paced by Okta&apos;s rate limit) into one source. An API
                token (Security &gt; API &gt; Tokens) of an admin who may view the System Log, or an OAuth token with okta.logs.read.
              </p>
              <label>
                <span className="label">Org</span>
                <input className="mono" required placeholder="https://ORG.okta.com" value={org} data-testid="pull-okta-org" onChange={(e) => setOrg(e.target.value)} />
              </label>
            </>
          ) : (
            <>
              <p className="muted small">
                Reads Entra&apos;s provisioning logs from Microsoft Graph (read-only) into one source, and the app&apos;s provisioning job status.
                Paste a Graph access token, or give an app registration&apos;s client id to sign in with a code (AuditLog.Read.All,
                Synchronization.Read.All, and Application.Read.All to find the app by name).
              </p>
              <label>
                <span className="label">App (exact name or object id)</span>
                <input placeholder="AWS IAM Identity Center" value={app} data-testid="pull-entra-app" onChange={(e) => setApp(e.target.value)} />
              </label>
              <label>
                <span className="label">Client id (device-code sign-in)</span>
                <input className="mono" value={clientId} data-testid="pull-entra-client-id" onChange={(e) => setClientId(e.target.value)} />
              </label>
              <label>
                <span className="label">Tenant</span>
                <input className="mono" placeholder="contoso.onmicrosoft.com" value={tenant} data-testid="pull-entra-tenant" onChange={(e) => setTenant(e.target.value)} />
              </label>
              <label className="row small">
                <input type="checkbox" checked={failuresOnly} data-testid="pull-entra-failures" onChange={(e) => setFailuresOnly(e.target.checked)} />
                Failures only
              </label>
            </>
          )}
          <label>
            <span className="label">{source === "okta" ? "API token" : "Access token (optional with a client id)"}</span>
            <input type="password" autoComplete="off" className="mono" value={token} data-testid={`pull-${source}-token`} onChange={(e) => setToken(e.target.value)} />
          </label>
          <label>
            <span className="label">Since (optional)</span>
            <input placeholder="7d, 2026-11-01 (default: after the newest record held)" value={since} data-testid={`pull-${source}-since`} onChange={(e) => setSince(e.target.value)} />
          </label>
          <div className="row">
            <button type="submit" className="primary" data-testid={`pull-${source}-start`}>Pull from {name}</button>
            <button type="button" onClick={onClose}>Close</button>
          </div>
        </form>
      )}

      {state.phase === "running" && (
        <section aria-live="polite" data-testid="pull-running">
          {state.progress.signIn && (
            <p data-testid="pull-sign-in">
              Open <span className="mono">{state.progress.signIn.verification_uri}</span> and enter the code{" "}
              <strong className="mono" data-testid="pull-user-code">{state.progress.signIn.user_code}</strong>.
            </p>
          )}
          <progress aria-label="Pull progress" />
          <div className="row small muted" data-testid="pull-counts">
            <span>{formatCount(state.progress.pages)} pages</span>
            <span>{formatCount(state.progress.records)} records</span>
            <span>{formatCount(state.progress.calls)} calls</span>
            {state.progress.throttled > 0 && <span className="warning">{formatCount(state.progress.throttled)} throttled, retried</span>}
            {state.progress.waiting && <span>waiting for the rate limit</span>}
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
            <ErrorBox error={state.error} note={`Nothing was stored. ${idpAdvice(source, state.error.idp) ?? ""}`.trim()} />
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
            <strong>{formatCount(state.records)} new records</strong> from {name} in {state.seconds.toFixed(1)} s, {formatCount(state.calls)} calls.
          </p>
          {state.outcomes.map((o, i) =>
            o === null ? null : (
              <div key={i} className="small" data-testid="pull-outcome">
                {o.result === "imported" ? `Imported as ${o.path}` : `Already in the workspace as ${o.existing_path}`}
              </div>
            ),
          )}
          {state.outcomes.every((o) => o === null) && <div className="small muted">Nothing new: nothing stored.</div>}
          <div className="row">
            <button type="button" className="primary" onClick={onClose}>Close</button>
          </div>
        </section>
      )}
    </>
  );
}
