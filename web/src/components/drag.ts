// Drag-and-drop of calls with the platform's own HTML drag events: my connected call onto the parking
// lot (park) or a free colleague's card (transfer), a parked call onto my own card (retrieve). The
// board decides what a drop means (dropAction); this only wires the events.
import { createSignal } from "solid-js";
import { CALL_DRAG_TYPE, type CallDrag, dropAction, type DropAction, type DropTarget, parseCallDrag } from "../board";
import type { ConsoleStore } from "../store";

export function startDrag(c: ConsoleStore, dt: DataTransfer, drag: CallDrag): void {
  dt.setData(CALL_DRAG_TYPE, JSON.stringify(drag));
  dt.setData("text/plain", drag.callSid);
  dt.effectAllowed = "move";
  c.setDragging(drag);
}

/**
 * Where a dragged call may land. The drag's data can only be read on drop, so while dragging the
 * console's own record of what is dragged decides; the drop itself reads the data and asks the
 * board again, since the board may have changed in between.
 */
export function useDropTarget(c: ConsoleStore, target: () => DropTarget) {
  const [depth, setDepth] = createSignal(0);
  const actionFor = (raw?: string): DropAction | null => {
    const drag = parseCallDrag(raw) ?? c.dragging();
    return drag ? dropAction(c.board, c.me.id, drag, target()) : null;
  };
  const accepts = () => c.dragging() !== null && actionFor() !== null;
  const ours = (e: DragEvent) => !!e.dataTransfer?.types.includes(CALL_DRAG_TYPE);
  return {
    accepts,
    over: () => depth() > 0 && accepts(),
    handlers: {
      onDragEnter: (e: DragEvent) => {
        if (!ours(e) || !accepts()) return;
        e.preventDefault();
        setDepth((d) => d + 1);
      },
      onDragOver: (e: DragEvent) => {
        if (!ours(e) || !accepts()) return;
        // Cancelling dragover is what makes an element a drop target (HTML drag-and-drop model).
        e.preventDefault();
        e.dataTransfer!.dropEffect = "move";
      },
      onDragLeave: (e: DragEvent) => {
        if (ours(e)) setDepth((d) => Math.max(0, d - 1));
      },
      onDrop: (e: DragEvent) => {
        setDepth(0);
        if (!ours(e)) return;
        e.preventDefault();
        const action = actionFor(e.dataTransfer?.getData(CALL_DRAG_TYPE));
        c.setDragging(null);
        if (action) c.perform(action);
      },
    },
  };
}
