// `npm run bench` (about 9.5 minutes) and `npm run bench -- --quick` (under a minute, for CI):
// starts the product in local workerd as `npm run dev` does, drives it the way Twilio and the
// consoles do in the lobby model, prints a table, and (full run only) writes it to docs/benchmarks.md.
// Exits non-zero when correctness fails: a double winner, a lost event, a stuck call or agent, an
// inconsistent call. Targets are printed beside the numbers they concern; a miss does not fail the run.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { baselineClaims, baselineFanout, CONSOLE_POLL_MS, FEED_POLL_MS } from "./baselineBench.ts";
import { claimContention } from "./claims.ts";
import { type FanoutResult, ringAndAnswer } from "./fanout.ts";
import { bytesPerCall, type LifecycleResult } from "./lifecycle.ts";
import { AUTH_TOKEN, type Console, Product, type Seed, seed } from "./product.ts";
import { cpuBetween, cpuTicks, memoryMiB, prepareState, run, type Server, startServer } from "./server.ts";
import { ms, ratio, RESOLUTION_MS, summarize, table } from "./stats.ts";
import { REPORT_TARGET_MS, REPORTS_HEAD, reportsBench, reportsSeedSql, reportsTitle } from "./reports.ts";
import { signInCost, signInSeedSql } from "./signIn.ts";
import { sustainedLoad } from "./sustained.ts";
import { floorLatency, webhookLatency } from "./webhook.ts";

const quick = process.argv.includes("--quick");

/** The targets (docs/benchmarks.md): reported met or missed, never a failure. */
const TARGETS = {
  ring: { consoles: 1000, p99: 50 },
  claim: { consoles: 200, racing: 10, p99: 100 },
};

/** How long an agent takes to press Answer once a call rings (uniform), ms: a person, not a script. */
const HUMAN: [number, number] = [500, 3000];

const plan = quick
  ? {
      agents: 60,
      webhookCalls: 20,
      webhookConcurrency: [1, 10],
      claimCalls: 6,
      claimContenders: [10, 50],
      // Ascending by consoles; racing 1 is the answer-to-everyone of the runs before (one claim).
      fanout: [
        { consoles: 10, racing: 1, rounds: 5 },
        { consoles: 50, racing: 1, rounds: 5 },
        { consoles: 50, racing: 10, rounds: 10 },
      ],
      lifecycle: { calls: 2 },
      // Sign-ins of each kind, and the throttle table's rows (as under a spraying attack).
      signIn: { attempts: 10, rows: 1000 },
      // On the main server: a second one would cost the quick run a tenth of its minute.
      sustained: { agents: 20, speed: 10, callerHangups: 0.1, runs: [{ rate: 2, seconds: 6, reactionMs: HUMAN }], ownServer: false },
      baselineFanout: [
        { mode: "change feed" as const, consoles: 50, rounds: 5 },
        { mode: "polling" as const, consoles: 50, rounds: 3 },
      ],
      // Started with the product's server, and idle until part 5: its start-up is seconds of the quick run.
      baselineEarly: true,
      // The reports on a server of their own (its history seeded into its D1), checked, not sized.
      reports: { calls: 2000, days: 30, agents: 50, runs: 2 },
    }
  : {
      agents: 1000,
      webhookCalls: 300,
      webhookConcurrency: [1, 10, 50],
      claimCalls: 200,
      claimContenders: [10, 100],
      fanout: [
        { consoles: 10, racing: 1, rounds: 50 },
        { consoles: 200, racing: 1, rounds: 50 },
        { consoles: 200, racing: 10, rounds: 100 },
        { consoles: 200, racing: 100, rounds: 50 },
        { consoles: 1000, racing: 1, rounds: 20 },
        { consoles: 1000, racing: 10, rounds: 60 },
        { consoles: 1000, racing: 100, rounds: 40 },
      ],
      lifecycle: { calls: 5 },
      signIn: { attempts: 100, rows: 50_000 },
      // The first rate is the one asked of this machine; the second is twice that, to show what
      // overload does; the third is the first with agents as quick as the runs before the lobby model
      // had them, when Twilio rang ten of them: now the whole team races for every call.
      sustained: {
        agents: 200,
        speed: 10,
        callerHangups: 0.1,
        runs: [
          { rate: 4, seconds: 60, reactionMs: HUMAN },
          { rate: 8, seconds: 20, reactionMs: HUMAN },
          { rate: 4, seconds: 20, reactionMs: [20, 400] as [number, number] },
        ],
        ownServer: true,
      },
      baselineFanout: [
        { mode: "change feed" as const, consoles: 10, rounds: 50 },
        { mode: "change feed" as const, consoles: 200, rounds: 50 },
        { mode: "change feed" as const, consoles: 1000, rounds: 20 },
        { mode: "polling" as const, consoles: 10, rounds: 20 },
        { mode: "polling" as const, consoles: 200, rounds: 20 },
      ],
      // Started only once the product's servers have stopped: nothing shares the CPU with what is measured.
      baselineEarly: false,
      // Issue 14: every report over 100,000 calls in under a second.
      reports: { calls: 100_000, days: 30, agents: 50, runs: 5 },
    };

