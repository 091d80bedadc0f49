import { Hono } from "hono";
import { z } from "zod";
import { ringableAgents } from "../call/available";
import type { Reply } from "../call/machine";
import { getAgent } from "../db/agents";
import { type AppEnv, type Ctx, HttpError, jsonBody } from "../http";
import { log } from "../log";
import {
  AGENT_ID_PATTERN,
  CALL_SID_PATTERN,
  type ClaimResponse,
  type ParkResponse,
  type RetrieveResponse,
  type TransferResponse,
} from "../protocol";
import { noBody, requireSession } from "./middleware";

export const callRoutes = new Hono<AppEnv>();
callRoutes.use(requireSession);

function callSession(c: Ctx) {
  const sid = c.req.param("sid") ?? "";
  if (!CALL_SID_PATTERN.test(sid)) throw new HttpError(400, "the call id must be the parent CallSid (CA + 32 hex digits)");
  return { sid, stub: c.env.CALLS.getByName(sid) };
}

/** Twilio refused to move the call; the call session undid the step, so nothing changed. */
const CARRIER_REFUSED = "the phone carrier refused to move the call; nothing changed, try again";

function unexpected(): never {
  throw new HttpError(500, "unexpected call session reply");
}

/**
 * The other call the signed-in agent holds, if any. One call at a time, for claims and retrieves: a
 * Device already on a call drops new invites anyway (twilio-facts.md).
 */
function otherCallHeld(c: Ctx, sid: string, event: string): string | null {
  const holding = c.var.agent.currentCallSid;
  if (!holding || holding === sid) return null;
  log(event, { callSid: sid, agentId: c.var.agent.id, status: 409, reason: "agent_busy", holding });
  return holding;
}

callRoutes.post("/:sid/claim", async (c) => {
  await noBody(c);
  const { sid, stub } = callSession(c);
  const agentId = c.var.agent.id;
  const busyWith = otherCallHeld(c, sid, "api.claim");
  if (busyWith) return c.json({ claimed: false, claimedBy: null, busyWith } satisfies ClaimResponse, 409);
  const reply: Reply = await stub.claim(sid, agentId);
  if (reply.kind !== "claim") unexpected();
  log("api.claim", { callSid: sid, agentId, status: reply.status, claimedBy: reply.claimedBy });
  switch (reply.status) {
    case 200:
      return c.json({ claimed: true } satisfies ClaimResponse);
    case 409:
      return c.json({ claimed: false, claimedBy: reply.claimedBy } satisfies ClaimResponse, 409);
    case 403:
      throw new HttpError(403, "this call is not ringing for you (never rung, declined, or your leg ended)");
    case 404:
      throw new HttpError(404, `no call ${sid}`);
    case 410:
      throw new HttpError(410, "this call has ended or gone to voicemail");
  }
});

callRoutes.post("/:sid/decline", async (c) => {
  await noBody(c);
  const { sid, stub } = callSession(c);
  const agentId = c.var.agent.id;
  const reply: Reply = await stub.decline(sid, agentId);
  if (reply.kind !== "decline") unexpected();
  log("api.decline", { callSid: sid, agentId, status: reply.status });
  switch (reply.status) {
    case 200:
      return c.json({ declined: true });
    case 403:
      throw new HttpError(403, "this call is not ringing for you");
    case 404:
      throw new HttpError(404, `no call ${sid}`);
    case 409:
      throw new HttpError(409, "this call is already connected");
    case 410:
      throw new HttpError(410, "this call has ended or gone to voicemail");
  }
});

callRoutes.post("/:sid/park", async (c) => {
  await noBody(c);
  const { sid, stub } = callSession(c);
  const agentId = c.var.agent.id;
  const reply: Reply = await stub.park(sid, agentId);
  if (reply.kind !== "park") unexpected();
  log("api.park", { callSid: sid, agentId, status: reply.status, slot: reply.lot?.slot ?? null });
  switch (reply.status) {
    case 200:
      return c.json({ parked: true, slot: reply.lot!.slot, returnsAt: reply.lot!.returnsAt! } satisfies ParkResponse);
    case 409:
      throw new HttpError(409, `the parking lot is full (${c.var.config.parkSlots} slots): the call stays with you`);
    case 403:
      throw new HttpError(403, "only the agent connected to this call can park it");
    case 404:
      throw new HttpError(404, `no call ${sid}`);
    case 410:
      throw new HttpError(410, "this call has ended");
    case 502:
      throw new HttpError(502, CARRIER_REFUSED);
  }
});

callRoutes.post("/:sid/retrieve", async (c) => {
  await noBody(c);
  const { sid, stub } = callSession(c);
  const agentId = c.var.agent.id;
  const busyWith = otherCallHeld(c, sid, "api.retrieve");
  if (busyWith) return c.json({ retrieved: false, retrievedBy: null, busyWith } satisfies RetrieveResponse, 409);
  const reply: Reply = await stub.retrieve(sid, agentId);
  if (reply.kind !== "retrieve") unexpected();
  log("api.retrieve", { callSid: sid, agentId, status: reply.status, retrievedBy: reply.retrievedBy });
  switch (reply.status) {
    case 200:
      return c.json({ retrieved: true } satisfies RetrieveResponse);
    case 409:
      return c.json({ retrieved: false, retrievedBy: reply.retrievedBy } satisfies RetrieveResponse, 409);
    case 404:
      throw new HttpError(404, `no call ${sid}`);
    case 410:
      throw new HttpError(410, "this call has ended or gone to voicemail");
    case 502:
      throw new HttpError(502, CARRIER_REFUSED);
  }
});

const transferBody = z.strictObject({ to: z.string().regex(AGENT_ID_PATTERN, "must be an agent id") });

callRoutes.post("/:sid/transfer", async (c) => {
  const { to } = await jsonBody(c, transferBody);
  const { sid, stub } = callSession(c);
  const agentId = c.var.agent.id;
  if (to === agentId) throw new HttpError(400, "you cannot transfer a call to yourself");
  const target = await getAgent(c.var.db, to);
  if (!target) throw new HttpError(404, `no agent ${to}`);
  // Only someone who can answer right now: a transfer to an absent colleague would only ring out.
  if (!(await ringableAgents(c.env, c.var.db)).includes(to)) {
    throw new HttpError(409, `${target.name} cannot take a call now (offline, unavailable or on a call)`);
  }
  const reply: Reply = await stub.transfer(sid, agentId, to);
  if (reply.kind !== "transfer" && reply.kind !== "park") unexpected();
  log("api.transfer", { callSid: sid, agentId, to, status: reply.status });
  switch (reply.status) {
    case 200:
      return c.json({ transferring: true, to } satisfies TransferResponse);
    case 403:
      throw new HttpError(403, "only the agent connected to this call can transfer it");
    case 404:
      throw new HttpError(404, `no call ${sid}`);
    case 409:
      throw new HttpError(409, "the call could not be transferred now");
    case 410:
      throw new HttpError(410, "this call has ended");
    case 502:
      throw new HttpError(502, CARRIER_REFUSED);
  }
});

callRoutes.get("/:sid", async (c) => {
  const { sid, stub } = callSession(c);
  const call = await stub.view();
  if (!call) throw new HttpError(404, `no call ${sid}`);
  return c.json({ call });
});
