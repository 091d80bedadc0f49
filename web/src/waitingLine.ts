// Why a caller waits in line (a ringing call that rings nobody): the agents it would ring are busy on a
// call, or in wrap-up after one. Pure, from the board's agents; the switchboard's count decides the ring.
import { type AgentView, type CallView, ringsAgent } from "../../worker/protocol";

type Agent = Pick<AgentView, "id" | "available" | "online" | "currentCallSid" | "phoneReady" | "wrapUpUntil">;

/** The agents this call would ring but for a call they hold (`busy`) or their wrap-up (`wrappingUp`). */
export function whoHoldsTheLine(call: Pick<CallView, "phase" | "ringTargets" | "declined">, agents: Iterable<Agent>): { busy: number; wrappingUp: number } {
  let busy = 0;
  let wrappingUp = 0;
  for (const a of agents) {
    if (!ringsAgent(call, { ...a, currentCallSid: null, wrapUpUntil: null })) continue;
    if (a.currentCallSid !== null) busy++;
    else if (a.wrapUpUntil !== null) wrappingUp++;
  }
  return { busy, wrappingUp };
}

/**
 * Why nobody is rung, in words: "every agent is busy", "2 agents in wrap-up" when wrap-up alone is why,
 * "every agent is busy or in wrap-up" when both are.
 */
export function whyInLine(call: Pick<CallView, "phase" | "ringTargets" | "declined">, agents: Iterable<Agent>): string {
  const { busy, wrappingUp } = whoHoldsTheLine(call, agents);
  if (wrappingUp === 0) return "every agent is busy";
  if (busy === 0) return `${wrappingUp} ${wrappingUp === 1 ? "agent" : "agents"} in wrap-up`;
  return "every agent is busy or in wrap-up";
}
