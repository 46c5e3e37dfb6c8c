// Builds ConnectWise `conditions` expressions from values, never by pasting user text:
// strings are quoted and escaped, field names are checked, numbers and booleans are typed.

export type ConditionValue = string | number | boolean | null;

const FIELD = /^[A-Za-z_][A-Za-z0-9_]*(\/[A-Za-z_][A-Za-z0-9_]*)*$/;

export function field(name: string): string {
  if (!FIELD.test(name)) throw new Error(`"${name}" is not a valid conditions field path`);
  return name;
}

export function literal(value: ConditionValue): string {
  if (value === null) return "null";
  if (typeof value === "boolean") return value ? "true" : "false";
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new Error(`conditions value ${value} is not a finite number`);
    return String(value);
  }
  return `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

export function eq(name: string, value: ConditionValue): string {
  return `${field(name)}=${literal(value)}`;
}

export function ne(name: string, value: ConditionValue): string {
  return `${field(name)}!=${literal(value)}`;
}

export function inList(name: string, values: ConditionValue[]): string {
  if (values.length === 0) throw new Error(`an "in" condition on ${name} needs at least one value`);
  return `${field(name)} in (${values.map(literal).join(", ")})`;
}

export function and(...parts: string[]): string {
  return parts.map((p) => `(${p})`).join(" and ");
}

export function or(...parts: string[]): string {
  return parts.map((p) => `(${p})`).join(" or ");
}