/** The sustained server's callers give up after 3 s: RING_TIMEOUT_SECONDS' 30 s at the simulator's speed 10. */
const SUSTAINED_VARS = { TWILIO_AUTH_TOKEN: AUTH_TOKEN, RING_TIMEOUT_SECONDS: "3" };

const failures: string[] = [];
const began = Date.now();
/** Progress on stderr, with the time since the start: a full run takes minutes. */
const progress = (text: string) => {
  const s = Math.round((Date.now() - began) / 1000);
  console.error(`bench [${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}] ${text}`);
};
const memoryRows: (string | number)[][] = [];
/** Who used the machine's CPU during each part: the benchmark and its servers, and everyone else. */
const cpuRows: (string | number)[][] = [];
let cpuAt = cpuTicks();
/** Closes the CPU account of the part just run (call it before stopping a server: its ticks leave with it). */
const cpuPart = (name: string) => {
  const now = cpuTicks();
  if (cpuAt && now) {
    const c = cpuBetween(cpuAt, now);
    cpuRows.push([name, c.seconds.toFixed(0), c.ours.toFixed(2), c.others.toFixed(2)]);
  }
  cpuAt = now;
};
/** Starts the next account afresh (after stopping a server, which is no part). */
const cpuSkip = () => (cpuAt = cpuTicks());
/** The sustained load's table: run on the main server in the quick run, on a server of its own otherwise. */
let sustainedText = "";
let ours: { claims: Awaited<ReturnType<typeof claimContention>>[]; fan: FanoutResult[] } | undefined;
const sections: string[] = [];
const say = (s: string) => {
  console.log(s);
  sections.push(s);
};
const p50p99 = (s: { p50: number; p99: number }) => `${ms(s.p50)} / ${ms(s.p99)}`;
const verdict = (p99: number, target: number) => (Number.isFinite(p99) ? (p99 <= target ? "met" : "missed") : "–");

/**
 * Runs `body` against a started server, with the consoles it opens in `consoles`. A failure prints
 * the server's last lines. The server is stopped first and the consoles closed after: closed while
 * it runs, each would tell every other console.
 */
async function onServer<T>(server: Server, consoles: Console[], body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (err) {
    console.error(`bench: the run broke off. The product's last lines:\n${server.tail().slice(-3000)}`);
    throw err;
  } finally {
    await server.stop();
    for (const c of consoles) c.close();
  }
}

/**
 * The sustained load on a server of its own, started fresh: parts 1 to 3 leave a thousand call
 * sessions and about a gigabyte in the one workerd process, and a sustained load measured after them
 * measures that (docs/benchmarks.md). Also gives the per-console memory on a fresh server.
 */
async function sustainedPart(state: string, seededSus: Seed): Promise<{ text: string; memory: (string | number)[] }> {
  const sus = plan.sustained;
  progress(`4. a fresh server with ${sus.agents} agents for the sustained load…`);
  const s = await startServer("wrangler.toml", state, SUSTAINED_VARS);
  const p = new Product(s.directUrl, seededSus);
  const consoles: Console[] = [];
  return onServer(s, consoles, async () => {
    // The first console wakes the switchboard itself: measure from the second one on. The phones
    // are reported ready once the simulated phones register (sustained.ts).
    consoles.push(await p.openConsole(0));
    const before = memoryMiB(s.workerdPid());
    consoles.push(...(await p.openConsoles(1, sus.agents, false)));
    const after = memoryMiB(s.workerdPid());
    const text = await sustainedRuns(p, consoles);
    cpuPart("4. sustained load (its server's start included)");
    const perConsole = ((after.rss - before.rss) * 1024) / (sus.agents - 1);
    return { text, memory: [`${sus.agents} (a fresh server)`, ms(before.rss), ms(after.rss), ms(perConsole), ms(after.peak)] };
  });
}

