// The reports page (supervisors and admins): a period's figures, its charts with their tables, the
// agents' figures, and the call log. Loaded on demand (Board.tsx's lazy import), with uPlot, so that
// the agents' console does not carry either. The figures' words and queries are reports.ts's.
import { createMemo, createResource, createSignal, For, Show } from "solid-js";
import { type AgentReport, REPORT_OUTCOMES, type ReportPeriod, type ReportSummary } from "../../../worker/protocol";
import { api, ApiFailure } from "../api";
import {
  awayReasonColumns,
  bucketTotal,
  callsChartSummary,
  csvUrl,
  hms,
  OUTCOME_COLORS,
  OUTCOME_LABELS,
  PERIOD_LABELS,
  type PeriodChoice,
  periodProblem,
  periodQuery,
  pct,
  serviceLevelSeries,
  serviceLevelSummary,
  stackedSeries,
} from "../reports";
import type { ConsoleStore } from "../store";
import { serviceLevelRuleText, todayTiles } from "../wallboard";
import { CallLog } from "./CallLog";
import { Chart } from "./Chart";
import "../reports.css";

const PERIODS: ReportPeriod[] = ["today", "yesterday", "last7", "custom"];

/** A local date as YYYY-MM-DD (the custom range's inputs). */
const isoDate = (d: Date) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;

const why = (e: unknown) => (e instanceof ApiFailure ? `${e.message} (${e.status})` : "the server did not answer");

/** `admin`: may change the team's time zone here. */
export default function Reports(props: { console: ConsoleStore; admin: boolean }) {
  const today = isoDate(new Date());
  const [period, setPeriod] = createSignal<PeriodChoice>({ kind: "today", from: isoDate(new Date(Date.now() - 6 * 86_400_000)), to: today });
  const problem = createMemo(() => periodProblem(period()));
  /** The query of the period shown: unchanged while a custom range is half typed. */
  const query = createMemo<string | false>((prev) => (problem() ? (prev ?? false) : periodQuery(period())));
  const [summary, { refetch: refetchSummary }] = createResource(query, (q) => api.reports.summary(q));
  const [agents, { refetch: refetchAgents }] = createResource(query, (q) => api.reports.agents(q));
  // The team's time zone: the call log's times and dates are in it (the summary says it too).
  const [timeZone, { mutate: setTimeZone }] = createResource(() => api.timeZone().catch(() => undefined));
  const zoneSaved = (zone: string) => {
    setTimeZone(zone);
    void refetchSummary();
    void refetchAgents();
  };

  return (
    <div class="reports" data-testid="reports">
      <section class="report-section" aria-labelledby="reports-title">
        <div class="report-head">
          <h2 id="reports-title">Reports</h2>
          <fieldset class="period-picker" data-testid="period-picker">
            <legend>Period</legend>
            <For each={PERIODS}>
              {(kind) => (
                <label>
                  <input type="radio" name="period" value={kind} checked={period().kind === kind} onChange={() => setPeriod({ ...period(), kind })} data-testid={`period-${kind}`} />
                  {PERIOD_LABELS[kind]}
                </label>
              )}
            </For>
            <Show when={period().kind === "custom"}>
              <label>
                From <input type="date" value={period().from} max={today} onInput={(e) => setPeriod({ ...period(), from: e.currentTarget.value })} data-testid="period-from" />
              </label>
              <label>
                to <input type="date" value={period().to} max={today} onInput={(e) => setPeriod({ ...period(), to: e.currentTarget.value })} data-testid="period-to" />
              </label>
              <Show when={problem()}>{(p) => <span class="problem">{p()}</span>}</Show>
            </Show>
          </fieldset>
          <Show when={props.admin && timeZone.latest}>{(zone) => <TimeZoneSetting current={zone()} onSaved={zoneSaved} />}</Show>
        </div>

        <Show when={summary.error}>
          <p class="problem" role="alert">
            The report could not be read: {why(summary.error)}.
          </p>
        </Show>
        <Show when={summary.loading && !summary.latest}>
          <p class="loading">Loading the report…</p>
        </Show>
        <Show when={!summary.error && summary.latest}>{(s) => <Summary summary={s()} query={query() || ""} />}</Show>

        <section class="report-block" aria-labelledby="agents-title" data-testid="agent-report">
          <div class="block-head">
            <h3 id="agents-title">Agents</h3>
            <Show when={query()}>
              {(q) => (
                <a class="csv" href={csvUrl("/api/reports/agents", q())} download="" data-testid="agents-csv">
                  Download CSV
                </a>
              )}
            </Show>
          </div>
          <Show when={agents.error}>
            <p class="problem" role="alert">
              The agents' figures could not be read: {why(agents.error)}.
            </p>
          </Show>
          <Show when={!agents.error && agents.latest}>{(a) => <AgentTable report={a()} />}</Show>
        </section>
      </section>

      <CallLog console={props.console} timeZone={timeZone.latest} />
    </div>
  );
}

