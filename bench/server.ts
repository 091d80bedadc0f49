// Starts a worker under `wrangler dev` the way `npm run dev` does (local workerd, local D1 in a state
// folder of its own), waits until it answers, and finds its workerd process for memory readings.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

const ENV = { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "true" };

export interface Server {
  /** wrangler's dev proxy, as a browser on `npm run dev` reaches the app. */
  url: string;
  /**
   * The worker's own socket in workerd, past wrangler's dev proxy: the proxy exists for live reload,
   * production has nothing like it, and it added a third of the CPU per request. `url` if not found.
   */
  directUrl: string;
  state: string;
  child: ChildProcess;
  /** The last lines the server printed, for a failure's report. */
  tail(): string;
  /** The workerd process serving it (a child of wrangler), for memory readings. */
  workerdPid(): number | null;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
}

export function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { env: ENV, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed:\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

function runAsync(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: ENV, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
    child.once("error", reject);
    child.once("exit", (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(" ")} failed:\n${out}`))));
  });
}

/**
 * Applies the migrations and then `seedSql` to a fresh local D1 in a new state folder. Asynchronous,
 * so that a run can prepare all its servers' databases at once, before it measures anything. With a
 * seed, the migrations' SQL and the seed go in one `wrangler d1 execute` (one CLI start instead of
 * two, seconds of the quick run); the tables are the same, without wrangler's migrations ledger.
 */
export async function prepareState(config: string, seedSql: string | null): Promise<string> {
  const state = mkdtempSync(join(tmpdir(), "ringall-bench-"));
  // A run that breaks off before a server used (and removed) it must not leave it behind.
  process.once("exit", () => rmSync(state, { recursive: true, force: true }));
  if (!seedSql) {
    await runAsync("wrangler", ["d1", "migrations", "apply", "DB", "--local", "--persist-to", state, "-c", config]);
    return state;
  }
  const dir = join(dirname(config), "migrations");
  const migrations = readdirSync(dir)
    .filter((f) => f.endsWith(".sql"))
    .sort()
    .map((f) => readFileSync(join(dir, f), "utf8"));
  const file = join(state, "seed.sql");
  writeFileSync(file, [...migrations, seedSql].join("\n"));
  await runAsync("wrangler", ["d1", "execute", "DB", "--local", "--persist-to", state, "-c", config, "--file", file]);
  return state;
}

/**
 * Two servers started at once can pick the same free port for one of their sockets (wrangler then
 * exits with "Address already in use"): such a start is tried again, on new ports.
 */
export async function startServer(config: string, state: string, vars: Record<string, string>): Promise<Server> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(config, state, vars);
    } catch (err) {
      if (attempt >= 3 || !String(err).includes("Address already in use")) throw err;
    }
  }
}

async function startOnce(config: string, state: string, vars: Record<string, string>): Promise<Server> {
  const port = await freePort();
  const args = ["dev", "-c", config, "--port", String(port), "--ip", "127.0.0.1", "--persist-to", state, "--show-interactive-dev-session=false"];
  // As `npm run dev` chooses with no Twilio account: the worker refuses calls unless a carrier is named.
  // No wrap-up: the benchmark measures rings and claims, and its agents take the next call at once, as
  // the runs before wrap-up existed did (a test that wants it passes WRAP_UP_SECONDS in `vars`).
  for (const [k, v] of Object.entries({ CARRIER: "simulator", WRAP_UP_SECONDS: "0", ...vars })) args.push("--var", `${k}:${v}`);
  // BENCH_INSPECTOR_PORT=<port> opens wrangler's inspector there (for CPU profiles, docs/benchmarks.md).
  if (process.env.BENCH_INSPECTOR_PORT) args.push("--inspector-port", process.env.BENCH_INSPECTOR_PORT);
  const child = spawn("wrangler", args, { env: ENV, stdio: ["ignore", "pipe", "pipe"] });
  // Even when the benchmark dies of an uncaught error, its servers must not outlive it.
  process.once("exit", () => child.kill("SIGTERM"));
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    process.once(sig, () => {
      child.kill("SIGTERM");
      process.exit(130);
    });
  }
  // Every decision logs a line: keep the pipes drained, and only the tail for errors.
  let tail = "";
  // BENCH_LOG=<file> keeps the server's whole log, for finding out why a number is what it is.
  const logFile = process.env.BENCH_LOG ? `${process.env.BENCH_LOG}.${port}` : null;
  const keep = (d: Buffer) => {
    tail = (tail + d.toString()).slice(-8000);
    if (logFile) appendFileSync(logFile, d);
  };
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited (${child.exitCode}):\n${tail}`);
    try {
      if ((await fetch(url + "/healthz")).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`wrangler dev did not answer within 90 s:\n${tail}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  const direct = await findDirectUrl(child.pid!, port);
  return {
    url,
    directUrl: direct?.url ?? url,
    state,
    child,
    tail: () => tail,
    workerdPid: () => direct?.pid ?? descendants(child.pid!).find((pid) => comm(pid) === "workerd") ?? null,
    async stop() {
      // wrangler exits before its workerd processes do, and they can take seconds more: the next
      // server must not share the CPU with one still shutting down. Its state is thrown away anyway.
      const workerds = descendants(child.pid!).filter((pid) => comm(pid) === "workerd");
      child.kill("SIGTERM");
      if (child.exitCode === null) await new Promise((r) => child.once("exit", r));
      for (const pid of workerds.filter(running)) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // gone meanwhile
        }
      }
      const deadline = Date.now() + 15_000;
      while (workerds.some(running) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      rmSync(state, { recursive: true, force: true });
    },
  };
}

/** Listening TCP ports (IPv4) of a process, from /proc: socket inodes of its fds in /proc/net/tcp. */
function listeningPorts(pid: number): number[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]!);
    } catch {
      // closed meanwhile
    }
  }
  const ports: number[] = [];
  for (const line of readFileSync("/proc/net/tcp", "utf8").split("\n").slice(1)) {
    const f = line.trim().split(/\s+/);
    // f[1] local address "0100007F:1F90", f[3] state (0A = LISTEN), f[9] inode
    if (f[3] === "0A" && f[9] && inodes.has(f[9])) ports.push(parseInt(f[1]!.split(":")[1]!, 16));
  }
  return ports;
}

/** The workerd process and port that answer /healthz themselves, other than the proxy's port. */
async function findDirectUrl(root: number, proxyPort: number): Promise<{ url: string; pid: number } | null> {
  for (const pid of descendants(root)) {
    if (comm(pid) !== "workerd") continue;
    for (const port of listeningPorts(pid)) {
      if (port === proxyPort) continue;
      try {
        const res = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(2000) });
        const body = (await res.json()) as { ok?: boolean };
        if (res.ok && body.ok === true) return { url: `http://127.0.0.1:${port}`, pid };
      } catch {
        // not an HTTP socket of the worker (the inspector, a loopback service)
      }
    }
  }
  return null;
}

