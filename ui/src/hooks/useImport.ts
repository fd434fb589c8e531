// Starting and cancelling an import: progress into the UI store, results into every query.
import { useQueryClient } from "@tanstack/react-query";
import { useCallback } from "react";

import { BackendError, cancelImport, importFiles, pickLogFiles } from "../backend";
import { unexpected } from "../lib/errors";
import { useUi } from "../state/ui";

export function useImport() {
  const queryClient = useQueryClient();
  const setImport = useUi((s) => s.setImport);

  const start = useCallback(
    async (paths: string[]) => {
      if (paths.length === 0 || useUi.getState().importState.phase === "running") return;
      setImport({ phase: "running", paths, progress: null, cancelling: false });
      try {
        const result = await importFiles(paths, (progress) => {
          const current = useUi.getState().importState;
          if (current.phase === "running") setImport({ ...current, progress });
        });
        setImport({ phase: "done", paths, result });
      } catch (err) {
        setImport({ phase: "failed", paths, error: err instanceof BackendError ? err.detail : unexpected(err) });
      } finally {
        // Files before a failing one stay imported: every view re-reads the workspace.
        await queryClient.invalidateQueries();
      }
    },
    [queryClient, setImport],
  );

  const pickAndStart = useCallback(async () => {
    const paths = await pickLogFiles();
    if (paths) await start(paths);
  }, [start]);

  const cancel = useCallback(async () => {
    const current = useUi.getState().importState;
    if (current.phase !== "running") return;
    setImport({ ...current, cancelling: true });
    await cancelImport();
  }, [setImport]);

  return { start, pickAndStart, cancel };
}
