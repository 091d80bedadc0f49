// A simulator-mode server answers only for its own host names. DNS rebinding: a page on
// attacker.example whose name the attacker re-points at 127.0.0.1 reaches a local server from the
// victim's browser as if same-origin with the attacker's page, and could place calls through the open
// /sim/* routes or read the API. The browser still sends `Host: attacker.example`, which this refuses.
import type { MiddlewareHandler } from "hono";
import type { Config } from "./config";
import type { AppEnv } from "./http";
import { log } from "./log";

const LOCAL_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** The host name of a URL or a Host header value ("example.test:8787"), lowercased; null if it is not one. */
export function hostnameOf(hostOrUrl: string): string | null {
  try {
    return new URL(hostOrUrl.includes("://") ? hostOrUrl : `http://${hostOrUrl}`).hostname.toLowerCase();
  } catch {
    return null;
  }
}

/** Host names a simulator-mode server answers for: loopback, PUBLIC_URL's host and ALLOWED_HOSTS. */
export function isOwnHost(config: Pick<Config, "publicUrl" | "allowedHosts">, hostname: string): boolean {
  if (LOCAL_HOSTS.has(hostname)) return true;
  if (config.publicUrl && hostnameOf(config.publicUrl) === hostname) return true;
  return config.allowedHosts.includes(hostname);
}

/**
 * 421 Misdirected Request (RFC 9110 §15.5.20: "unable or unwilling to produce an authoritative response
 * for the target URI") rather than 403: nothing about the client is refused, only the name it used.
 * Both the URL's host and the Host header must be ours (a proxy in front may rewrite either).
 */
export const hostGuard: MiddlewareHandler<AppEnv> = async (c, next) => {
  const config = c.var.config;
  if (config.carrier !== "simulator") return next();
  const header = c.req.header("Host");
  const names = [new URL(c.req.url).hostname.toLowerCase(), ...(header === undefined ? [] : [hostnameOf(header)])];
  const stranger = names.find((h) => h === null || !isOwnHost(config, h));
  if (stranger === undefined) return next();
  const shown = (stranger ?? header ?? "").slice(0, 100);
  log("http.foreign_host", { host: shown, path: c.req.path }, "warn");
  return c.json(
    { error: `this simulator-mode server answers only for localhost and PUBLIC_URL's host, not "${shown}": list extra host names in ALLOWED_HOSTS` },
    421,
  );
};
