// js-yaml exports its built-in scalar types at run time (`types`), but @types/js-yaml does not declare them.
import type { Type } from "js-yaml";

declare module "js-yaml" {
  export const types: {
    readonly null: Type;
    readonly bool: Type;
    readonly int: Type;
    readonly float: Type;
    readonly merge: Type;
  };
}
