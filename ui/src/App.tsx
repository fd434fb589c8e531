import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useMemo, useRef, useState } from "react";

import { appReady, onFilesDropped } from "./backend";
import { QueryError } from "./components/ErrorBox";
import { prefetchProblems, useOverview } from "./hooks/queries";
import { useImport } from "./hooks/useImport";
import { SHORTCUTS, useShortcuts } from "./hooks/useShortcuts";
import { FetchDialog } from "./components/FetchDialog";
import { useAppInfo, useWorkspaceActions } from "./hooks/useWorkspace";
import type { ViewName } from "./lib/nav";
import { useUi } from "./state/ui";
import { CompareView } from "./views/CompareView";
import { EntityView } from "./views/EntityView";
import { ExportView } from "./views/ExportView";
import { OverviewView } from "./views/OverviewView";
import { PreflightView } from "./views/PreflightView";
import { ProblemsView } from "./views/ProblemsView";
import { SourcesView } from "./views/SourcesView";

const NAV: { view: ViewName; label: string; key: string }[] = [
  { view: "sources", label: "Sources", key: "Ctrl+1" },
  { view: "overview", label: "Overview", key: "Ctrl+2" },
  { view: "problems", label: "Problems", key: "Ctrl+3" },
  { view: "compare", label: "Compare", key: "Ctrl+4" },
  { view: "preflight", label: "Preflight", key: "Ctrl+5" },
  { view: "export", label: "Export", key: "Ctrl+6" },
];

export function App() {
  const info = useAppInfo();
  const overview = useOverview();
  const queryClient = useQueryClient();
  const route = useUi((s) => s.route);
  const navigate = useUi((s) => s.navigate);
  const importing = useUi((s) => s.importState);
  const fetching = useUi((s) => s.fetchState.phase === "running");
  const setFetchOpen = useUi((s) => s.setFetchOpen);
  const { start, pickAndStart } = useImport();
  const workspace = useWorkspaceActions();
  const [hovering, setHovering] = useState(false);
  const [help, setHelp] = useState(false);
  const helpOpen = useRef(help);
  useEffect(() => {
    helpOpen.current = help;
  }, [help]);

  const shortcutActions = useMemo(
    () => ({
      openWorkspace: workspace.pickAndOpen,
      importFiles: pickAndStart,
      toggleHelp: () => setHelp((h) => !h),
      dismiss: () => {
        const ui = useUi.getState();
        if (ui.fetchOpen) {
          ui.setFetchOpen(false);
          if (ui.fetchState.phase !== "running") ui.setFetch({ phase: "idle" });
          return true;
        }
        if (!helpOpen.current) return false;
        setHelp(false);
        return true;
      },
    }),
    [workspace.pickAndOpen, pickAndStart],
  );
  useShortcuts(shortcutActions);

  // Dropping files anywhere on the window imports them (after showing the Sources view).
  useEffect(() => {
    let unlisten: (() => void) | undefined;
    let gone = false;
    onFilesDropped({
      onHover: setHovering,
      onDrop: (paths) => {
        navigate({ view: "sources" });
        void start(paths);
      },
    }).then((f) => {
      if (gone) f();
      else unlisten = f;
    }, () => undefined);
    return () => {
      gone = true;
      unlisten?.();
    };
  }, [navigate, start]);

  // The first view with data is the moment the window is usable: tell the shell (cold start).
  // Then the Problems view's first rows and root causes, so opening it needs no round trip.
  useEffect(() => {
    if (!overview.data) return;
    void appReady().catch(() => undefined);
    prefetchProblems(queryClient, useUi.getState().filters);
  }, [overview.data, queryClient]);

  const ws = info.data?.workspace;
  return (
    <div className={`app ${hovering ? "drop-hover" : ""}`}>
      <nav className="sidebar" aria-label="Views">
        <div className="brand">
          <img src="/icon.png" alt="" width={22} height={22} />
          scimlens
        </div>
        <div className="ws" title={ws?.path}>
          {ws?.demo ? (
            <span className="badge demo" data-testid="demo-label">Demo workspace</span>
          ) : (
            <span className="ws-label" data-testid="workspace-name">{ws?.name ?? "…"}</span>
          )}
        </div>
        {NAV.map((n) => (
          <button
            type="button"
            key={n.view}
            className={`nav ${route.view === n.view ? "active" : ""}`}
            aria-current={route.view === n.view ? "page" : undefined}
            onClick={() => {
              // The app benchmark measures from here to the view's first rows on screen.
              performance.mark(`open-${n.view}`);
              navigate({ view: n.view });
            }}
            title={n.key}
            data-testid={`nav-${n.view}`}
          >
            {n.label}
            {n.view === "problems" && overview.data && overview.data.totals.problem_entities > 0 && (
              <span className="nav-count">{overview.data.totals.problem_entities.toLocaleString("en-US")}</span>
            )}
          </button>
        ))}
        {importing.phase === "running" && (
          <button type="button" className="nav importing" onClick={() => navigate({ view: "sources" })}>
            Importing…
          </button>
        )}
        {fetching && (
          <button type="button" className="nav importing" onClick={() => setFetchOpen(true)}>
            Fetching from AWS…
          </button>
        )}
        <div className="spacer" />
        <button type="button" className="link small" onClick={() => setHelp(!help)}>Keyboard shortcuts (?)</button>
        <div className="small muted">v{info.data?.version}</div>
      </nav>

      <main className="content">
        {ws?.notice && (
          <div className="notice-banner" role="alert">
            {ws.notice}{" "}
            <button type="button" className="link" onClick={() => navigate({ view: "sources" })}>Open another workspace</button>
          </div>
        )}
        {ws?.demo && route.view !== "sources" && (
          <div className="demo-banner" role="note">
            You are looking at the <strong>demo workspace</strong>: sample logs, an IdP directory export and an identity store snapshot built into scimlens. Open or create a
            workspace under <button type="button" className="link" onClick={() => navigate({ view: "sources" })}>Sources</button> to
            investigate your own.
          </div>
        )}
        {info.error ? <QueryError error={info.error} /> : <Route view={route.view} />}
      </main>

      <FetchDialog />
      {hovering && <div className="drop-overlay" aria-hidden>Drop logs to import them</div>}
      {help && (
        <div className="modal" role="dialog" aria-label="Keyboard shortcuts" onClick={() => setHelp(false)}>
          <div className="modal-body">
            <h2>Keyboard shortcuts</h2>
            <dl className="shortcuts">
              {SHORTCUTS.map(([k, what]) => (
                <div key={k}>
                  <dt><kbd>{k}</kbd></dt>
                  <dd>{what}</dd>
                </div>
              ))}
            </dl>
          </div>
        </div>
      )}
    </div>
  );
}

function Route({ view }: { view: ViewName }) {
  switch (view) {
    case "sources":
      return <SourcesView />;
    case "overview":
      return <OverviewView />;
    case "problems":
      return <ProblemsView />;
    case "entity":
      return <EntityView />;
    case "compare":
      return <CompareView />;
    case "preflight":
      return <PreflightView />;
    case "export":
      return <ExportView />;
  }
}
