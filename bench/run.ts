// `npm run bench` (about 8.5 minutes) and `npm run bench -- --quick` (under a minute, for CI):
// starts the product in local workerd as `npm run dev` does, drives it the way Twilio and the
// consoles do, prints a table, and (full run only) writes it to docs/benchmarks.md.
// Exits non-zero when correctness fails: a double winner, a lost event, a stuck call or agent.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { baselineClaims, baselineFanout, CONSOLE_POLL_MS, FEED_POLL_MS } from "./baselineBench.ts";
import { sustainedLoad } from "./sustained.ts";
import { AUTH_TOKEN, type Console, Product, type Seed, seed } from "./product.ts";
import { memoryMiB, prepareState, run, type Server, startServer } from "./server.ts";
import { floorLatency, webhookLatency } from "./webhook.ts";
import { claimContention } from "./claims.ts";
import { answerToEveryone } from "./fanout.ts";
import { ms, table } from "./stats.ts";

const quick = process.argv.includes("--quick");
const plan = quick
  ? {
      agents: 60,
      webhookCalls: 30,
      webhookConcurrency: [1, 10],
      claimCalls: 10,
      claimContenders: [10, 50],
      fanout: [
        { consoles: 10, rounds: 5 },
        { consoles: 50, rounds: 5 },
      ],
      // On the main server: a second one would cost the quick run a tenth of its minute.
      sustained: { agents: 20, speed: 10, runs: [{ rate: 2, seconds: 6 }], ownServer: false },
      baselineFanout: [
        { mode: "change feed" as const, consoles: 50, rounds: 5 },
        { mode: "polling" as const, consoles: 50, rounds: 3 },
      ],
    }
  : {
      agents: 1000,
      webhookCalls: 300,
      webhookConcurrency: [1, 10, 50],
      claimCalls: 200,
      claimContenders: [10, 100],
      fanout: [
        { consoles: 10, rounds: 50 },
        { consoles: 200, rounds: 50 },
        { consoles: 1000, rounds: 20 },
      ],
      // The first rate is what this machine sustains; the second is twice that, to show what overload does.
      sustained: { agents: 200, speed: 10, runs: [{ rate: 4, seconds: 60 }, { rate: 8, seconds: 20 }], ownServer: true },
      baselineFanout: [
        { mode: "change feed" as const, consoles: 10, rounds: 50 },
        { mode: "change feed" as const, consoles: 200, rounds: 50 },
        { mode: "change feed" as const, consoles: 1000, rounds: 20 },
        { mode: "polling" as const, consoles: 10, rounds: 20 },
        { mode: "polling" as const, consoles: 200, rounds: 20 },
      ],
    };

const failures: string[] = [];
const began = Date.now();
/** Progress on stderr, with the time since the start: a full run takes minutes. */
const progress = (text: string) => {
  const s = Math.round((Date.now() - began) / 1000);
  console.error(`bench [${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}] ${text}`);
};
const memoryRows: (string | number)[][] = [];
/** Part 4's table: run on the main server in the quick run, on a server of its own otherwise. */
let part4Text = "";
let ours: { claims: Awaited<ReturnType<typeof claimContention>>[]; fan: Awaited<ReturnType<typeof answerToEveryone>>[] } | undefined;
const sections: string[] = [];
const say = (s: string) => {
  console.log(s);
  sections.push(s);
};

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
 * Part 4 on a server of its own, started fresh: parts 1 and 2 leave a thousand call sessions and
 * about a gigabyte in the one workerd process, and a sustained load measured after them measures
 * that (docs/benchmarks.md). Also gives the per-console memory on a fresh server.
 */
async function sustainedPart(state: string, seededSus: Seed): Promise<{ text: string; memory: (string | number)[] }> {
  const sus = plan.sustained;
  progress(`4. a fresh server with ${sus.agents} agents for the sustained load…`);
  const s = await startServer("wrangler.toml", state, { TWILIO_AUTH_TOKEN: AUTH_TOKEN });
  const p = new Product(s.directUrl, seededSus);
  const consoles: Console[] = [];
  return onServer(s, consoles, async () => {
    // The first console wakes the switchboard itself: measure from the second one on.
    consoles.push(await p.openConsole(0));
    const before = memoryMiB(s.workerdPid());
    consoles.push(...(await p.openConsoles(1, sus.agents)));
    const after = memoryMiB(s.workerdPid());
    const text = await sustainedRuns(p, consoles);
    const perConsole = ((after.rss - before.rss) * 1024) / (sus.agents - 1);
    return { text, memory: [`${sus.agents} (a fresh server)`, ms(before.rss), ms(after.rss), ms(perConsole), ms(after.peak)] };
  });
}

