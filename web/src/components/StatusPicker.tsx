import { For, onMount } from "solid-js";
import type { AgentView } from "../../../worker/protocol";
import { statusOptions, statusRequest, statusValue } from "../status";
import type { ConsoleStore } from "../store";

/** My own card's status: Available, or Away with a reason from the admin's list. */
export function StatusPicker(props: { agent: AgentView; console: ConsoleStore }) {
  const c = props.console;
  onMount(() => void c.loadAwayReasons());
  const pick = (value: string) => {
    const req = statusRequest(value);
    void ("status" in req ? c.setStatus(req) : c.setAvailable(false));
  };
  return (
    <label class="toggle status-picker">
      Status{" "}
      <select data-testid="status-picker" value={statusValue(props.agent)} onChange={(e) => pick(e.currentTarget.value)}>
        <For each={statusOptions(props.agent, c.awayReasons())}>
          {(o) => (
            <option value={o.value} disabled={o.disabled} selected={o.value === statusValue(props.agent)}>
              {o.label}
            </option>
          )}
        </For>
      </select>
    </label>
  );
}

