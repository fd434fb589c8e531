import { useEffect } from "react";

/**
 * Marks `name` in the page's performance timeline once a frame showing `shown` has been
 * painted: the app benchmark measures from a click (`open-…` marks) to the first such mark
 * after it. One mark each time `shown` changes, never cancelled, so a later update does not
 * hide the first frame.
 */
export function usePaintMark(name: string, shown: unknown) {
  useEffect(() => {
    if (!shown) return;
    requestAnimationFrame(() => setTimeout(() => performance.mark(name), 0));
  }, [name, shown]);
}