/** The sustained runs, with agents 0 … n-1 and their open consoles, and their table. */
async function sustainedRuns(p: Product, consoles: Console[]): Promise<string> {
  const sus = plan.sustained;
  const workers = Array.from({ length: sus.agents }, (_, i) => i);
  const loads = [];
  for (const { rate, seconds, reactionMs } of sus.runs) {
    progress(`4. sustained load: ${rate} calls/s for ${seconds} s, agents reacting in ${reactionMs.join("–")} ms…`);
    const observer = await p.openConsole("admin");
    loads.push(await sustainedLoad(p, { agents: workers, consoles, observer, rate, seconds, speed: sus.speed, callerHangups: sus.callerHangups, reactionMs }));
    observer.close();
  }
  const text = [
    `\n### 4. Sustained load through the carrier simulator (speed ${sus.speed}), ${sus.agents} agents answering (ticketed connects), declining, ignoring and hanging up at random; ${Math.round(sus.callerHangups * 100)}% of callers hang up on their own\n`,
    table(
      [
        "calls/s offered",
        "for s",
        "agents react in ms",
        "calls",
        "outcomes",
        "ended calls/s",
        "ring p50 / p95 / p99 ms",
        "claim p50 / p95 / p99 ms",
        "claims per answered call",
        "claim → connected p50 / p95 / p99 ms",
        "errors",
        "inconsistent calls",
        "late joins the product ended",
        "agents left busy",
        "bench event-loop delay p99 ms",
      ],
      loads.map((load) => [
        load.rate,
        load.seconds,
        load.reactionMs.join("–"),
        load.placed,
        Object.entries(load.outcomes)
          .map(([k, v]) => `${k} ${v}`)
          .join(", "),
        load.throughput.toFixed(1),
        `${ms(load.ringLatency.p50)} / ${ms(load.ringLatency.p95)} / ${ms(load.ringLatency.p99)}`,
        `${ms(load.claimLatency.p50)} / ${ms(load.claimLatency.p95)} / ${ms(load.claimLatency.p99)}`,
        load.claimsPerAnswered.toFixed(1),
        `${ms(load.connectLatency.p50)} / ${ms(load.connectLatency.p95)} / ${ms(load.connectLatency.p99)}`,
        load.errors.length,
        load.inconsistent.length,
        load.lateJoinsKicked.length,
        load.stuckAgents.length,
        ms(load.benchLoopDelayP99),
      ]),
    ),
  ].join("\n");
  for (const load of loads) {
    const at = `sustained load at ${load.rate} calls/s`;
    if (load.lateJoinsKicked.length) console.error(`bench: ${at}: ${load.lateJoinsKicked.length} late joins the product ended (not a failure): ${load.lateJoinsKicked.slice(0, 5).join("; ")}`);
    if (load.errors.length) failures.push(`${at}: ${load.errors.length} errors:\n  ${load.errors.slice(0, 10).join("\n  ")}`);
    if (load.inconsistent.length) failures.push(`${at}: ${load.inconsistent.length} inconsistent calls:\n  ${load.inconsistent.slice(0, 10).join("\n  ")}`);
    if (load.stuckAgents.length) failures.push(`${at}: agents left busy: ${load.stuckAgents.slice(0, 10).join(", ")}`);
  }
  return text;
}

