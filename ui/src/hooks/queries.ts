// One TanStack Query per command (+ its arguments). Keys start with the command name.
import { keepPreviousData, useQuery } from "@tanstack/react-query";

import * as backend from "../backend";
import type { ProblemQuery } from "../bindings/ProblemQuery";

export const useOverview = () => useQuery({ queryKey: ["overview"], queryFn: backend.overview });
export const useSources = () => useQuery({ queryKey: ["sources"], queryFn: backend.sources });
export const useRootCauses = () => useQuery({ queryKey: ["root_causes"], queryFn: backend.rootCauses });
export const useCategories = () =>
  useQuery({ queryKey: ["categories"], queryFn: backend.categories, staleTime: Infinity });
export const useEntity = (key: string | undefined) =>
  useQuery({ queryKey: ["entity", key], queryFn: () => backend.entity(key ?? ""), enabled: key !== undefined });
export const usePseudonymKey = () => useQuery({ queryKey: ["pseudonym_key"], queryFn: backend.pseudonymKey });

export const problemsKey = (query: ProblemQuery) => ["problems_page", query] as const;

export const useProblemsPage = (query: ProblemQuery, enabled = true) =>
  useQuery({
    queryKey: problemsKey(query),
    queryFn: () => backend.problemsPage(query),
    placeholderData: keepPreviousData,
    enabled,
  });
