// Ending sessions reaches their sockets: the D1 rows go first, so that no reconnect gets through,
// then the switchboard closes the open consoles (and, with the simulator, the simulated phones).
import type { Db } from "../db/client";
import type { Env } from "../env";
import type { SessionEnd } from "../protocol";
import { switchboard } from "../switchboard/stub";
import { deleteAgentSessions, deleteSession } from "./sessions";

/** A sign-out: this session only; the agent's other sessions (another browser) stay signed in. */
export async function endSession(env: Env, db: Db, agentId: string, sessionHash: string): Promise<void> {
  await deleteSession(db, sessionHash);
  await switchboard(env).revoke({ agentId, end: "signed_out", sessionHash });
}

/** A new password, or the agent removed or disabled: every session of the agent ends. */
export async function endAgentSessions(env: Env, db: Db, agentId: string, end: Extract<SessionEnd, "password_changed" | "agent_removed" | "agent_disabled">): Promise<void> {
  const ended = await deleteAgentSessions(db, agentId);
  await switchboard(env).revoke({ agentId, end, ended });
}
