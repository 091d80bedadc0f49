// The call log: search by number, agent, outcome, direction and dates; newest first, "Older" for the
// next page; a CSV of the same search; and a call's timeline, the audit trail of every ring, claim,
// decline, park, retrieve, transfer and note, with times and who.
import { batch, createMemo, createSignal, For, Show } from "solid-js";
import { type CallLogRow, type CallTimeline } from "../../../worker/protocol";
import { api, ApiFailure } from "../api";
import { byName } from "../roster";
import { CALL_LOG_PAGE, type CallLogFilter, callLogQuery, callOutcomeText, csvUrl, EMPTY_FILTER, hms, logCountText, OUTCOME_FILTERS, stepDetail, stepText, when } from "../reports";
import type { ConsoleStore } from "../store";

const why = (e: unknown) => (e instanceof ApiFailure ? `${e.message} (${e.status})` : "the server did not answer");

/** `timeZone`: the team's (the log's dates and times are in it); undefined until known: the browser's. */
export function CallLog(props: { console: ConsoleStore; timeZone?: string }) {
  const c = props.console;
  const agents = createMemo(() => Object.values(c.board.agents).sort(byName));
  const name = (id: string | null) => (id ? (c.board.agents[id]?.name ?? id) : "");
  const [draft, setDraft] = createSignal<CallLogFilter>({ ...EMPTY_FILTER });
  /** The search shown (the form's, once submitted). */
  const [filter, setFilter] = createSignal<CallLogFilter>({ ...EMPTY_FILTER });
  const [rows, setRows] = createSignal<CallLogRow[]>([]);
  const [next, setNext] = createSignal<string | null>(null);
  /** How many calls the search found in all (from its first page). */
  const [total, setTotal] = createSignal<number | null>(null);
  const [loading, setLoading] = createSignal(false);
  const [problem, setProblem] = createSignal<string | null>(null);
  const [open, setOpen] = createSignal<{ callSid: string; timeline: CallTimeline | null; problem: string | null } | null>(null);
  let searchId = 0;

  async function load(f: CallLogFilter, before: string | null): Promise<void> {
    const id = before ? searchId : ++searchId;
    setLoading(true);
    setProblem(null);
    try {
      const page = await api.reports.calls(callLogQuery(f, { before, limit: CALL_LOG_PAGE }));
      if (id !== searchId) return; // a newer search was started meanwhile
      batch(() => {
        setRows(before ? [...rows(), ...page.calls] : page.calls);
        setNext(page.next);
        if (!before) setTotal(page.total ?? null);
      });
    } catch (e) {
      if (id === searchId) setProblem(`The call log could not be read: ${why(e)}.`);
    } finally {
      if (id === searchId) setLoading(false);
    }
  }

  const search = (e?: Event) => {
    e?.preventDefault();
    const f = { ...draft() };
    setFilter(f);
    setOpen(null);
    void load(f, null);
  };
  search();

  const set = <K extends keyof CallLogFilter>(key: K, value: CallLogFilter[K]) => setDraft({ ...draft(), [key]: value });

  async function openCall(callSid: string): Promise<void> {
    setOpen({ callSid, timeline: null, problem: null });
    try {
      const timeline = await api.reports.timeline(callSid);
      if (open()?.callSid === callSid) setOpen({ callSid, timeline, problem: null });
    } catch (e) {
      if (open()?.callSid === callSid) setOpen({ callSid, timeline: null, problem: `The call's timeline could not be read: ${why(e)}.` });
    }
    document.getElementById("timeline-title")?.focus();
  }

  return (
    <section class="report-section call-log" aria-labelledby="call-log-title" data-testid="call-log">
      <div class="block-head">
        <h2 id="call-log-title">Call log</h2>
        <a class="csv" href={csvUrl("/api/reports/calls", callLogQuery(filter()))} download="" data-testid="calls-csv">
          Download CSV
        </a>
      </div>
      <form class="log-filter" onSubmit={search} role="search" aria-label="Search the call log">
        <label>
          Number
          <input type="search" value={draft().q} onInput={(e) => set("q", e.currentTarget.value)} placeholder="+1555…" data-testid="log-q" />
        </label>
        <label>
          Agent
          <select value={draft().agent} onChange={(e) => set("agent", e.currentTarget.value)} data-testid="log-agent">
            <option value="">Any agent</option>
            <For each={agents()}>{(a) => <option value={a.id}>{a.name}</option>}</For>
          </select>
        </label>
        <label>
          Outcome
          <select value={draft().outcome} onChange={(e) => set("outcome", e.currentTarget.value as CallLogFilter["outcome"])} data-testid="log-outcome">
            <For each={OUTCOME_FILTERS}>{(o) => <option value={o.value}>{o.label}</option>}</For>
          </select>
        </label>
        <label>
          Direction
          <select value={draft().direction} onChange={(e) => set("direction", e.currentTarget.value as CallLogFilter["direction"])} data-testid="log-direction">
            <option value="">Both</option>
            <option value="inbound">Inbound</option>
            <option value="outbound">Outbound</option>
          </select>
        </label>
        <label>
          From
          <input type="date" value={draft().from} onInput={(e) => set("from", e.currentTarget.value)} data-testid="log-from" />
        </label>
        <label>
          To
          <input type="date" value={draft().to} onInput={(e) => set("to", e.currentTarget.value)} data-testid="log-to" />
        </label>
        <button type="submit" data-testid="log-search">
          Search
        </button>
      </form>

      <Show when={problem()}>
        {(p) => (
          <p class="problem" role="alert">
            {p()}
          </p>
        )}
      </Show>
      <p class="log-count" aria-live="polite" data-testid="log-count">
        {loading() && rows().length === 0 ? "Searching…" : logCountText(rows().length, total(), next() !== null)}
        {props.timeZone ? ` · times in ${props.timeZone}` : ""}
      </p>
      <Show when={rows().length > 0}>
        <div class="table-scroll">
          <table class="report-table log-table" data-testid="log-table">
            <caption class="sr-only">Calls, newest first. Open a call to see its timeline.</caption>
            <thead>
              <tr>
                <th scope="col">Started</th>
                <th scope="col">Call</th>
                <th scope="col">Outcome</th>
                <th scope="col">Agent</th>
                <th scope="col">Wait</th>
                <th scope="col">Talk</th>
                <th scope="col">Note</th>
              </tr>
            </thead>
            <tbody>
              <For each={rows()}>
                {(r) => (
                  <tr data-testid="log-row" data-call-sid={r.callSid} data-outcome={r.outcome ?? ""} classList={{ open: open()?.callSid === r.callSid }}>
                    <td>{when(r.startedAt, Date.now(), props.timeZone)}</td>
                    <td>
                      <button class="link-button" onClick={() => void openCall(r.callSid)} aria-label={`Open the timeline of the call ${r.direction === "outbound" ? "to" : "from"} ${r.direction === "outbound" ? r.to : r.from}`} data-testid="log-open">
                        {r.direction === "outbound" ? `→ ${r.to}` : r.from}
                      </button>
                    </td>
                    <td>{callOutcomeText(r)}</td>
                    <td>{name(r.answeredBy ?? r.dialedBy)}</td>
                    <td>{r.waitSeconds === null ? "" : hms(r.waitSeconds)}</td>
                    <td>{r.talkSeconds === null ? "" : hms(r.talkSeconds)}</td>
                    <td>{r.noteOutcome ?? ""}</td>
                  </tr>
                )}
              </For>
            </tbody>
          </table>
        </div>
      </Show>
      <Show when={next()}>
        {(cursor) => (
          <button class="older" disabled={loading()} onClick={() => void load(filter(), cursor())} data-testid="log-older">
            {loading() ? "Loading…" : "Older"}
          </button>
        )}
      </Show>

      <Show when={open()}>
        {(o) => (
          <section class="timeline" aria-labelledby="timeline-title" data-testid="timeline">
            <div class="block-head">
              <h3 id="timeline-title" tabindex="-1">
                Call timeline
              </h3>
              <button class="quiet" onClick={() => setOpen(null)} aria-label="Close the timeline">
                Close
              </button>
            </div>
            <Show when={o().problem}>{(p) => <p class="problem" role="alert">{p()}</p>}</Show>
            <Show when={!o().problem && !o().timeline}>
              <p class="loading">Loading…</p>
            </Show>
            <Show when={o().timeline}>{(t) => <Timeline timeline={t()} name={name} timeZone={props.timeZone} />}</Show>
          </section>
        )}
      </Show>
    </section>
  );
}

