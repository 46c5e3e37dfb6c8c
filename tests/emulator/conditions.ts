// Parser and evaluator of the ConnectWise `conditions` language:
//   identifier="S365L" and (securityRole/id in (1, 2) or not name like "Sync%") and lastUpdated > [2015-12-23T05:53:27Z]

export type Value = string | number | boolean | null | { date: number };
type CompareOp = "=" | "!=" | "<" | ">" | "<=" | ">=" | "like" | "contains" | "in";

export type Node =
  | { kind: "and" | "or"; left: Node; right: Node }
  | { kind: "not"; inner: Node }
  | { kind: "cmp"; path: string[]; op: CompareOp; negate: boolean; value: Value | Value[] };

export class ConditionSyntaxError extends Error {
  constructor(message: string, readonly position: number) {
    super(`${message} at position ${position}`);
  }
}

interface Token { type: "punct" | "op" | "string" | "number" | "date" | "word"; text: string; value?: Value; pos: number }

const KEYWORDS = new Set(["and", "or", "not", "like", "contains", "in", "true", "false", "null"]);

function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    const pos = i + 1; // 1-based for messages
    if (/\s/.test(c)) { i++; continue; }
    if (c === "(" || c === ")" || c === ",") { tokens.push({ type: "punct", text: c, pos }); i++; continue; }
    const two = src.slice(i, i + 2);
    if (two === "<=" || two === ">=" || two === "!=") { tokens.push({ type: "op", text: two, pos }); i += 2; continue; }
    if (c === "=" || c === "<" || c === ">") { tokens.push({ type: "op", text: c, pos }); i++; continue; }
    if (c === '"') {
      let out = "";
      i++;
      for (;;) {
        if (i >= src.length) throw new ConditionSyntaxError("Unterminated string", pos);
        const ch = src[i];
        if (ch === "\\") {
          const next = src[i + 1];
          if (next !== '"' && next !== "\\") throw new ConditionSyntaxError("Invalid escape sequence", i + 1);
          out += next;
          i += 2;
        } else if (ch === '"') { i++; break; } else { out += ch; i++; }
      }
      tokens.push({ type: "string", text: out, value: out, pos });
      continue;
    }
    if (c === "[") {
      const end = src.indexOf("]", i);
      if (end < 0) throw new ConditionSyntaxError("Unterminated date", pos);
      const text = src.slice(i + 1, end).trim();
      const t = Date.parse(text);
      if (Number.isNaN(t)) throw new ConditionSyntaxError(`Invalid date [${text}]`, pos);
      tokens.push({ type: "date", text, value: { date: t }, pos });
      i = end + 1;
      continue;
    }
    const num = /^-?\d+(\.\d+)?(?![A-Za-z_])/.exec(src.slice(i));
    if (num) { tokens.push({ type: "number", text: num[0], value: Number(num[0]), pos }); i += num[0].length; continue; }
    const word = /^[A-Za-z_][A-Za-z0-9_/.]*/.exec(src.slice(i));
    if (word) { tokens.push({ type: "word", text: word[0], pos }); i += word[0].length; continue; }
    throw new ConditionSyntaxError(`Unexpected character '${c}'`, pos);
  }
  return tokens;
}