if (!existsSync("dist/index.html")) run("vite", ["build", "-c", "web/vite.config.ts", "--logLevel", "warn"]);
const seeded = seed(plan.agents);
const seededSus = seed(plan.sustained.agents);
progress(`preparing the local databases…`);
// All at once and before anything is measured: each is a few seconds of wrangler CLI.
const seededReports = seed(plan.reports.agents);
const reportsNow = Date.now();
const [mainState, baselineState, reportsState, sustainedState] = await Promise.all([
  prepareState("wrangler.toml", `${seeded.sql}\n${signInSeedSql(plan.signIn.rows)}`),
  prepareState("bench/baseline/wrangler.toml", null),
  prepareState("wrangler.toml", `${seededReports.sql}\n${reportsSeedSql(plan.reports, reportsNow)}`),
  ...(plan.sustained.ownServer ? [prepareState("wrangler.toml", seededSus.sql)] : []),
]);
progress("starting the product in workerd…");
const startBaseline = () => startServer("bench/baseline/wrangler.toml", baselineState, { FEED_POLL_MS: String(FEED_POLL_MS) });
const baselineStarted = plan.baselineEarly ? startBaseline() : null;
const server = await startServer("wrangler.toml", mainState, { TWILIO_AUTH_TOKEN: AUTH_TOKEN });
await baselineStarted;
cpuPart("preparing the databases, starting the servers");
// Past wrangler's dev proxy (bench/server.ts directUrl), for both designs alike.
const p = new Product(server.directUrl, seeded);
const consoles: Console[] = [];
let lifecycle: LifecycleResult | undefined;
await onServer(server, consoles, async () => {
  /** Opens consoles for agents consoles.length … k-1, each reporting its phone ready: all eligible. */
  const openUpTo = async (k: number) => {
    for (const c of consoles) c.muted = true;
    consoles.push(...(await p.openConsoles(consoles.length, k)));
    for (const c of consoles) c.listen();
  };
  // Ten eligible agents: every call rings them.
  await openUpTo(10);

  progress("1. inbound webhook…");
  const hooks = [];
  for (const c of plan.webhookConcurrency) hooks.push(await webhookLatency(p, c, plan.webhookCalls));
  const floors = [];
  for (const c of plan.webhookConcurrency) floors.push({ c, s: await floorLatency(p.url, c, plan.webhookCalls) });
  say("### 1. Inbound webhook: `POST /twilio/voice` (the caller's lobby), 10 agents eligible\n");
  say(table(["calls in flight", "calls", "p50 ms", "p95 ms", "p99 ms", "max ms", "errors"], hooks.map((h) => [h.concurrency, h.latency.n, ms(h.latency.p50), ms(h.latency.p95), ms(h.latency.p99), ms(h.latency.max), h.errors])));
  say("\nThe floor: `GET /healthz` through the same local server (no Durable Object, no D1)\n");
  say(table(["requests in flight", "requests", "p50 ms", "p95 ms", "p99 ms", "max ms"], floors.map(({ c, s }) => [c, s.n, ms(s.p50), ms(s.p95), ms(s.p99), ms(s.max)])));
  for (const h of hooks) if (h.errors) failures.push(`webhook at ${h.concurrency} in flight: ${h.errors} wrong answers`);
  cpuPart("1. inbound webhook");

  progress("1b. sign-in with its throttle…");
  const signIns = await signInCost(p.url, plan.signIn.attempts);
  say(`\n### 1b. Sign-in: \`POST /api/session\` one at a time (PBKDF2-SHA256, 100,000 iterations), ${plan.signIn.rows.toLocaleString("en")} rows in the throttle table\n`);
  say(table(["attempt", "n", "p50 ms", "p95 ms", "p99 ms", "max ms", "wrong answers"], signIns.map((s) => [s.kind, s.latency.n, ms(s.latency.p50), ms(s.latency.p95), ms(s.latency.p99), ms(s.latency.max), s.errors])));
  for (const s of signIns) if (s.errors) failures.push(`sign-in, ${s.kind}: ${s.errors} wrong answers`);
  cpuPart("1b. sign-in");

  progress("2. claim contention…");
  const maxContenders = Math.max(...plan.claimContenders);
  await openUpTo(maxContenders);
  const claims = [];
  for (const n of plan.claimContenders) claims.push(await claimContention(p, Array.from({ length: n }, (_, i) => i), plan.claimCalls));
  say(`\n### 2. Claim contention: every contender claims the same call at once (${maxContenders} consoles open, all eligible)\n`);
  say(table(["contenders", "calls", "claims", "p50 ms", "p95 ms", "p99 ms", "max ms", "calls without exactly one winner", "errors"], claims.map((c) => [c.contenders, c.calls, c.latency.n, ms(c.latency.p50), ms(c.latency.p95), ms(c.latency.p99), ms(c.latency.max), c.wrongWinners, c.errors])));
  for (const c of claims) if (c.wrongWinners || c.errors) failures.push(`claims with ${c.contenders} contenders: ${c.wrongWinners} calls without exactly one winner, ${c.errors} errors`);
  cpuPart("2. claim contention");

  progress("3. ring and answer on every console…");
  const fan: FanoutResult[] = [];
  const memory = [];
  for (const f of plan.fanout) {
    if (consoles.length !== f.consoles) {
      for (const c of consoles.splice(f.consoles)) c.close();
      const before = { consoles: consoles.length, ...memoryMiB(server.workerdPid()) };
      await openUpTo(f.consoles);
      const after = memoryMiB(server.workerdPid());
      memory.push({ consoles: f.consoles, before, after, added: f.consoles - before.consoles });
    }
    progress(`3. ${f.consoles} consoles, ${f.racing} racing claim${f.racing > 1 ? "s" : ""}, ${f.rounds} calls…`);
    fan.push(await ringAndAnswer(p, consoles, f.racing, f.rounds));
  }
  progress(`3. bytes per console per call at ${consoles.length} consoles…`);
  lifecycle = await bytesPerCall(p, consoles, plan.lifecycle.calls);
  cpuPart(`3. ring and answer, ${plan.fanout.map((f) => f.consoles).filter((k, i, a) => a.indexOf(k) === i).join(", ")} consoles (opening them included)`);

  // Ring to every console, all the calls at each number of consoles together (the ring comes before the claims).
  const byConsoles = [...new Set(fan.map((f) => f.consoles))];
  say("\n### 3. Ring to every console: from the voice webhook sent to `call.ringing` on the last console, every agent eligible\n");
  say(
    table(
      ["consoles", "calls", "webhook answered p50 / p99 ms", "first console p50 / p99 ms", "last console p50 / p95 / p99 / max ms", `target: last console p99 ≤ ${TARGETS.ring.p99} ms at ${TARGETS.ring.consoles.toLocaleString("en")}`],
      byConsoles.map((k) => {
        const rows = fan.filter((f) => f.consoles === k);
        const pool = (key: "webhook" | "ringFirst" | "ringLast") => summarize(rows.flatMap((f) => f.raw[key]));
        const last = pool("ringLast");
        return [k, last.n, p50p99(pool("webhook")), p50p99(pool("ringFirst")), `${ms(last.p50)} / ${ms(last.p95)} / ${ms(last.p99)} / ${ms(last.max)}`, k === TARGETS.ring.consoles ? verdict(last.p99, TARGETS.ring.p99) : "–"];
      }),
    ),
  );
  say("\n### 3b. Claim → every console: from the racing claims sent to `call.answered` on the last console\n");
  say(
    table(
      ["consoles", "racing claims", "calls", "every claim's answer p50 / p99 ms", "the winner's answer p50 / p99 ms", "last console p50 / p95 / p99 / max ms", "calls without exactly one winner", `target: p99 ≤ ${TARGETS.claim.p99} ms at ${TARGETS.claim.consoles} consoles, ${TARGETS.claim.racing} racing`],
      fan
        .filter((f) => f.racing > 1)
        .map((f) => [
          f.consoles,
          f.racing,
          f.rounds,
          p50p99(f.claim),
          p50p99(f.winner),
          `${ms(f.answeredLast.p50)} / ${ms(f.answeredLast.p95)} / ${ms(f.answeredLast.p99)} / ${ms(f.answeredLast.max)}`,
          f.wrongWinners,
          f.consoles === TARGETS.claim.consoles && f.racing === TARGETS.claim.racing ? verdict(f.answeredLast.p99, TARGETS.claim.p99) : "–",
        ]),
    ),
  );
  say("\n### 3c. Answer to everyone (one claim): `call.answered` on every other console, per delivery\n");
  say(
    table(
      ["consoles", "calls", "from the claim sent p50 / p99 / max ms", "from the claim's response p50 / p99 ms", "arrived before the response", "lost"],
      fan.filter((f) => f.racing === 1).map((f) => [f.consoles, f.rounds, `${ms(f.afterRequest.p50)} / ${ms(f.afterRequest.p99)} / ${ms(f.afterRequest.max)}`, p50p99(f.afterResponse), `${f.beforeResponse} of ${f.afterResponse.n}`, f.lost]),
    ),
  );
  const l = lifecycle;
  say(`\n### 3d. Bytes sent per console per call, ${l.consoles} agents eligible (ring, claim, ticketed connect, caller hangs up; WebSocket payload, uncompressed)\n`);
  say(
    table(
      ["consoles", "calls", "frames per console per call", "bytes per console per call", "bytes per frame", "all consoles, per call", "the frames of one call"],
      [[l.consoles, l.calls, l.frames.toFixed(1), l.bytes.toFixed(0), (l.bytes / l.frames).toFixed(0), `${((l.bytes * l.consoles) / 1024).toFixed(0)} KiB`, Object.entries(l.types).map(([k, v]) => `${k} ${v}`).join(", ")]],
    ),
  );
  for (const f of fan) {
    const at = `${f.consoles} consoles, ${f.racing} racing`;
    if (f.lost) failures.push(`${at}: ${f.lost} messages lost`);
    if (f.wrongWinners || f.errors) failures.push(`${at}: ${f.wrongWinners} calls without exactly one winner, ${f.errors} errors`);
  }
  if (l.errors.length) failures.push(`whole calls at ${l.consoles} consoles: ${l.errors.length} errors:\n  ${l.errors.slice(0, 10).join("\n  ")}`);

  memoryRows.push(...memory.map((m) => [`${m.consoles} (after parts 1 and 2)`, ms(m.before.rss), ms(m.after.rss), m.added > 0 ? ms(((m.after.rss - m.before.rss) * 1024) / m.added) : "–", ms(m.after.peak)]));
  if (!plan.sustained.ownServer) {
    progress(`4. sustained load on the same server…`);
    for (const c of consoles.splice(plan.sustained.agents)) c.close();
    sustainedText = await sustainedRuns(p, consoles);
    cpuPart("4. sustained load");
  }
  ours = { claims, fan };
});
cpuSkip();

