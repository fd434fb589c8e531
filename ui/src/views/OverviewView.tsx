import { Bar, BarChart, CartesianGrid, Cell, LabelList, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";

import type { FailureBucket } from "../bindings/FailureBucket";
import type { JobFindingKind } from "../bindings/JobFindingKind";
import { useCategoryTitle } from "../components/Badges";
import { QueryError } from "../components/ErrorBox";
import { chartColors, useDark } from "../hooks/useDark";
import { useOverview } from "../hooks/queries";
import { usePaintMark } from "../hooks/usePaintMark";
import { bucketLabel, formatClock, formatCount } from "../lib/format";
import { useUi } from "../state/ui";

const FINDING_TITLES: Record<JobFindingKind, string> = {
  "incomplete-page": "Incomplete log",
  "silent-gap": "Silent gap",
  "throttling-burst": "Throttling burst",
};

export function OverviewView() {
  const { data, error, isPending } = useOverview();
  const showProblems = useUi((s) => s.showProblems);
  const title = useCategoryTitle();
  const colors = chartColors(useDark());
  usePaintMark("overview-painted", data);

  if (error) return <QueryError error={error} />;
  if (isPending || !data) return <div className="view muted">Loading…</div>;

  const t = data.totals;
  const spansDays =
    data.timeline.length > 1 &&
    new Date(data.timeline[0]?.from_ms ?? 0).toISOString().slice(0, 10) !==
      new Date(data.timeline[data.timeline.length - 1]?.from_ms ?? 0).toISOString().slice(0, 10);
  const timeline = data.timeline.map((b) => ({ ...b, label: bucketLabel(b.from_ms, spansDays) }));
  const categories = data.categories.map((c) => ({ ...c, title: title(c.category) }));
  const alerts = data.connection.length + data.findings.length;

  const showBucket = (b: FailureBucket) =>
    showProblems({
      range: { from: b.from_ms, to: b.to_ms, label: `${b.cycle_id ? "cycle" : "records"} from ${formatClock(b.from_ms)}` },
    });

  return (
    <div className="view" data-testid="view-overview">
      <header className="view-head">
        <h1>Overview</h1>
      </header>

      {alerts > 0 && (
        <section className="alerts" aria-label="Connection and job alerts" data-testid="alerts">
          <p className="small muted">These explain everything below them: read them first.</p>
          {data.connection.map((c) => (
            <div key={`${c.category}|${c.message}`} className="alert danger">
              <div className="row spread">
                <strong>{title(c.category)}: {c.message}</strong>
                <span className="small">{formatCount(c.count)}× · {c.first_seen} – {c.last_seen}</span>
              </div>
              <p className="small">{c.fix}</p>
            </div>
          ))}
          {data.findings.map((f) => (
            <div key={`${f.kind}|${f.message}`} className="alert warn">
              <strong>{FINDING_TITLES[f.kind]}</strong>: {f.message}
              {f.first_seen && (
                <span className="small muted"> ({f.first_seen} – {f.last_seen})</span>
              )}
            </div>
          ))}
        </section>
      )}

      {data.access && (
        <section className="panel" aria-label="Access" data-testid="access-overview">
          <div className="label">Access (store snapshot #{data.access.snapshot_id})</div>
          <div className="totals">
            <Total label="Orphaned assignments" value={data.access.orphaned} tone={data.access.orphaned > 0 ? "bad" : undefined} />
            <Total
              label="Failing entities holding access"
              value={data.access.failing_with_access}
              tone={data.access.failing_with_access > 0 ? "bad" : undefined}
              onClick={() => showProblems({ statuses: ["failing"], sort: "access" })}
            />
            <Total label="Assigned groups without members" value={data.access.empty_groups} />
            <Total label="Assigned groups no IdP manages" value={data.access.unmanaged_groups} />
          </div>
          {data.access.orphaned > 0 && (
            <p className="small">
              An orphaned assignment points at a user or group that was deleted (often re-created under a new id):
              nobody gets that access. The report lists each one with its likely successor and the fix.
            </p>
          )}
        </section>
      )}

      <section className="totals" data-testid="totals">
        <Total label="Records" value={t.records} />
        <Total label="Succeeded" value={t.success} />
        <Total label="Failed" value={t.failure} tone="bad" />
        <Total label="Skipped" value={t.skipped} />
        <Total label="Failing entities" value={t.problem_entities} tone="bad" onClick={() => showProblems({ statuses: ["failing"] })} />
        <Total label="Resolved entities" value={data.resolved_entities} tone="good" onClick={() => showProblems({ statuses: ["resolved"] })} />
        <Total label="Sources" value={data.sources} />
      </section>

      <div className="charts">
        <section className="panel chart" data-testid="category-chart">
          <div className="label">Failing entities by category</div>
          <p className="small muted hint">Click a bar to list its entities.</p>
          {categories.length === 0 ? (
            <p className="muted">No failing entities.</p>
          ) : (
            <ResponsiveContainer width="100%" height={Math.max(160, categories.length * 34 + 30)}>
              <BarChart data={categories} layout="vertical" margin={{ left: 8, right: 36, top: 4, bottom: 4 }}>
                <CartesianGrid horizontal={false} stroke={colors.grid} />
                <XAxis type="number" allowDecimals={false} stroke={colors.text} fontSize={12} />
                <YAxis type="category" dataKey="title" width={200} stroke={colors.text} fontSize={12} />
                <Tooltip cursor={{ fill: colors.muted, opacity: 0.3 }} />
                <Bar
                  dataKey="count"
                  name="Failing entities"
                  fill={colors.bar}
                  cursor="pointer"
                  isAnimationActive={false}
                  onClick={(d) => {
                    const c = (d as { payload?: { category?: (typeof categories)[number]["category"] } }).payload?.category;
                    if (c) showProblems({ categories: [c] });
                  }}
                >
                  <LabelList dataKey="count" position="right" fill={colors.text} fontSize={12} />
                </Bar>
              </BarChart>
            </ResponsiveContainer>
          )}
        </section>

        <section className="panel chart" data-testid="timeline-chart">
          <div className="label">Failed records per provisioning cycle (UTC)</div>
          <p className="small muted hint">Click a bar to list the entities that failed in it.</p>
          {timeline.length === 0 ? (
            <p className="muted">No dated records.</p>
          ) : (
            <ResponsiveContainer width="100%" height={240}>
              <BarChart data={timeline} margin={{ left: 0, right: 16, top: 8, bottom: 4 }}>
                <CartesianGrid vertical={false} stroke={colors.grid} />
                <XAxis dataKey="label" stroke={colors.text} fontSize={12} />
                <YAxis allowDecimals={false} stroke={colors.text} fontSize={12} />
                <Tooltip cursor={{ fill: colors.muted, opacity: 0.3 }} labelFormatter={(_, p) => (p?.[0]?.payload as FailureBucket | undefined)?.start ?? ""} />
                <Bar
                  dataKey="failures"
                  name="Failed records"
                  cursor="pointer"
                  isAnimationActive={false}
                  onClick={(d) => {
                    const b = (d as { payload?: FailureBucket }).payload;
                    if (b) showBucket(b);
                  }}
                >
                  {timeline.map((b) => (
                    <Cell key={b.from_ms} fill={b.failures > 0 ? colors.bar : colors.muted} />
                  ))}
                </Bar>
              </BarChart>
            </ResponsiveContainer>
          )}
          {timeline.length <= 40 && (<div className="bucket-buttons" aria-label="Cycles">
            {timeline.map((b) => (
              <button
                type="button"
                key={b.from_ms}
                className="bucket"
                data-testid="bucket"
                title={`${b.start}: ${b.failures} failed of ${b.records} records`}
                onClick={() => showBucket(b)}
              >
                {b.label} · {b.failures}
              </button>
            ))}
          </div>)}
        </section>
      </div>
    </div>
  );
}

function Total({ label, value, tone, onClick }: { label: string; value: number; tone?: "bad" | "good"; onClick?: () => void }) {
  const body = (
    <>
      <div className={`total-value ${tone ?? ""}`}>{formatCount(value)}</div>
      <div className="total-label">{label}</div>
    </>
  );
  return onClick ? (
    <button type="button" className="total clickable" onClick={onClick} data-testid={`total-${label}`}>
      {body}
    </button>
  ) : (
    <div className="total" data-testid={`total-${label}`}>{body}</div>
  );
}
