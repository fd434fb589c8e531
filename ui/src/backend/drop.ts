// Files dropped on the window arrive as a webview event with their paths.
import { getCurrentWebview } from "@tauri-apps/api/webview";

export interface DropHandlers {
  onHover: (hovering: boolean) => void;
  onDrop: (paths: string[]) => void;
}

/** Listens for files dragged over and dropped on the window; resolves to the unlisten function. */
export async function onFilesDropped(handlers: DropHandlers): Promise<() => void> {
  return getCurrentWebview().onDragDropEvent((event) => {
    const p = event.payload;
    if (p.type === "enter" || p.type === "over") handlers.onHover(true);
    else if (p.type === "leave") handlers.onHover(false);
    else {
      handlers.onHover(false);
      if (p.paths.length > 0) handlers.onDrop(p.paths);
    }
  });
}
