/**
 * `berth images [SERVICE…]`: the image each container of the project uses (stopped and one-off
 * containers too), as `docker compose images` lists them.
 */
import { PROJECT_LABEL, SERVICE_LABEL } from "../../engine/labels.js";
import { EngineError } from "../../engine/errors.js";
import { parseReference } from "../../runtime/docker/reference.js";
import { type ContainerImage, imagesJson, imagesQuiet, imagesTable } from "../../ui/plain/images-format.js";
import type { GlobalOptions } from "../global-options.js";
import type { ImagesFlags } from "../options/flags.js";
import { loadOrName } from "../load-for-cli.js";
import { withRuntime } from "../runtime-for-cli.js";

export async function runImages(
  globals: GlobalOptions,
  services: string[],
  flags: ImagesFlags,
): Promise<number> {
  const target = await loadOrName(globals, services);
  const images = await withRuntime({ ...globals, project: target.name }, async (runtime) => {
    const listed = await runtime.containers.list({ labels: [`${PROJECT_LABEL}=${target.name}`], all: true });
    const wanted = listed.filter(
      (c) => services.length === 0 || services.includes(c.labels[SERVICE_LABEL] ?? ""),
    );
    return Promise.all(
      wanted.map(async (c): Promise<ContainerImage> => {
        const image = await runtime.images.inspect(c.image);
        if (image === undefined) throw new EngineError(`image ${c.image} of container ${c.name} not found`);
        return {
          container: c.name,
          id: image.id,
          ...familiar(c.image),
          platform: image.platform ?? "unknown",
          size: image.size,
          created: image.created,
        };
      }),
    );
  });
  if (flags.quiet === true) process.stdout.write(imagesQuiet(images));
  else if (flags.format === "json") process.stdout.write(imagesJson(images));
  else process.stdout.write(imagesTable(images, new Date()));
  return 0;
}

/** `reference.FamiliarName` and the tag of a reference (`latest` when none); nothing for an image ID. */
function familiar(image: string): { repository: string; tag: string } {
  if (/^(sha256:)?[0-9a-f]{64}$/.test(image)) return { repository: "", tag: "" };
  const ref = parseReference(image);
  const repository = ref.repository.replace(/^docker\.io\/(library\/)?/, "");
  return { repository, tag: ref.tag ?? (ref.digest === undefined ? "latest" : "") };
}
