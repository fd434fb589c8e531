// Importing either side of the comparison through the file dialog (or given paths): a store
// snapshot (AWS CLI JSON) or an IdP directory export. Every query is refreshed afterwards, so
// Compare, Preflight and Sources show what was added.
import { useMutation, useQueryClient } from "@tanstack/react-query";

import { BackendError, importDirectory, importStoreFiles, pickDirectoryExports, pickStoreFiles } from "../backend";
import type { CommandError } from "../bindings/CommandError";
import type { DirectoryInfo } from "../bindings/DirectoryInfo";
import type { SnapshotInfo } from "../bindings/SnapshotInfo";
import { unexpected } from "../lib/errors";
import { formatCount } from "../lib/format";

export type StoreSide = "store" | "directory";

export function useStoreImport() {
  const queryClient = useQueryClient();
  const run = useMutation({
    mutationFn: async ({ kind, paths }: { kind: StoreSide; paths: string[] | null }) => {
      const chosen = paths ?? (kind === "store" ? await pickStoreFiles() : await pickDirectoryExports());
      if (!chosen || chosen.length === 0) return null;
      return kind === "store"
        ? { kind, text: describeSnapshot(await importStoreFiles(chosen)) }
        : { kind, text: describeDirectory(await importDirectory(chosen)) };
    },
    onSettled: () => queryClient.invalidateQueries(),
  });
  const error: CommandError | null = run.error ? (run.error instanceof BackendError ? run.error.detail : unexpected(run.error)) : null;
  return { run, error };
}

function describeSnapshot(s: SnapshotInfo): string {
  return `Store snapshot imported: ${formatCount(s.users)} users, ${formatCount(s.groups)} groups, ${
    s.memberships_known ? `${formatCount(s.memberships)} memberships` : "memberships not listed"
  }.`;
}

function describeDirectory(d: DirectoryInfo): string {
  return `Directory export imported (${d.idp}): ${formatCount(d.users)} users, ${formatCount(d.groups)} groups, ${formatCount(d.memberships)} memberships.`;
}
