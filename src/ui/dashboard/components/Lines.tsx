/**
 * A block of ready-made lines (each already fitted to the width and styled): one Ink Text for the
 * whole block, in a box of fixed height, so a pane costs one node to lay out however many lines
 * it holds. The box does not clip (`overflow="hidden"` would make Ink re-slice every line of every
 * frame, a fifth of its time under load): the lines are cut to the width and counted already.
 */
import { Box, Text } from "ink";

export interface LinesProps {
  readonly lines: readonly string[];
  readonly height: number;
  readonly width: number;
}

export function Lines({ lines, height, width }: LinesProps) {
  const shown = lines.slice(0, height);
  while (shown.length < height) shown.push("");
  return (
    <Box height={height} width={width} flexShrink={0}>
      <Text>{shown.map((line) => (line === "" ? " " : line)).join("\n")}</Text>
    </Box>
  );
}
