// What the console does when the switchboard closes its socket: the close code decides.
import { describe, expect, it } from "vitest";
import { CLOSE, SESSION_ENDS } from "../../worker/protocol";
import { afterClose } from "../../web/src/closeReasons";

describe("afterClose: the console's answer to a close code", () => {
  it("shows the sign-in page, saying why, for every way a session ends", () => {
    const said = SESSION_ENDS.map((end) => afterClose(CLOSE[end].code));
    for (const v of said) expect(v.kind).toBe("signed-out");
    // Each says its own reason.
    expect(new Set(said.map((v) => v.notice)).size).toBe(SESSION_ENDS.length);
    expect(afterClose(CLOSE.session_expired.code).notice).toMatch(/expired/);
    expect(afterClose(CLOSE.agent_disabled.code).notice).toMatch(/disabled/);
  });

  it("stays closed, without reconnecting, when a newer console of the agent took over", () => {
    expect(afterClose(CLOSE.tooManyConsoles.code)).toMatchObject({ kind: "displaced" });
  });

  it("reconnects after a network drop, a deploy, a missed ping or a refused frame", () => {
    for (const code of [1000, 1001, 1006, 1011, CLOSE.noPing.code]) expect(afterClose(code)).toEqual({ kind: "reconnect", notice: null });
    expect(afterClose(CLOSE.frameTooLarge.code)).toMatchObject({ kind: "reconnect", notice: expect.stringMatching(/refused/) });
  });
});
