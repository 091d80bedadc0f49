import { idleAvailableAgents } from "../db/agents";
import type { Db } from "../db/client";
import type { Env } from "../env";
import { switchboard } from "../switchboard/stub";

/** Agents a call may ring now: available, not on a call, with a console online; longest idle first. */
export async function ringableAgents(env: Env, db: Db): Promise<string[]> {
  const [candidates, online] = await Promise.all([idleAvailableAgents(db), switchboard(env).onlineAgents()]);
  const onlineSet = new Set(online);
  return candidates.filter((a) => onlineSet.has(a.id)).map((a) => a.id);
}