/** Part 4's runs, with agents 0 … n-1 and their open consoles, and its table. */
async function sustainedRuns(p: Product, consoles: Console[]): Promise<string> {
  const sus = plan.sustained;
  const workers = Array.from({ length: sus.agents }, (_, i) => i);
  for (const a of workers) await p.setAvailable(a, true);
  const loads = [];
  for (const { rate, seconds } of sus.runs) {
    progress(`4. sustained load: ${rate} calls/s for ${seconds} s…`);
    const observer = await p.openConsole("admin");
    loads.push(await sustainedLoad(p, { agents: workers, consoles, observer, rate, seconds, speed: sus.speed }));
    observer.close();
  }
  const text = [
    `\n### 4. Sustained load through the carrier simulator (speed ${sus.speed}), ${sus.agents} agents answering, declining, ignoring and hanging up at random\n`,
    table(
      ["calls/s offered", "for s", "calls", "outcomes", "ended calls/s", "ring latency p50 / p95 / p99 ms", "claim latency p50 / p95 / p99 ms", "errors", "inconsistent calls", "agents left busy", "bench event-loop delay p99 ms"],
      loads.map((load) => [
        load.rate,
        load.seconds,
        load.placed,
        Object.entries(load.outcomes).map(([k, v]) => `${k} ${v}`).join(", "),
        load.throughput.toFixed(1),
        `${ms(load.ringLatency.p50)} / ${ms(load.ringLatency.p95)} / ${ms(load.ringLatency.p99)}`,
        `${ms(load.claimLatency.p50)} / ${ms(load.claimLatency.p95)} / ${ms(load.claimLatency.p99)}`,
        load.errors.length,
        load.inconsistent.length,
        load.stuckAgents.length,
        ms(load.benchLoopDelayP99),
      ]),
    ),
  ].join("\n");
  for (const load of loads) {
    const at = `sustained load at ${load.rate} calls/s`;
    if (load.errors.length) failures.push(`${at}: ${load.errors.length} errors:\n  ${load.errors.slice(0, 10).join("\n  ")}`);
    if (load.inconsistent.length) failures.push(`${at}: inconsistent calls:\n  ${load.inconsistent.slice(0, 10).join("\n  ")}`);
    if (load.stuckAgents.length) failures.push(`${at}: agents left busy: ${load.stuckAgents.slice(0, 10).join(", ")}`);
  }
  return text;
}