function descendants(pid: number): number[] {
  const kids = spawnSync("pgrep", ["-P", String(pid)], { encoding: "utf8" }).stdout.split(/\s+/).filter(Boolean).map(Number);
  return kids.flatMap((k) => [k, ...descendants(k)]);
}

/** Still running: a zombie (exited, not yet reaped by its parent) does not count. */
function running(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.[0] !== "Z";
  } catch {
    return false;
  }
}

function comm(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, "utf8").trim();
  } catch {
    return ""; // gone meanwhile
  }
}

/** Resident and peak resident memory of a process, in MiB (Linux /proc). */
export function memoryMiB(pid: number | null): { rss: number; peak: number } {
  if (!pid) return { rss: NaN, peak: NaN };
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN);
  return { rss: kb("VmRSS") / 1024, peak: kb("VmHWM") / 1024 };
}

/** CPU time so far, in clock ticks: the whole machine's (busy), and each of the benchmark's processes'. */
export interface CpuTicks {
  at: number;
  busy: number;
  /** pid → utime + stime of the benchmark and every process under it (servers, workerd). */
  ours: Map<number, number>;
}

/** Every process's parent, from /proc (no child process: a sample must not stall the benchmark's loop). */
function parents(): Map<number, number> {
  const ppid = new Map<number, number>();
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      ppid.set(Number(d), Number(readFileSync(`/proc/${d}/stat`, "utf8").split(") ")[1]!.split(" ")[1]));
    } catch {
      // exited meanwhile
    }
  }
  return ppid;
}

/**
 * Who used the CPU: the machine's busy ticks (/proc/stat) and those of the benchmark and every
 * process under it. The rest is other people's work on the same machine, which the measurements
 * shared the cores with. null off Linux.
 */
export function cpuTicks(): CpuTicks | null {
  try {
    const f = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal …: busy is all but idle, iowait and steal.
    const busy = f[0]! + f[1]! + f[2]! + f[5]! + f[6]!;
    const ppid = parents();
    const ours = new Map<number, number>();
    const mine = (pid: number): boolean => {
      for (let p: number | undefined = pid; p !== undefined && p > 1; p = ppid.get(p)) if (p === process.pid) return true;
      return false;
    };
    for (const pid of ppid.keys()) {
      if (!mine(pid)) continue;
      try {
        const st = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
        // utime and stime (fields 14 and 15 of stat) are 11 and 12 after "pid (comm) ".
        ours.set(pid, Number(st[11]) + Number(st[12]));
      } catch {
        // exited meanwhile
      }
    }
    // The children it has reaped (wrangler's CLI runs); a stopped server's reaped ticks fall between
    // accounts (see cpuSkip in run.ts).
    const self = readFileSync("/proc/self/stat", "utf8").split(") ")[1]!.split(" ");
    ours.set(-1, Number(self[13]) + Number(self[14]));
    return { at: Date.now(), busy, ours };
  } catch {
    return null;
  }
}

/** Cores used between two samples: by the benchmark and its servers, and by everything else. */
export function cpuBetween(a: CpuTicks, b: CpuTicks, ticksPerSecond = 100): { seconds: number; ours: number; others: number } {
  const seconds = (b.at - a.at) / 1000;
  let ours = 0;
  // Processes that exited in between are lost (their ticks count as others'): sample before stopping servers.
  for (const [pid, t] of b.ours) ours += t - (a.ours.get(pid) ?? 0);
  const busy = b.busy - a.busy;
  return { seconds, ours: ours / ticksPerSecond / seconds, others: Math.max(0, busy - ours) / ticksPerSecond / seconds };
}
