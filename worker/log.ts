// One JSON line per decision, carrying the CallSid and agent, so `wrangler tail` can be filtered by call.
// Never pass secrets, tokens, passwords or cookies in `fields`.
import { env } from "cloudflare:workers";

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
  const line = JSON.stringify({ at: new Date().toISOString(), level, event, ...fields });
  if (level === "error") console.error(line);
  else if (level === "warn") console.warn(line);
  else console.log(line);
}
