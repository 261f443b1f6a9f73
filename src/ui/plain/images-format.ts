/**
 * `images` as `docker compose images` prints it: a table (CONTAINER REPOSITORY TAG PLATFORM IMAGE
 * ID SIZE CREATED, Compose's 20/3 tabwriter, sorted by container), a JSON array with Compose's field
 * names, or (`-q`) each image ID once, without its `sha256:`.
 */
import { humanDuration } from "../../runtime/status-text.js";
import { tabwriteRows } from "./tabwriter.js";
import { humanSize } from "./units.js";

export interface ContainerImage {
  readonly container: string;
  readonly id: string;
  /** Empty when the container was made from an image ID. */
  readonly repository: string;
  readonly tag: string;
  readonly platform: string;
  readonly size: number;
  readonly created: Date;
}

export const COMPOSE_TABLE = { minWidth: 20, padding: 3 } as const;

const byContainer = (a: ContainerImage, b: ContainerImage): number =>
  a.container < b.container ? -1 : a.container > b.container ? 1 : 0;

export function imagesTable(images: readonly ContainerImage[], now: Date): string {
  const rows = [...images]
    .sort(byContainer)
    .map((i) => [
      i.container,
      i.repository || "<none>",
      i.tag || "<none>",
      i.platform,
      shortId(i.id),
      humanSize(i.size),
      `${humanDuration(now.getTime() - i.created.getTime())} ago`,
    ]);
  return tabwriteRows(
    [["CONTAINER", "REPOSITORY", "TAG", "PLATFORM", "IMAGE ID", "SIZE", "CREATED"], ...rows],
    COMPOSE_TABLE,
  );
}

export function imagesJson(images: readonly ContainerImage[]): string {
  const list = [...images].sort(byContainer).map((i) => ({
    ID: i.id,
    ContainerName: i.container,
    Repository: i.repository,
    Tag: i.tag,
    Platform: i.platform,
    Size: i.size,
    Created: i.created.toISOString(),
  }));
  return `${JSON.stringify(list)}\n`;
}

export function imagesQuiet(images: readonly ContainerImage[]): string {
  const ids = [...new Set(images.map((i) => i.id.replace(/^[^:]*:/, "")))];
  return ids.map((id) => `${id}\n`).join("");
}

/** `stringid.TruncateID`: 12 hex digits, without the algorithm. */
export function shortId(id: string): string {
  return id.replace(/^[^:]*:/, "").slice(0, 12);
}