if (!existsSync("dist/index.html")) run("vite", ["build", "-c", "web/vite.config.ts", "--logLevel", "warn"]);
const seeded = seed(plan.agents);
const seededSus = seed(plan.sustained.agents);
progress(`preparing the local databases…`);
// All at once and before anything is measured: each is a few seconds of wrangler CLI.
const [mainState, baselineState, sustainedState] = await Promise.all([
  prepareState("wrangler.toml", seeded.sql),
  prepareState("bench/baseline/wrangler.toml", null),
  ...(plan.sustained.ownServer ? [prepareState("wrangler.toml", seededSus.sql)] : []),
]);
progress("starting the product in workerd…");
const server = await startServer("wrangler.toml", mainState, { TWILIO_AUTH_TOKEN: AUTH_TOKEN });
// Past wrangler's dev proxy (bench/server.ts directUrl), for both designs alike.
const p = new Product(server.directUrl, seeded);
const consoles: Console[] = [];
await onServer(server, consoles, async () => {
  // Ten available agents with consoles online: the ring group of every call.
  const ringers = Array.from({ length: 10 }, (_, i) => i);
  consoles.push(...(await p.openConsoles(0, ringers.length)));
  /** Opens consoles for agents consoles.length … k-1. */
  const openUpTo = async (k: number) => consoles.push(...(await p.openConsoles(consoles.length, k)));
  for (const i of ringers) await p.setAvailable(i, true);

  progress("1. inbound webhook…");
  const hooks = [];
  for (const c of plan.webhookConcurrency) hooks.push(await webhookLatency(p, c, plan.webhookCalls, 10));
  const floors = [];
  for (const c of plan.webhookConcurrency) floors.push({ c, s: await floorLatency(p.url, c, plan.webhookCalls) });
  say("### 1. Inbound webhook: `POST /twilio/voice`, 10 agents rung\n");
  say(table(["calls in flight", "calls", "p50 ms", "p95 ms", "p99 ms", "max ms", "errors"], hooks.map((h) => [h.concurrency, h.latency.n, ms(h.latency.p50), ms(h.latency.p95), ms(h.latency.p99), ms(h.latency.max), h.errors])));
  say("\nThe floor: `GET /healthz` through the same local server (no Durable Object, no D1)\n");
  say(table(["requests in flight", "requests", "p50 ms", "p95 ms", "p99 ms", "max ms"], floors.map(({ c, s }) => [c, s.n, ms(s.p50), ms(s.p95), ms(s.p99), ms(s.max)])));
  for (const h of hooks) if (h.errors) failures.push(`webhook at ${h.concurrency} in flight: ${h.errors} wrong answers`);

  progress("2. claim contention…");
  const maxContenders = Math.max(...plan.claimContenders);
  const more = Array.from({ length: maxContenders - 10 }, (_, i) => 10 + i);
  await openUpTo(maxContenders);
  for (const i of more) await p.setAvailable(i, true);
  const claims = [];
  for (const n of plan.claimContenders) claims.push(await claimContention(p, Array.from({ length: n }, (_, i) => i), plan.claimCalls));
  say("\n### 2. Claim contention: every contender claims the same call at once\n");
  say(table(["contenders", "calls", "claims", "p50 ms", "p95 ms", "p99 ms", "max ms", "calls without exactly one winner", "errors"], claims.map((c) => [c.contenders, c.calls, c.latency.n, ms(c.latency.p50), ms(c.latency.p95), ms(c.latency.p99), ms(c.latency.max), c.wrongWinners, c.errors])));
  for (const c of claims) if (c.wrongWinners || c.errors) failures.push(`claims with ${c.contenders} contenders: ${c.wrongWinners} calls without exactly one winner, ${c.errors} errors`);
  for (const i of more) await p.setAvailable(i, false);

  progress("3. answer to everyone…");
  const fan = [];
  const memory = [];
  for (const { consoles: k, rounds } of plan.fanout) {
    for (const c of consoles.splice(k)) c.close();
    const before = { consoles: consoles.length, ...memoryMiB(server.workerdPid()) };
    await openUpTo(k);
    const after = memoryMiB(server.workerdPid());
    memory.push({ consoles: k, before, after, added: k - before.consoles });
    fan.push(await answerToEveryone(p, consoles, rounds));
  }
  say("\n### 3. Answer to everyone: from the winning claim's response to `call.answered` on every other console\n");
  say(
    table(
      ["consoles", "rounds", "p50 ms", "p99 ms", "max ms", "arrived before the response", "from the claim sent: p50 / p99 ms", "lost"],
      fan.map((f) => [f.consoles, f.rounds, ms(f.afterResponse.p50), ms(f.afterResponse.p99), ms(f.afterResponse.max), `${f.beforeResponse} of ${f.afterResponse.n}`, `${ms(f.afterRequest.p50)} / ${ms(f.afterRequest.p99)}`, f.lost]),
    ),
  );
  for (const f of fan) if (f.lost) failures.push(`answer to everyone at ${f.consoles} consoles: ${f.lost} messages lost`);

  memoryRows.push(...memory.map((m) => [`${m.consoles} (after parts 1 and 2)`, ms(m.before.rss), ms(m.after.rss), m.added > 0 ? ms(((m.after.rss - m.before.rss) * 1024) / m.added) : "–", ms(m.after.peak)]));
  if (!plan.sustained.ownServer) {
    progress(`4. sustained load on the same server…`);
    part4Text = await sustainedRuns(p, consoles.slice(0, plan.sustained.agents));
  }
  ours = { claims, fan };
});

if (sustainedState) {
  const part4 = await sustainedPart(sustainedState, seededSus);
  part4Text = part4.text;
  memoryRows.unshift(part4.memory);
}
say(part4Text);

