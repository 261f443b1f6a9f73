/**
 * The footer line: the search prompt while typing one, the down confirmation, a notice
 * (`Gracefully stopping...`), else the main keys.
 */
import { truncate } from "../ansi.js";
import { FOOTER_KEYS } from "../keymap.js";
import type { Theme } from "../theme.js";
import type { ViewState } from "../view.js";
import { Lines } from "./Lines.js";

export interface FooterInput {
  readonly view: Pick<ViewState, "search" | "overlay">;
  readonly notice: string | undefined;
  readonly width: number;
  readonly theme: Theme;
}

export function footerLine(input: FooterInput): string {
  const { view, theme } = input;
  if (view.search.editing)
    return truncate(` /${view.search.draft}█  ${theme.dim("enter find · esc cancel")}`, input.width);
  if (view.overlay === "confirm-down") {
    return truncate(
      ` ${theme.tone("warn", "Down: stop and remove the stack's containers and networks?")} ${theme.bold("y")}/n`,
      input.width,
    );
  }
  if (input.notice !== undefined) return truncate(` ${theme.tone("warn", input.notice)}`, input.width);
  return truncate(` ${theme.dim(FOOTER_KEYS.join(" · "))}`, input.width);
}

export function Footer(props: FooterInput) {
  return <Lines lines={[footerLine(props)]} height={1} width={props.width} />;
}