/** The browser's list of IANA time zones (every current browser has it), with the current one kept. */
function zones(current: string): string[] {
  const all = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
  return [...new Set(["UTC", current, ...all])].sort((a, b) => (a === "UTC" ? -1 : b === "UTC" ? 1 : a.localeCompare(b)));
}

/** An admin sets the time zone the reports count days and hours in; the reports are read again. */
function TimeZoneSetting(props: { current: string; onSaved: (zone: string) => void }) {
  const [chosen, setChosen] = createSignal(props.current);
  const [state, setState] = createSignal<{ text: string; ok: boolean } | null>(null);
  const [saving, setSaving] = createSignal(false);
  const save = async (e: SubmitEvent) => {
    e.preventDefault();
    if (saving()) return;
    setSaving(true);
    setState(null);
    try {
      const zone = await api.saveTimeZone(chosen());
      props.onSaved(zone);
      setState({ text: `Saved: reports count days in ${zone}.`, ok: true });
    } catch (err) {
      setState({ text: `Not saved: ${why(err)}.`, ok: false });
    } finally {
      setSaving(false);
    }
  };
  return (
    <form class="time-zone" onSubmit={(e) => void save(e)} data-testid="time-zone-setting">
      <label>
        Team time zone{" "}
        <select value={chosen()} onChange={(e) => setChosen(e.currentTarget.value)} data-testid="time-zone-select">
          <For each={zones(props.current)}>{(z) => <option value={z}>{z}</option>}</For>
        </select>
      </label>
      <button type="submit" disabled={saving() || chosen() === props.current} data-testid="time-zone-save">
        {saving() ? "Saving…" : "Save"}
      </button>
      <Show when={state()}>{(s) => <span class={s().ok ? "saved" : "problem"} role="status">{s().text}</span>}</Show>
    </form>
  );
}

