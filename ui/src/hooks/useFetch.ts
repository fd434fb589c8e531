// Starting and cancelling a fetch of the live identity store: progress into the UI store, the
// new snapshot into every query.
import { useQueryClient } from "@tanstack/react-query";
import { useCallback } from "react";

import { BackendError, cancelFetch, fetchStore } from "../backend";
import type { FetchStoreReq } from "../bindings/FetchStoreReq";
import { unexpected } from "../lib/errors";
import { useUi } from "../state/ui";

export function useFetch() {
  const queryClient = useQueryClient();
  const setFetch = useUi((s) => s.setFetch);

  const start = useCallback(
    async (req: FetchStoreReq) => {
      if (useUi.getState().fetchState.phase === "running") return;
      setFetch({ phase: "running", progress: null, cancelling: false });
      try {
        const result = await fetchStore(req, (progress) => {
          const current = useUi.getState().fetchState;
          if (current.phase === "running") setFetch({ ...current, progress });
        });
        setFetch({ phase: "done", result });
        await queryClient.invalidateQueries();
      } catch (err) {
        // A failed or cancelled fetch stores nothing: no query needs refreshing.
        setFetch({ phase: "failed", error: err instanceof BackendError ? err.detail : unexpected(err) });
      }
    },
    [queryClient, setFetch],
  );

  const cancel = useCallback(async () => {
    const current = useUi.getState().fetchState;
    if (current.phase !== "running") return;
    setFetch({ ...current, cancelling: true });
    await cancelFetch();
  }, [setFetch]);

  return { start, cancel };
}