function Timeline(props: { timeline: CallTimeline; name: (id: string | null) => string; timeZone?: string }) {
  const call = () => props.timeline.call;
  return (
    <>
      <dl class="timeline-call">
        <div>
          <dt>Call</dt>
          <dd>
            {call().direction === "outbound" ? `Outbound to ${call().to}` : `From ${call().from} to ${call().to}`} <code>{call().callSid}</code>
          </dd>
        </div>
        <div>
          <dt>Outcome</dt>
          <dd>
            {callOutcomeText(call())}
            {call().answeredBy ? `, ${props.name(call().answeredBy)}` : ""}
          </dd>
        </div>
        <div>
          <dt>Started</dt>
          <dd>{when(call().startedAt, Date.now(), props.timeZone)}</dd>
        </div>
        <Show when={call().waitSeconds !== null}>
          <div>
            <dt>Wait</dt>
            <dd>{hms(call().waitSeconds!)}</dd>
          </div>
        </Show>
        <Show when={call().talkSeconds !== null}>
          <div>
            <dt>Talk</dt>
            <dd>{hms(call().talkSeconds!)}</dd>
          </div>
        </Show>
        <Show when={props.timeline.note}>
          {(n) => (
            <div>
              <dt>Note</dt>
              <dd>
                {n().outcome ? `[${n().outcome}] ` : ""}
                {n().text} <span class="note-author">— {props.name(n().authorId)}</span>
              </dd>
            </div>
          )}
        </Show>
      </dl>
      <ol class="timeline-steps" data-testid="timeline-steps">
        <For each={props.timeline.entries}>
          {(e) => (
            <li data-testid="timeline-step" data-type={e.type}>
              <time datetime={new Date(e.at).toISOString()}>{when(e.at, Date.now(), props.timeZone)}</time>
              <span class="step">{stepText(e.type)}</span>
              <Show when={e.agentId}>
                <span class="who">{e.agentName ?? props.name(e.agentId)}</span>
              </Show>
              <Show when={stepDetail(e)}>{(d) => <span class="detail">{d()}</span>}</Show>
            </li>
          )}
        </For>
      </ol>
    </>
  );
}