function Summary(props: { summary: ReportSummary; query: string }) {
  const s = () => props.summary;
  const bucketWord = () => (s().period.bucket === "hour" ? "hour" : "day");
  const stacked = createMemo(() => stackedSeries(s().buckets));
  const labels = createMemo(() => s().buckets.map((b) => b.label));
  // Top of the stack first (see Chart's series): voicemail's running total covers them all.
  const stackSeries = createMemo(() =>
    [...REPORT_OUTCOMES].reverse().map((o) => ({ label: OUTCOME_LABELS[o], color: OUTCOME_COLORS[o], values: stacked()[o] })),
  );
  const range = () => {
    const p = s().period;
    const opts: Intl.DateTimeFormatOptions = { timeZone: p.timeZone, day: "numeric", month: "short", year: "numeric" };
    const from = new Date(p.from).toLocaleDateString([], opts);
    const to = new Date(p.to - 1).toLocaleDateString([], opts);
    return `${from === to ? from : `${from} – ${to}`} (${p.timeZone})`;
  };
  return (
    <>
      <div class="block-head">
        <p class="period-range" data-testid="period-range">
          {range()}
        </p>
        <a class="csv" href={csvUrl("/api/reports/summary", props.query)} download="" data-testid="summary-csv">
          Download CSV
        </a>
      </div>
      <dl class="report-tiles" data-testid="report-totals">
        <For each={todayTiles(s().totals)}>
          {(t) => (
            <div class="report-tile" data-testid={`report-tile-${t.key}`}>
              <dt>{t.label}</dt>
              <dd>
                {t.value}
                <Show when={t.hint}>{(h) => <small>{h()}</small>}</Show>
              </dd>
            </div>
          )}
        </For>
      </dl>

      <div class="charts">
        <Chart
          title={`Calls per ${bucketWord()}, by outcome`}
          description={callsChartSummary(s().buckets, s().period.bucket)}
          labels={labels()}
          kind="bars"
          series={stackSeries()}
          legend={REPORT_OUTCOMES.map((o) => ({ label: OUTCOME_LABELS[o], color: OUTCOME_COLORS[o] }))}
          testId="chart-calls"
        >
          <table class="chart-table" data-testid="chart-table">
            <caption class="sr-only">Calls per {bucketWord()}, by outcome</caption>
            <thead>
              <tr>
                <th scope="col">{bucketWord() === "hour" ? "Hour" : "Day"}</th>
                <For each={REPORT_OUTCOMES}>{(o) => <th scope="col">{OUTCOME_LABELS[o]}</th>}</For>
                <th scope="col">Total</th>
              </tr>
            </thead>
            <tbody>
              <For each={s().buckets}>
                {(b) => (
                  <tr>
                    <th scope="row">{b.label}</th>
                    <For each={REPORT_OUTCOMES}>{(o) => <td>{b.counts[o] ?? 0}</td>}</For>
                    <td>{bucketTotal(b)}</td>
                  </tr>
                )}
              </For>
            </tbody>
          </table>
        </Chart>

        <Chart
          title="Service level over time"
          description={serviceLevelSummary(s().buckets, serviceLevelRuleText(s().totals))}
          labels={labels()}
          kind="line"
          series={[{ label: `Answered within ${s().totals.serviceLevelSeconds} s`, color: "#1c7ed6", values: serviceLevelSeries(s().buckets) }]}
          yMax={100}
          ySuffix="%"
          testId="chart-service-level"
        >
          <table class="chart-table" data-testid="chart-table">
            <caption class="sr-only">Service level per {bucketWord()}</caption>
            <thead>
              <tr>
                <th scope="col">{bucketWord() === "hour" ? "Hour" : "Day"}</th>
                <th scope="col">Answered within {s().totals.serviceLevelSeconds} s</th>
              </tr>
            </thead>
            <tbody>
              <For each={s().buckets}>
                {(b) => (
                  <tr>
                    <th scope="row">{b.label}</th>
                    <td>{pct(b.serviceLevel)}</td>
                  </tr>
                )}
              </For>
            </tbody>
          </table>
        </Chart>

        <Chart
          title="Wait before answer or hang-up"
          description={`How long callers waited, in ${s().waitDistribution.length} bands; ${s().waitDistribution.reduce((n, w) => n + w.count, 0)} calls in all. The table below gives each band.`}
          labels={s().waitDistribution.map((w) => w.label)}
          kind="bars"
          series={[{ label: "Calls", color: "#495266", values: s().waitDistribution.map((w) => w.count) }]}
          testId="chart-wait"
        >
          <table class="chart-table" data-testid="chart-table">
            <caption class="sr-only">Calls by wait</caption>
            <thead>
              <tr>
                <th scope="col">Wait</th>
                <th scope="col">Calls</th>
              </tr>
            </thead>
            <tbody>
              <For each={s().waitDistribution}>
                {(w) => (
                  <tr>
                    <th scope="row">{w.label}</th>
                    <td>{w.count}</td>
                  </tr>
                )}
              </For>
            </tbody>
          </table>
        </Chart>
      </div>
    </>
  );
}

function AgentTable(props: { report: AgentReport }) {
  const reasons = createMemo(() => awayReasonColumns(props.report.agents));
  return (
    <Show when={props.report.agents.length > 0} fallback={<p class="empty">No agent in this period.</p>}>
      <div class="table-scroll">
        <table class="report-table" data-testid="agent-table">
          <caption class="sr-only">Each agent's figures for the period; times as hours:minutes:seconds</caption>
          <thead>
            <tr>
              <th scope="col">Agent</th>
              <th scope="col">Answered</th>
              <th scope="col">Missed rings</th>
              <th scope="col">Declines</th>
              <th scope="col">Talk</th>
              <th scope="col">Wrap-up</th>
              <For each={reasons()}>{(r) => <th scope="col">Away: {r}</th>}</For>
              <th scope="col">Away in all</th>
            </tr>
          </thead>
          <tbody>
            <For each={props.report.agents}>
              {(a) => (
                <tr data-testid={`agent-row-${a.agentId}`}>
                  <th scope="row">{a.name}</th>
                  <td>{a.answered}</td>
                  <td>{a.missedRings}</td>
                  <td>{a.declines}</td>
                  <td>{hms(a.talkSeconds)}</td>
                  <td>{hms(a.wrapUpSeconds)}</td>
                  <For each={reasons()}>{(r) => <td>{hms(a.awaySeconds[r] ?? 0)}</td>}</For>
                  <td>{hms(Object.values(a.awaySeconds).reduce((n, s) => n + s, 0))}</td>
                </tr>
              )}
            </For>
          </tbody>
        </table>
      </div>
    </Show>
  );
}
