// Files dropped on the window. The Rust side hears the drop from the window itself, grants the
// files and hands their paths over as `files-dropped`; the webview's own drag events only drive
// the hover highlight.
import { listen } from "@tauri-apps/api/event";
import { getCurrentWebview } from "@tauri-apps/api/webview";

export interface DropHandlers {
  onHover: (hovering: boolean) => void;
  onDrop: (paths: string[]) => void;
}

/** Listens for files dragged over and dropped on the window; resolves to the unlisten function. */
export async function onFilesDropped(handlers: DropHandlers): Promise<() => void> {
  const unlistenHover = await getCurrentWebview().onDragDropEvent((event) => {
    handlers.onHover(event.payload.type === "enter" || event.payload.type === "over");
  });
  try {
    const unlistenDrop = await listen<string[]>("files-dropped", (event) => {
      if (event.payload.length > 0) handlers.onDrop(event.payload);
    });
    return () => {
      unlistenHover();
      unlistenDrop();
    };
  } catch (err) {
    unlistenHover();
    throw err;
  }
}
