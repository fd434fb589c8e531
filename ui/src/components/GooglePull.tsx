import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";

import { BackendError, cancelFetch, pickGoogleKeyFile, pullGoogleDirectory } from "../backend";
import type { CommandError } from "../bindings/CommandError";
import type { GooglePullProgress } from "../bindings/GooglePullProgress";
import type { PullGoogleRes } from "../bindings/PullGoogleRes";
import { unexpected } from "../lib/errors";
import { googleAdvice } from "../lib/fetch";
import { formatCount } from "../lib/format";
import { ErrorBox } from "./ErrorBox";

type PullState =
  | { phase: "idle" }
  | { phase: "running"; progress: GooglePullProgress | null; cancelling: boolean }
  | { phase: "failed"; error: CommandError }
  | { phase: "done"; result: PullGoogleRes };

const opt = (s: string) => (s.trim() === "" ? null : s.trim());

/** The Google Workspace part of the fetch dialog: the directory (users, groups, members) read
 * through the Admin SDK as a service account acting for an administrator. The key file is picked
 * in the Rust side's dialog (so only that file may be read) and never enters the page; then
 * progress with cancel, then the directory stored or the error with advice. */
export function GooglePull({ onClose, onBusy }: { onClose: () => void; onBusy: (busy: boolean) => void }) {
  const queryClient = useQueryClient();
  const [state, setState] = useState<PullState>({ phase: "idle" });
  const [keyFile, setKeyFile] = useState<string | null>(null);
  const [pickError, setPickError] = useState<CommandError | null>(null);
  const [admin, setAdmin] = useState("");
  const [customer, setCustomer] = useState("");
  const [domain, setDomain] = useState("");

  const pick = async () => {
    setPickError(null);
    try {
      const picked = await pickGoogleKeyFile();
      if (picked?.[0]) setKeyFile(picked[0]);
    } catch (err) {
      setPickError(err instanceof BackendError ? err.detail : unexpected(err));
    }
  };

  const start = async (key: string) => {
    setState({ phase: "running", progress: null, cancelling: false });
    onBusy(true);
    try {
      const result = await pullGoogleDirectory(
        { key_file: key, admin: admin.trim(), customer: opt(customer), domain: opt(domain), endpoint_url: null },
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

  const p = state.phase === "running" ? state.progress : null;
  return (
    <>
      {state.phase === "idle" && (
        <form
          className="fetch-form"
          data-testid="pull-google-form"
          onSubmit={(e) => {
            e.preventDefault();
            if (keyFile) void start(keyFile);
          }}
        >
          <p className="muted small">
            Reads Google Workspace&apos;s users, groups and members through the Admin SDK (read-only) into one directory import, for Compare
            and Preflight. A service account&apos;s JSON key with domain-wide delegation of the three read-only directory scopes, acting for an
            administrator. The key is read when the pull starts and kept in memory only.
          </p>
          <div className="row">
            <button type="button" onClick={() => void pick()} data-testid="pull-google-key">
              {keyFile ? "Another key file…" : "Pick the key file…"}
            </button>
            <span className="mono small" data-testid="pull-google-key-path">{keyFile ?? "No key file picked"}</span>
          </div>
          {pickError && <ErrorBox error={pickError} />}
          <label>
            <span className="label">Administrator&apos;s email</span>
            <input type="email" required placeholder="admin@example.com" value={admin} data-testid="pull-google-admin" onChange={(e) => setAdmin(e.target.value)} />
          </label>
          <label>
            <span className="label">Customer id (optional)</span>
            <input className="mono" placeholder="my_customer (the administrator's own)" value={customer} disabled={domain.trim() !== ""} data-testid="pull-google-customer" onChange={(e) => setCustomer(e.target.value)} />
          </label>
          <label>
            <span className="label">Domain (optional)</span>
            <input placeholder="example.com (only its users and groups)" value={domain} disabled={customer.trim() !== ""} data-testid="pull-google-domain" onChange={(e) => setDomain(e.target.value)} />
          </label>
          <div className="row">
            <button type="submit" className="primary" disabled={!keyFile} data-testid="pull-google-start">Pull from Google Workspace</button>
            <button type="button" onClick={onClose}>Close</button>
          </div>
        </form>
      )}

      {state.phase === "running" && (
        <section aria-live="polite" data-testid="pull-running">
          {p && p.groups > 0 ? (
            <progress max={p.groups} value={p.groups_done} aria-label="Pull progress" />
          ) : (
            <progress aria-label="Pull progress" />
          )}
          <div className="row small muted" data-testid="pull-counts">
            <span>{formatCount(p?.users ?? 0)} users</span>
            <span>{formatCount(p?.groups ?? 0)} groups</span>
            <span>{formatCount(p?.memberships ?? 0)} memberships</span>
            <span>members of {formatCount(p?.groups_done ?? 0)} of {formatCount(p?.groups ?? 0)} groups</span>
            <span>{formatCount(p?.calls ?? 0)} calls</span>
            {(p?.throttled ?? 0) > 0 && <span className="warning">{formatCount(p?.throttled ?? 0)} throttled, retried</span>}
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
            <ErrorBox error={state.error} note={`Nothing was stored. ${googleAdvice(state.error.idp) ?? ""}`.trim()} />
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
            <strong>Directory stored</strong> ({state.result.directory.label}): {formatCount(state.result.directory.users)} users,{" "}
            {formatCount(state.result.directory.groups)} groups, {formatCount(state.result.directory.memberships)} memberships in{" "}
            {state.result.seconds.toFixed(1)} s, {formatCount(state.result.calls)} calls
            {state.result.throttled > 0 ? `, ${formatCount(state.result.throttled)} throttled` : ""}.
          </p>
          {state.result.directory.warnings.map((w) => (
            <div key={w} className="warning small">{w}</div>
          ))}
          <div className="row">
            <button type="button" className="primary" onClick={onClose}>Close</button>
          </div>
        </section>
      )}
    </>
  );
}
