import type { CommandError } from "../bindings/CommandError";
import { describePosition, errorTitle } from "../lib/errors";

/** A failed command, laid out: what happened, in which file, where, what was expected. */
export function ErrorBox({ error, note }: { error: CommandError; note?: string }) {
  const where = describePosition(error.position);
  return (
    <div className="error-box" role="alert" data-testid="error-box" data-code={error.code}>
      <strong>{errorTitle(error.code)}</strong>
      <dl>
        {error.path !== null && (
          <>
            <dt>File</dt>
            <dd className="mono">{error.path}</dd>
          </>
        )}
        {where !== null && (
          <>
            <dt>Where</dt>
            <dd>{where}</dd>
          </>
        )}
        {error.expected !== null && (
          <>
            <dt>Expected</dt>
            <dd>{error.expected}</dd>
          </>
        )}
        {error.found !== null && (
          <>
            <dt>Found</dt>
            <dd>{error.found}</dd>
          </>
        )}
      </dl>
      <p className="mono small">{error.message}</p>
      {note && <p className="note">{note}</p>}
    </div>
  );
}

/** The error of a query, when it is a command error; anything else as plain text. */
export function QueryError({ error }: { error: unknown }) {
  if (error && typeof error === "object" && "detail" in error) {
    return <ErrorBox error={(error as { detail: CommandError }).detail} />;
  }
  return <div className="error-box" role="alert">{String(error)}</div>;
}