if (sustainedState) {
  const part = await sustainedPart(sustainedState, seededSus);
  sustainedText = part.text;
  memoryRows.unshift(part.memory);
  cpuSkip();
}
say(sustainedText);

progress("5. the plan's design (claim row in D1, polling or a change feed)…");
const baseline = await (baselineStarted ?? startBaseline());
await onServer(baseline, [], async () => {
  const bClaims = [];
  for (const n of plan.claimContenders) bClaims.push(await baselineClaims(baseline.directUrl, n, plan.claimCalls));
  const bFan = [];
  for (const f of plan.baselineFanout) bFan.push(await baselineFanout(baseline.directUrl, f.mode, f.consoles, f.rounds));
  say(`\n### 5. The plan's design on the same machine: \`INSERT … ON CONFLICT (call_sid) DO NOTHING\` in D1; consoles poll every ${CONSOLE_POLL_MS} ms, or a change feed polls every ${FEED_POLL_MS} ms and pushes\n`);
  say(table(["contenders", "calls", "p50 ms", "p95 ms", "p99 ms", "max ms", "calls without exactly one winner"], bClaims.map((c) => [c.contenders, c.calls, ms(c.latency.p50), ms(c.latency.p95), ms(c.latency.p99), ms(c.latency.max), c.wrongWinners])));
  say("");
  say(table(["how consoles learn", "consoles", "rounds", "from the claim sent p50 / p99 / max ms", "from the claim's response p50 / p99 ms", "lost"], bFan.map((f) => [f.mode, f.consoles, f.rounds, `${ms(f.afterRequest.p50)} / ${ms(f.afterRequest.p99)} / ${ms(f.afterRequest.max)}`, p50p99(f.afterResponse), f.lost])));
  for (const c of bClaims) if (c.wrongWinners) failures.push(`the plan's design: ${c.wrongWinners} calls without exactly one winner`);
  for (const f of bFan) if (f.lost) failures.push(`the plan's design (${f.mode}, ${f.consoles} consoles): ${f.lost} messages lost`);
  // Both designs from the same start point, the claim sent, and from unrounded values.
  const rows: (string | number)[][] = [];
  for (const f of ours!.fan.filter((f) => f.racing === 1)) {
    for (const b of bFan.filter((b) => b.consoles === f.consoles)) {
      rows.push([`answer to everyone, ${f.consoles} consoles, vs ${b.mode}`, p50p99(f.afterRequest), p50p99(b.afterRequest), `${ratio(b.afterRequest.p50, f.afterRequest.p50)} / ${ratio(b.afterRequest.p99, f.afterRequest.p99)}`]);
    }
  }
  for (const c of ours!.claims) {
    const b = bClaims.find((b) => b.contenders === c.contenders);
    if (b) rows.push([`claim, ${c.contenders} contenders`, p50p99(c.latency), p50p99(b.latency), `${ratio(b.latency.p50, c.latency.p50)} / ${ratio(b.latency.p99, c.latency.p99)}`]);
  }
  say(`\n### Side by side (p50 / p99 ms, both from the claim sent; the ratio is the plan's design over this one, "n/a" below ${RESOLUTION_MS} ms)\n`);
  say(table(["measure", "this design", "the plan's design", "ratio"], rows));
  cpuPart(`5. the plan's design${plan.baselineEarly ? "" : " (its server's start included)"}`);
});

