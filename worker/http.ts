import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { z } from "zod";
import type { Config } from "./config";
import type { AgentRow } from "./db/agents";
import type { Db } from "./db/client";
import type { Env } from "./env";
import type { ApiError } from "./protocol";
import type { TwilioParams } from "./twilio/signature";

export type AppEnv = {
  Bindings: Env;
  Variables: { config: Config; db: Db; agent: AgentRow; sessionHash: string; sessionExpiresAt: number; twilio: TwilioParams };
};
export type Ctx = Context<AppEnv>;

export class HttpError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    message: string,
    readonly details?: string[],
  ) {
    super(message);
  }
}

export function errorBody(e: HttpError): ApiError {
  return e.details ? { error: e.message, details: e.details } : { error: e.message };
}

function describe(error: z.ZodError): string[] {
  return error.issues.map((i) => {
    const where = i.path.length ? i.path.join(".") : "body";
    if (i.code === "unrecognized_keys") return `${where}: unknown field(s) ${i.keys.join(", ")}`;
    return `${where}: ${i.message}`;
  });
}

/** Parses a JSON body against a strict schema; anything else is a 400 that says what is wrong. */
export async function jsonBody<T extends z.ZodType>(c: Ctx, schema: T): Promise<z.infer<T>> {
  const type = c.req.header("content-type") ?? "";
  if (!type.toLowerCase().startsWith("application/json")) throw new HttpError(415, "send a JSON body with Content-Type: application/json");
  let raw: unknown;
  try {
    raw = JSON.parse(await c.req.text());
  } catch {
    throw new HttpError(400, "the body is not valid JSON");
  }
  return validate(schema, raw, "invalid request body");
}

export function validate<T extends z.ZodType>(schema: T, raw: unknown, message: string): z.infer<T> {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new HttpError(400, message, describe(parsed.error));
  return parsed.data;
}
