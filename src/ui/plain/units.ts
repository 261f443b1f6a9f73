/**
 * Sizes as Docker's go-units prints them: `HumanSizeWithPrecision` (decimal, `kB`/`MB`) for image
 * sizes and I/O, `BytesSize` (binary, `KiB`/`MiB`) for memory. Both go through Go's `%g`, whose
 * shortest form drops trailing zeros and switches to an exponent past the precision.
 */
const DECIMAL = ["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"] as const;
const BINARY = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"] as const;

/** Go's `%.<precision>g`. */
export function goG(value: number, precision: number): string {
  if (value === 0) return "0";
  const rounded = Number(value.toPrecision(precision));
  const exponent = Math.floor(Math.log10(Math.abs(rounded)));
  if (exponent < -4 || exponent >= precision) {
    const [mantissa = "0", exp = "0"] = rounded.toExponential(precision - 1).split("e");
    const trimmed = mantissa.includes(".") ? mantissa.replace(/\.?0+$/, "") : mantissa;
    const n = Number(exp);
    return `${trimmed}e${n < 0 ? "-" : "+"}${String(Math.abs(n)).padStart(2, "0")}`;
  }
  return String(rounded);
}

function scaled(size: number, base: number, units: readonly string[], precision: number): string {
  let i = 0;
  while (size >= base && i < units.length - 1) {
    size /= base;
    i++;
  }
  return `${goG(size, precision)}${units[i] ?? ""}`;
}

/** `units.HumanSizeWithPrecision(size, 3)`: `1.23MB`. */
export function humanSize(bytes: number, precision = 3): string {
  return scaled(bytes, 1000, DECIMAL, precision);
}

/** `units.BytesSize(size)`: `1.5MiB` (precision 4). */
export function bytesSize(bytes: number): string {
  return scaled(bytes, 1024, BINARY, 4);
}