export function parseConditions(src: string): Node {
  const tokens = tokenize(src);
  let p = 0;
  const end = src.length + 1;
  const peek = () => tokens[p];
  const isKw = (t: Token | undefined, kw: string) => t?.type === "word" && t.text.toLowerCase() === kw;
  const describe = (t: Token | undefined) => (t ? `'${t.type === "string" ? `"${t.text}"` : t.text}'` : "end of conditions");
  const fail = (what: string): never => {
    const t = peek();
    throw new ConditionSyntaxError(`Expected ${what} but found ${describe(t)}`, t ? t.pos : end);
  };
  const expectPunct = (c: string) => { if (peek()?.type === "punct" && peek().text === c) p++; else fail(`'${c}'`); };

  const value = (): Value => {
    const t = peek();
    if (t && (t.type === "string" || t.type === "number" || t.type === "date")) { p++; return t.value!; }
    if (isKw(t, "true")) { p++; return true; }
    if (isKw(t, "false")) { p++; return false; }
    if (isKw(t, "null")) { p++; return null; }
    return fail("a value");
  };

  const comparison = (): Node => {
    const t = peek();
    if (!t || t.type !== "word" || KEYWORDS.has(t.text.toLowerCase())) return fail("a field name");
    p++;
    const path = t.text.split("/").filter(Boolean);
    let negate = false;
    if (isKw(peek(), "not")) { negate = true; p++; }
    const o = peek();
    let op: CompareOp;
    if (!negate && o?.type === "op") op = o.text as CompareOp;
    else if (isKw(o, "like") || isKw(o, "contains") || isKw(o, "in")) op = o!.text.toLowerCase() as CompareOp;
    else return fail(negate ? "'like', 'contains' or 'in'" : "an operator");
    p++;
    if (op === "in") {
      expectPunct("(");
      const values = [value()];
      while (peek()?.type === "punct" && peek().text === ",") { p++; values.push(value()); }
      expectPunct(")");
      return { kind: "cmp", path, op, negate, value: values };
    }
    return { kind: "cmp", path, op, negate, value: value() };
  };

  const primary = (): Node => {
    if (peek()?.type === "punct" && peek().text === "(") {
      p++;
      const inner = orExpr();
      expectPunct(")");
      return inner;
    }
    return comparison();
  };
  const unary = (): Node => {
    if (isKw(peek(), "not")) { p++; return { kind: "not", inner: unary() }; }
    return primary();
  };
  const andExpr = (): Node => {
    let left = unary();
    while (isKw(peek(), "and")) { p++; left = { kind: "and", left, right: unary() }; }
    return left;
  };
  function orExpr(): Node {
    let left = andExpr();
    while (isKw(peek(), "or")) { p++; left = { kind: "or", left, right: andExpr() }; }
    return left;
  }

  if (tokens.length === 0) throw new ConditionSyntaxError("Empty conditions", 1);
  const tree = orExpr();
  if (p < tokens.length) fail("'and', 'or' or end of conditions");
  return tree;
}

/** Case-insensitive lookup of a `a/b/c` path in a JSON object. */
export function getPath(obj: unknown, path: string[]): unknown {
  let cur: unknown = obj;
  for (const seg of path) {
    if (!cur || typeof cur !== "object") return undefined;
    const rec = cur as Record<string, unknown>;
    const key = seg in rec ? seg : Object.keys(rec).find((k) => k.toLowerCase() === seg.toLowerCase());
    cur = key === undefined ? undefined : rec[key];
  }
  return cur;
}

function likeToRegex(pattern: string): RegExp {
  const body = pattern.split("%").map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join(".*");
  return new RegExp(`^${body}$`, "is");
}

function compare(field: unknown, op: CompareOp, v: Value): boolean {
  if (v === null) return op === "=" ? field == null : op === "!=" ? field != null : false;
  if (field === null || field === undefined) return op === "!=";
  if (op === "like") return likeToRegex(String(v)).test(String(field));
  if (op === "contains") return String(field).toLowerCase().includes(String(v).toLowerCase());
  let a: number | string;
  let b: number | string;
  if (typeof v === "object") { a = Date.parse(String(field)); b = v.date; if (Number.isNaN(a)) return false; }
  else if (typeof v === "number") { a = Number(field); b = v; if (typeof field === "boolean" || Number.isNaN(a)) return false; }
  else if (typeof v === "boolean") { if (op !== "=" && op !== "!=") return false; return (field === v) === (op === "="); }
  else { a = String(field).toLowerCase(); b = v.toLowerCase(); }
  switch (op) {
    case "=": return a === b;
    case "!=": return a !== b;
    case "<": return a < b;
    case ">": return a > b;
    case "<=": return a <= b;
    case ">=": return a >= b;
    default: return false;
  }
}

export function evaluate(node: Node, obj: unknown): boolean {
  switch (node.kind) {
    case "and": return evaluate(node.left, obj) && evaluate(node.right, obj);
    case "or": return evaluate(node.left, obj) || evaluate(node.right, obj);
    case "not": return !evaluate(node.inner, obj);
    case "cmp": {
      const field = getPath(obj, node.path);
      const hit = node.op === "in"
        ? (node.value as Value[]).some((v) => compare(field, "=", v))
        : compare(field, node.op, node.value as Value);
      return node.negate ? !hit : hit;
    }
  }
}
