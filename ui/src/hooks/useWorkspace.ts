// Opening, creating and switching workspaces; every cached query belongs to the old one.
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useCallback } from "react";

import { appInfo, openDemo, openWorkspace, pickNewWorkspace, pickWorkspace } from "../backend";
import { useUi } from "../state/ui";

export const APP_INFO_KEY = ["app_info"] as const;

export function useAppInfo() {
  return useQuery({ queryKey: APP_INFO_KEY, queryFn: appInfo, staleTime: Infinity });
}

export function useWorkspaceActions() {
  const queryClient = useQueryClient();
  const setImport = useUi((s) => s.setImport);
  const setFilters = useUi((s) => s.setFilters);

  const switched = useCallback(async () => {
    setImport({ phase: "idle" });
    setFilters({ search: "", categories: [], kinds: [], statuses: [], sourceId: null, range: null, cause: null });
    await queryClient.resetQueries();
  }, [queryClient, setImport, setFilters]);

  const open = useCallback(
    async (path: string) => {
      await openWorkspace(path);
      await switched();
    },
    [switched],
  );

  const pickAndOpen = useCallback(async () => {
    const path = await pickWorkspace();
    if (path) await open(path);
  }, [open]);

  const pickAndCreate = useCallback(async () => {
    const path = await pickNewWorkspace();
    if (path) await open(path);
  }, [open]);

  const demo = useCallback(async () => {
    await openDemo();
    await switched();
  }, [switched]);

  return { open, pickAndOpen, pickAndCreate, demo };
}
