import { Hono } from "hono";
import AccessToken from "twilio/lib/jwt/AccessToken.js";
import { type AppEnv, HttpError } from "../http";
import { log } from "../log";
import { requireSession } from "./middleware";

export const voiceTokenRoutes = new Hono<AppEnv>();

const TOKEN_TTL_SECONDS = 3600;

voiceTokenRoutes.get("/voice-token", requireSession, (c) => {
  const env = c.env;
  if (!c.var.config.twilioMode) throw new HttpError(409, "no Twilio account is configured: the console uses the built-in simulator");
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