progress("5. the plan's design (claim row in D1, polling or a change feed)…");
const baseline = await startServer("bench/baseline/wrangler.toml", baselineState, { FEED_POLL_MS: String(FEED_POLL_MS) });
await onServer(baseline, [], async () => {
  const bClaims = [];
  for (const n of plan.claimContenders) bClaims.push(await baselineClaims(baseline.directUrl, n, plan.claimCalls));
  const bFan = [];
  for (const f of plan.baselineFanout) bFan.push(await baselineFanout(baseline.directUrl, f.mode, f.consoles, f.rounds));
  say(`\n### 5. The plan's design on the same machine: \`INSERT … ON CONFLICT (call_sid) DO NOTHING\` in D1; consoles poll every ${CONSOLE_POLL_MS} ms, or a change feed polls every ${FEED_POLL_MS} ms and pushes\n`);
  say(table(["contenders", "calls", "p50 ms", "p95 ms", "p99 ms", "max ms", "calls without exactly one winner"], bClaims.map((c) => [c.contenders, c.calls, ms(c.latency.p50), ms(c.latency.p95), ms(c.latency.p99), ms(c.latency.max), c.wrongWinners])));
  say("");
  say(table(["how consoles learn", "consoles", "rounds", "p50 ms", "p99 ms", "max ms", "lost"], bFan.map((f) => [f.mode, f.consoles, f.rounds, ms(f.afterResponse.p50), ms(f.afterResponse.p99), ms(f.afterResponse.max), f.lost])));
  for (const c of bClaims) if (c.wrongWinners) failures.push(`the plan's design: ${c.wrongWinners} calls without exactly one winner`);
  // The same run's ratio: answer-to-everyone measured from the claim's response; a push that came
  // before the response counts as 0 ms for this design, which favours nobody but the baseline.
  const rows: (string | number)[][] = [];
  for (const f of ours!.fan) {
    for (const b of bFan.filter((b) => b.consoles === f.consoles)) {
      const o50 = Math.max(f.afterResponse.p50, 0.1);
      const o99 = Math.max(f.afterResponse.p99, 0.1);
      rows.push([`answer to everyone, ${f.consoles} consoles, vs ${b.mode}`, `${ms(Math.max(0, f.afterResponse.p50))} / ${ms(Math.max(0, f.afterResponse.p99))}`, `${ms(b.afterResponse.p50)} / ${ms(b.afterResponse.p99)}`, `${(b.afterResponse.p50 / o50).toFixed(0)}× / ${(b.afterResponse.p99 / o99).toFixed(0)}×`]);
    }
  }
  for (const c of ours!.claims) {
    const b = bClaims.find((b) => b.contenders === c.contenders);
    if (b) rows.push([`claim, ${c.contenders} contenders`, `${ms(c.latency.p50)} / ${ms(c.latency.p99)}`, `${ms(b.latency.p50)} / ${ms(b.latency.p99)}`, `${(b.latency.p50 / c.latency.p50).toFixed(1)}× / ${(b.latency.p99 / c.latency.p99).toFixed(1)}×`]);
  }
  say("\n### Side by side (p50 / p99 ms; the ratio is the plan's design over this one)\n");
  say(table(["measure", "this design", "the plan's design", "ratio"], rows));
});

say("\n### 6. Memory (the workerd process serving the product)\n");
say(table(["consoles", "RSS before opening them MiB", "RSS with them open MiB", "per added console KiB", "peak RSS MiB"], memoryRows));

if (!quick) {
  const cpu = cpus()[0]?.model ?? "unknown CPU";
  const machine = `${cpus().length} × ${cpu}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Node ${process.version}, wrangler ${run("wrangler", ["--version"]).trim().split("\n").pop()}`;
  const docs = readFileSync("docs/benchmarks.md", "utf8");
  const generated = [`Made by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}, on ${machine}.`, "", ...sections].join("\n");
  writeFileSync("docs/benchmarks.md", docs.replace(/<!-- bench:start -->[\s\S]*<!-- bench:end -->/, `<!-- bench:start -->\n${generated}\n<!-- bench:end -->`));
  progress("wrote docs/benchmarks.md");
}

if (failures.length) {
  console.error("\nbench: CORRECTNESS FAILED\n" + failures.map((f) => "- " + f).join("\n"));
  process.exit(1);
}
console.error("\nbench: correctness held (one winner per call, no lost events).");
// Nothing may keep the process alive once the verdict is out (sockets, ping timers, pollers).
process.exit(0);
