// One JSON line per decision, carrying the CallSid and agent, so `wrangler tail` can be filtered by call.
// Never pass secrets, tokens, passwords or cookies in `fields`: redact() (worker/redact.ts) still drops
// secret-named fields, drizzle's "params:" tails and full phone numbers, whatever the caller passed.
import { env } from "cloudflare:workers";
import { redactFields } from "./redact";

export type LogFields = { callSid?: string | null; agentId?: string | null } & Record<string, unknown>;
type Level = "info" | "warn" | "error";

const RANK: Record<Level, number> = { info: 0, warn: 1, error: 2 };

/** LOG_LEVEL=warn keeps only warnings and errors (a busy deployment's decisions are many lines). */
function threshold(): number {
  const level = (env as { LOG_LEVEL?: string }).LOG_LEVEL;
  return level === "warn" || level === "error" ? RANK[level] : 0;
}

export function log(event: string, fields: LogFields = {}, level: Level = "info"): void {
  if (RANK[level] < threshold()) return;
  const line = JSON.stringify({ at: new Date().toISOString(), level, event, ...redactFields(fields) });
  if (level === "error") console.error(line);
  else if (level === "warn") console.warn(line);
  else console.log(line);
}

/**
 * An unexpected error: its message, its cause (for a failed drizzle query, D1's own reason, such as
 * which constraint failed) and its stack, all through the same redaction as every line.
 */
export function logError(event: string, err: unknown, fields: LogFields = {}): void {
  const cause = err instanceof Error && err.cause !== undefined ? String(err.cause) : undefined;
  log(event, { ...fields, error: String(err), cause, stack: err instanceof Error ? err.stack : undefined }, "error");
}
