// Pure rules of the switchboard's limits: consoles per agent, frame size, connects per agent, and
// when the prune alarm must run. The switchboard holds the state; these decide.

/**
 * Consoles one agent may hold open at once. An agent works at one desk; a few tabs or a second
 * device are normal, thirty sockets are not (every socket receives every ring of the team).
 */
export const MAX_CONSOLES_PER_AGENT = 5;

/**
 * Largest frame a console may send. Consoles send only "ping" (answered by the runtime's
 * auto-response, never reaching the object); the platform would accept frames up to 32 MiB
 * (Cloudflare Durable Objects limits), each one waking the switchboard that every ring runs through.
 */
export const MAX_FRAME_BYTES = 1024;

/**
 * Upgrades one agent may make in a sliding window. A console reconnects with a backoff that starts
 * at 0.25–0.75 s and doubles (web/src/connection.ts), and a reload is one upgrade: ten in ten seconds
 * leaves room for a few tabs reloading together, and stops a loop of reconnects (or a script) before
 * each one costs the switchboard a snapshot read from D1.
 */
export const CONNECT_WINDOW_MS = 10_000;
export const MAX_CONNECTS_PER_WINDOW = 10;

export interface OpenConsole<S> {
  socket: S;
  connectedAt: number;
}

/**
 * The agent's consoles to close so that, with one more opening, no more than `cap` stay open: the
 * oldest first (the newest is the one the agent is looking at).
 */
export function consolesOverCap<S>(open: OpenConsole<S>[], cap = MAX_CONSOLES_PER_AGENT): S[] {
  const excess = open.length + 1 - cap;
  if (excess <= 0) return [];
  return [...open]
    .sort((a, b) => a.connectedAt - b.connectedAt)
    .slice(0, excess)
    .map((c) => c.socket);
}

/** A frame larger than `max` bytes (UTF-8 for text). The byte length is only computed when it could exceed it. */
export function frameTooLarge(frame: string | ArrayBuffer, max = MAX_FRAME_BYTES): boolean {
  if (typeof frame !== "string") return frame.byteLength > max;
  // A UTF-16 unit is at most 3 bytes of UTF-8 and at least 1.
  if (frame.length * 3 <= max) return false;
  if (frame.length > max) return true;
  return new TextEncoder().encode(frame).byteLength > max;
}

export type ConnectVerdict = { ok: true; recent: number[] } | { ok: false; recent: number[]; retryAfterSeconds: number };

/**
 * Whether one more upgrade is allowed now, given the times of the agent's admitted upgrades.
 * `recent`: the times to keep (those in the window, with this one when admitted). A refused attempt
 * is not counted, so Retry-After says exactly when the oldest admitted one leaves the window.
 */
export function admitConnect(times: readonly number[], now: number, max = MAX_CONNECTS_PER_WINDOW, windowMs = CONNECT_WINDOW_MS): ConnectVerdict {
  const recent = times.filter((t) => now - t < windowMs);
  if (recent.length < max) return { ok: true, recent: [...recent, now] };
  const oldest = Math.min(...recent);
  return { ok: false, recent, retryAfterSeconds: Math.max(1, Math.ceil((oldest + windowMs - now) / 1000)) };
}

/**
 * When the prune alarm must run: within half the ping timeout (a silent console is dropped at most
 * 1.5 timeouts after its last ping), and no later than the earliest session expiry of an open
 * console (Infinity: none), so an expired session's socket is closed within moments of its expiry.
 */
export function pruneAlarmAt(now: number, pingTimeoutMs: number, earliestExpiry = Infinity): number {
  return Math.max(now, Math.min(now + pingTimeoutMs / 2, earliestExpiry));
}
