// What the console does when the switchboard closes its socket, by close code (worker/protocol.ts CLOSE).
import { CLOSE, sessionEndOf, type SessionEnd } from "../../worker/protocol";

export type AfterClose =
  /** A dropped network, a deploy, a console judged silent: reconnect with backoff. */
  | { kind: "reconnect"; notice: string | null }
  /** The session ended: the sign-in page, saying why; reconnecting could only be refused. */
  | { kind: "signed-out"; notice: string }
  /** A newer console of this agent pushed this one out: stay closed until the agent asks, or the two would take turns pushing each other out. */
  | { kind: "displaced"; notice: string };

const SESSION_END_WORDS: Record<SessionEnd, string> = {
  signed_out: "You were signed out.",
  session_expired: "Your session expired. Sign in again.",
  password_changed: "Your password was changed. Sign in with the new one.",
  agent_removed: "Your account was removed by an admin.",
  agent_disabled: "Your account was disabled by an admin.",
};

export function afterClose(code: number): AfterClose {
  const end = sessionEndOf(code);
  if (end) return { kind: "signed-out", notice: SESSION_END_WORDS[end] };
  if (code === CLOSE.tooManyConsoles.code) {
    return { kind: "displaced", notice: "This console was closed because you opened another one: at most a few consoles per agent stay connected." };
  }
  if (code === CLOSE.frameTooLarge.code) return { kind: "reconnect", notice: "The server refused a message from this console; reconnecting." };
  return { kind: "reconnect", notice: null };
}
