import { Hono } from "hono";
import AccessToken from "twilio/lib/jwt/AccessToken.js";
import { type AppEnv, HttpError } from "../http";
import { log } from "../log";
import { requireSession } from "./middleware";

export const voiceTokenRoutes = new Hono<AppEnv>();

/**
 * Ten minutes. A voice token cannot be revoked at Twilio: it lets whoever holds it register a Device
 * as this agent until it expires, whatever happens to the session. Short, it outlives a sign-out, a
 * new password or a disabled agent by at most that long; the console renews it before it lapses
 * (Device "tokenWillExpire", web/src/phone/twilio.ts), which needs a live session, so a revoked one
 * gets no new token. One request per console every ten minutes costs nothing worth counting.
 */
export const TOKEN_TTL_SECONDS = 600;

voiceTokenRoutes.get("/voice-token", requireSession, (c) => {
  const env = c.env;
  const { carrier, carrierError } = c.var.config;
  if (!carrier) throw new HttpError(503, carrierError ?? "not configured");
  if (carrier === "simulator") throw new HttpError(409, "CARRIER is \"simulator\": the console uses the built-in simulator's phone");
  // The TwiML App is the only way a phone reaches a caller (its Voice URL is /twilio/connect).
  if (!env.TWILIO_ACCOUNT_SID || !env.TWILIO_API_KEY_SID || !env.TWILIO_API_KEY_SECRET || !env.TWILIO_TWIML_APP_SID) {
    log("voice_token.misconfigured", { agentId: c.var.agent.id }, "error");
    throw new HttpError(503, "TWILIO_API_KEY_SID, TWILIO_API_KEY_SECRET and TWILIO_TWIML_APP_SID must be set to issue voice tokens");
  }
  const token = new AccessToken(env.TWILIO_ACCOUNT_SID, env.TWILIO_API_KEY_SID, env.TWILIO_API_KEY_SECRET, {
    identity: c.var.agent.id,
    ttl: TOKEN_TTL_SECONDS,
  });
  token.addGrant(new AccessToken.VoiceGrant({ incomingAllow: true, outgoingApplicationSid: env.TWILIO_TWIML_APP_SID }));
  return c.json({ token: token.toJwt(), identity: c.var.agent.id, ttlSeconds: TOKEN_TTL_SECONDS });
});
