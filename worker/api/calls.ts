import { Hono } from "hono";
import { z } from "zod";
import { getAgent } from "../db/agents";
import { callNote, recordedAnswerer, saveCallNote } from "../db/callNotes";
import { CALL_OUTCOMES_LIST, getSettingList } from "../db/settingLists";
import { type AppEnv, type Ctx, HttpError, jsonBody } from "../http";
import { log } from "../log";
import {
  AGENT_ID_PATTERN,
  CALL_NOTE_MAX_LENGTH,
  CALL_SID_PATTERN,
  type ClaimResponse,
  type ParkResponse,
  type RetrieveResponse,
  type TransferResponse,
} from "../protocol";
import { switchboard } from "../switchboard/stub";
import { noBody, requireSession } from "./middleware";

// Thin: each route asks the call session, whose machine holds every rule (who may take, decline,
// park, retrieve or transfer a call), and says its answer in HTTP.
export const callRoutes = new Hono<AppEnv>();
callRoutes.use(requireSession);

function callSession(c: Ctx) {
  const sid = c.req.param("sid") ?? "";
  if (!CALL_SID_PATTERN.test(sid)) throw new HttpError(400, "the call id must be the caller's CallSid (CA + 32 hex digits)");
  return { sid, stub: c.env.CALLS.getByName(sid) };
}

/** A refusal from the call session, with its reason in words. */
function refused(reply: { status: number; why: string | null }): never {
  throw new HttpError(reply.status as 403 | 404 | 409 | 410 | 502 | 503, reply.why ?? "refused");
}

callRoutes.post("/:sid/claim", async (c) => {
  await noBody(c);
  const { sid, stub } = callSession(c);
  const agentId = c.var.agent.id;
  const reply = await stub.claim(agentId);
  log("api.claim", { callSid: sid, agentId, status: reply.status, ...("claimedBy" in reply ? { claimedBy: reply.claimedBy, busyWith: reply.busyWith } : {}) });
  if (reply.status === 200) return c.json({ claimed: true, ticket: reply.ticket, expiresAt: reply.expiresAt } satisfies ClaimResponse);
  if (reply.status === 409) {
    const body: ClaimResponse = { claimed: false, claimedBy: reply.claimedBy, ...(reply.busyWith ? { busyWith: reply.busyWith } : {}) };
    return c.json(body, 409);
  }
  refused(reply);
});

callRoutes.post("/:sid/decline", async (c) => {
  await noBody(c);
  const { sid, stub } = callSession(c);
  const reply = await stub.decline(c.var.agent.id);
  log("api.decline", { callSid: sid, agentId: c.var.agent.id, status: reply.status });
  if (reply.status === 200) return c.json({ declined: true });
  refused(reply);
});

const releaseBody = z.strictObject({ reason: z.string().trim().min(1).max(300) });

// The claim's winner could not connect (microphone refused, network, a refused join): the call rings
// the others again at once rather than after the lease.
callRoutes.post("/:sid/release", async (c) => {
  const { reason } = await jsonBody(c, releaseBody);
  const { sid, stub } = callSession(c);
  const reply = await stub.release(c.var.agent.id, reason);
  log("api.release", { callSid: sid, agentId: c.var.agent.id, status: reply.status, reason });
  if (reply.status === 200) return c.json({ released: true });
  refused(reply);
});

callRoutes.post("/:sid/hangup", async (c) => {
  await noBody(c);
  const { sid, stub } = callSession(c);
  const reply = await stub.hangup(c.var.agent.id);
  log("api.hangup", { callSid: sid, agentId: c.var.agent.id, status: reply.status });
  if (reply.status === 200) return c.json({ ended: true });
  refused(reply);
});

callRoutes.post("/:sid/park", async (c) => {
  await noBody(c);
  const { sid, stub } = callSession(c);
  const reply = await stub.park(c.var.agent.id);
  log("api.park", { callSid: sid, agentId: c.var.agent.id, status: reply.status, slot: "lot" in reply ? reply.lot.slot : null });
  if ("lot" in reply) return c.json({ parked: true, slot: reply.lot.slot, returnsAt: reply.lot.returnsAt! } satisfies ParkResponse);
  refused(reply);
});

callRoutes.post("/:sid/retrieve", async (c) => {
  await noBody(c);
  const { sid, stub } = callSession(c);
  const reply = await stub.retrieve(c.var.agent.id);
  log("api.retrieve", { callSid: sid, agentId: c.var.agent.id, status: reply.status, ...("retrievedBy" in reply ? { retrievedBy: reply.retrievedBy } : {}) });
  if (reply.status === 200) return c.json({ retrieved: true, ticket: reply.ticket, expiresAt: reply.expiresAt } satisfies RetrieveResponse);
  if (reply.status === 409) {
    const body: RetrieveResponse = { retrieved: false, retrievedBy: reply.retrievedBy, ...(reply.busyWith ? { busyWith: reply.busyWith } : {}) };
    return c.json(body, 409);
  }
  refused(reply);
});

const transferBody = z.strictObject({ to: z.string().regex(AGENT_ID_PATTERN, "must be an agent id") });

callRoutes.post("/:sid/transfer", async (c) => {
  const { to } = await jsonBody(c, transferBody);
  const { sid, stub } = callSession(c);
  if (!(await getAgent(c.var.db, to))) throw new HttpError(404, `no agent ${to}`);
  const reply = await stub.transfer(c.var.agent.id, to);
  log("api.transfer", { callSid: sid, agentId: c.var.agent.id, to, status: reply.status });
  if (reply.status === 200) return c.json({ transferring: true, to } satisfies TransferResponse);
  refused(reply);
});

callRoutes.get("/:sid", async (c) => {
  const { sid, stub } = callSession(c);
  // The switchboard's copy carries the ringing count; an ended call is the call session's alone.
  const call = (await switchboard(c.env).liveCall(sid)) ?? (await stub.view());
  if (!call) throw new HttpError(404, `no call ${sid}`);
  return c.json({ call });
});

const noteBody = z.strictObject({ note: z.string().max(CALL_NOTE_MAX_LENGTH), outcome: z.string().nullable() });

// The answering agent's note and outcome, during or after the call. The agent who answered it may
// write it (D1's row, or the call session's view while D1 lags behind); once written, only its author.
callRoutes.put("/:sid/note", async (c) => {
  const { note, outcome } = await jsonBody(c, noteBody);
  const { sid, stub } = callSession(c);
  const me = c.var.agent.id;
  const db = c.var.db;
  const [existing, recorded, live] = await Promise.all([callNote(db, sid), recordedAnswerer(db, sid), stub.view()]);
  if (!existing && !recorded && !live) throw new HttpError(404, `no call ${sid}`);
  if (existing ? existing.authorId !== me : (live?.answeredBy ?? recorded?.answeredBy ?? null) !== me) {
    throw new HttpError(403, existing ? "only the agent who wrote this note may edit it" : "only the agent who answered this call may write its note");
  }
  if (outcome !== null && !(await getSettingList(db, CALL_OUTCOMES_LIST)).includes(outcome)) throw new HttpError(400, `"${outcome}" is not one of the call outcomes`);
  const saved = await saveCallNote(db, sid, me, note, outcome, Date.now());
  if (!saved) throw new HttpError(403, "only the agent who wrote this note may edit it");
  await switchboard(c.env).publish([{ type: "call.noted", callSid: sid, note: saved }]);
  log("api.call_noted", { callSid: sid, agentId: me, outcome, length: note.length });
  return c.json({ note: saved });
});
