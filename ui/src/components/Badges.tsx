import type { Category } from "../bindings/Category";
import type { EntityStatus } from "../bindings/EntityStatus";
import { useCategories } from "../hooks/queries";

export function StatusBadge({ status }: { status: EntityStatus }) {
  return <span className={`badge status-${status}`}>{status}</span>;
}

/** The category's human title (its code in the tooltip). */
export function CategoryLabel({ category }: { category: Category | null }) {
  const { data } = useCategories();
  if (category === null) return <span className="muted">—</span>;
  const info = data?.find((c) => c.category === category);
  return (
    <span className={`cat cat-${category.toLowerCase()}`} title={category}>
      {info?.title ?? category}
    </span>
  );
}

export function useCategoryTitle(): (c: Category) => string {
  const { data } = useCategories();
  return (c) => data?.find((i) => i.category === c)?.title ?? c;
}