say("\n### 6. Memory (the workerd process serving the product)\n");
say(table(["consoles", "RSS before opening them MiB", "RSS with them open MiB", "per added console KiB", "peak RSS MiB"], memoryRows));

progress(`7. reports over ${plan.reports.calls.toLocaleString("en")} seeded calls…`);
const reportsServer = await startServer("wrangler.toml", reportsState!, {});
let reportMisses: string[] = [];
await onServer(reportsServer, [], async () => {
  const r = await reportsBench(reportsServer.directUrl, seededReports.adminToken, plan.reports, reportsNow);
  reportMisses = r.misses;
  say(`\n${reportsTitle(plan.reports)}\n`);
  say(table(REPORTS_HEAD, r.rows));
  for (const e of r.errors) failures.push(`reports: ${e}`);
  if (r.misses.length) console.error(`bench: reports over the target (not a failure): ${r.misses.join("; ")}`);
  cpuPart("7. reports (their server's start included)");
});

// The targets, met or missed, in one place.
const ringAt = ours!.fan.filter((f) => f.consoles === TARGETS.ring.consoles);
const ringP99 = ringAt.length ? summarize(ringAt.flatMap((f) => f.raw.ringLast)).p99 : NaN;
const claimAt = ours!.fan.find((f) => f.consoles === TARGETS.claim.consoles && f.racing === TARGETS.claim.racing);
const targetLines = [
  `- webhook → every console p99 ≤ ${TARGETS.ring.p99} ms at ${TARGETS.ring.consoles.toLocaleString("en")} consoles: ${ringAt.length ? `${ms(ringP99)} ms, ${verdict(ringP99, TARGETS.ring.p99)}` : "not measured in the quick run"}`,
  `- claim → every console p99 ≤ ${TARGETS.claim.p99} ms at ${TARGETS.claim.consoles} consoles with ${TARGETS.claim.racing} racing claims: ${claimAt ? `${ms(claimAt.answeredLast.p99)} ms, ${verdict(claimAt.answeredLast.p99, TARGETS.claim.p99)}` : "not measured in the quick run"}`,
  `- every report p50 < ${REPORT_TARGET_MS} ms over ${plan.reports.calls.toLocaleString("en")} calls: ${reportMisses.length ? `missed by ${reportMisses.join("; ")}` : "met"}`,
];
say("\n### Targets (reported, not enforced)\n");
say(targetLines.join("\n"));
if (cpuRows.length) {
  say(`\n### The machine: cores in use during each part (${cpus().length} cores; others' work shares them with what is measured)\n`);
  say(table(["part", "s", "the benchmark and its servers", "every other process"], cpuRows));
}

const took = Math.round((Date.now() - began) / 1000);
if (!quick) {
  const cpu = cpus()[0]?.model ?? "unknown CPU";
  const machine = `${cpus().length} × ${cpu}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Node ${process.version}, wrangler ${run("wrangler", ["--version"]).trim().split("\n").pop()}`;
  const docs = readFileSync("docs/benchmarks.md", "utf8");
  const generated = [`Made by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}, on ${machine}, in ${Math.floor(took / 60)} min ${took % 60} s.`, "", ...sections].join("\n");
  writeFileSync("docs/benchmarks.md", docs.replace(/<!-- bench:start -->[\s\S]*<!-- bench:end -->/, `<!-- bench:start -->\n${generated}\n<!-- bench:end -->`));
  progress("wrote docs/benchmarks.md");
}

progress(`done in ${took} s`);
if (failures.length) {
  console.error("\nbench: CORRECTNESS FAILED\n" + failures.map((f) => "- " + f).join("\n"));
  process.exit(1);
}
console.error("\nbench: correctness held (one winner per call, no lost events, every call consistent, nobody left busy).");
// Nothing may keep the process alive once the verdict is out (sockets, ping timers, pollers).
process.exit(0);
