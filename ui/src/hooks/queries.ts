// One TanStack Query per command (+ its arguments). Keys start with the command name.
import { type QueryClient, keepPreviousData, useQuery } from "@tanstack/react-query";

import * as backend from "../backend";
import type { CompareReq } from "../bindings/CompareReq";
import type { PreflightReq } from "../bindings/PreflightReq";
import type { ProblemQuery } from "../bindings/ProblemQuery";
import { type ProblemFilters, pageQuery } from "../lib/query";

export const useOverview = () => useQuery({ queryKey: ["overview"], queryFn: backend.overview });
export const useSources = () => useQuery({ queryKey: ["sources"], queryFn: backend.sources });
const rootCausesQuery = { queryKey: ["root_causes"], queryFn: backend.rootCauses };
export const useRootCauses = () => useQuery(rootCausesQuery);
export const useCategories = () =>
  useQuery({ queryKey: ["categories"], queryFn: backend.categories, staleTime: Infinity });
export const useEntity = (key: string | undefined) =>
  useQuery({ queryKey: ["entity", key], queryFn: () => backend.entity(key ?? ""), enabled: key !== undefined });
export const usePseudonymKey = () => useQuery({ queryKey: ["pseudonym_key"], queryFn: backend.pseudonymKey });

export const problemsKey = (query: ProblemQuery) => ["problems_page", query] as const;

/** Fetches what the Problems view shows first (its first page, the root causes) while the window
 * is idle, so opening the view draws rows without waiting for the backend. */
export function prefetchProblems(client: QueryClient, filters: ProblemFilters) {
  const query = pageQuery(filters, 0);
  void client.prefetchQuery({ queryKey: problemsKey(query), queryFn: () => backend.problemsPage(query) });
  void client.prefetchQuery(rootCausesQuery);
}

export const useProblemsPage = (query: ProblemQuery, enabled = true) =>
  useQuery({
    queryKey: problemsKey(query),
    queryFn: () => backend.problemsPage(query),
    placeholderData: keepPreviousData,
    enabled,
  });

export const useSnapshots = () => useQuery({ queryKey: ["snapshots"], queryFn: backend.snapshots });
export const useDirectories = () => useQuery({ queryKey: ["directories"], queryFn: backend.directories });
export const useFetchChoices = (enabled: boolean) =>
  useQuery({ queryKey: ["fetch_choices"], queryFn: backend.fetchChoices, enabled, staleTime: 60_000 });
export const useCompare = (req: CompareReq, enabled = true) =>
  useQuery({ queryKey: ["compare_store", req], queryFn: () => backend.compareStore(req), enabled, retry: false });

/** The store between its two newest snapshots; asked only when there are two. */
export const useSnapshotDiff = (enabled: boolean) =>
  useQuery({ queryKey: ["diff_snapshots"], queryFn: () => backend.diffSnapshots(), enabled, retry: false });

/** The store state of a log entity: objects matching its name, else its AWS id. */
export const useStoreObjects = (name: string | undefined, awsId: string | null | undefined) =>
  useQuery({
    queryKey: ["store_objects", name, awsId],
    queryFn: async () => {
      const byName = await backend.storeObjects(name ?? "");
      if (byName.users.length + byName.groups.length > 0 || !awsId) return byName;
      return backend.storeObjects(awsId);
    },
    enabled: name !== undefined,
    retry: false,
  });

export const usePreflight = (req: PreflightReq | null) =>
  useQuery({
    queryKey: ["preflight_export", req],
    queryFn: () => backend.preflightExport(req as PreflightReq),
    enabled: req !== null,
    retry: false,
    staleTime: Infinity,
  });
