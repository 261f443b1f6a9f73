/**
 * Vitest global setup: tests import src/ directly, and src/project/validate.ts imports the
 * generated (gitignored) schema validator. Regenerate it when it is missing or older than its
 * inputs, so `npx vitest run <file>` works without `npm run build` first.
 */
import { execFileSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const output = `${root}src/project/schema/compose-validator.generated.js`;
const inputs = [`${root}schemas/compose-spec.json`, `${root}scripts/build-validator.mjs`];

export default function setup(): void {
  const built = existsSync(output) ? statSync(output).mtimeMs : 0;
  if (inputs.every((input) => statSync(input).mtimeMs <= built)) return;
  execFileSync(process.execPath, [`${root}scripts/build-validator.mjs`], { stdio: "inherit" });
}
