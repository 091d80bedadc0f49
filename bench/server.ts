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

export async function startServer(config: string, state: string, vars: Record<string, string>): Promise<Server> {
  const port = await freePort();
  const args = ["dev", "-c", config, "--port", String(port), "--ip", "127.0.0.1", "--persist-to", state, "--show-interactive-dev-session=false"];
  for (const [k, v] of Object.entries(vars)) args.push("--var", `${k}:${v}`);
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
