import { Hono } from "hono";
import { type AppEnv, type Ctx, HttpError } from "../http";
import { log } from "../log";
import { CALL_SID_PATTERN, type ClaimResponse } from "../protocol";
import { noBody, requireSession } from "./middleware";

export const callRoutes = new Hono<AppEnv>();
callRoutes.use(requireSession);

function callSession(c: Ctx) {
  const sid = c.req.param("sid") ?? "";
  if (!CALL_SID_PATTERN.test(sid)) throw new HttpError(400, "the call id must be the parent CallSid (CA + 32 hex digits)");
  return { sid, stub: c.env.CALLS.getByName(sid) };
}

callRoutes.post("/:sid/claim", async (c) => {
  await noBody(c);
  const { sid, stub } = callSession(c);
  const agentId = c.var.agent.id;
  const holding = c.var.agent.currentCallSid;
  // One call at a time: a Device already on a call drops new invites anyway (twilio-facts.md).
  if (holding && holding !== sid) {
    log("api.claim", { callSid: sid, agentId, status: 409, reason: "agent_busy", holding });
    return c.json({ claimed: false, claimedBy: null, busyWith: holding }, 409);
  }
  const reply = await stub.claim(sid, agentId);
  if (reply.kind !== "claim") throw new HttpError(500, "unexpected call session reply");
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
  const reply = await stub.decline(sid, agentId);
  if (reply.kind !== "decline") throw new HttpError(500, "unexpected call session reply");
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

callRoutes.get("/:sid", async (c) => {
  const { sid, stub } = callSession(c);
  const call = await stub.view();
  if (!call) throw new HttpError(404, `no call ${sid}`);
  return c.json({ call });
});
