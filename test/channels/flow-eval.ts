/**
 * A small evaluator of the Workflow Definition Language expressions the shipped Teams flows use
 * (channels/teams-*-flow.json), so that tests run a flow's wiring against what guard really sends.
 */
import { readFileSync } from 'node:fs';
import { expect } from 'vitest';

export type Json = unknown;
export interface Action {
  type: string;
  kind?: string;
  runAfter?: Record<string, string[]>;
  operationOptions?: string;
  expression?: { and: { equals: [string, Json] }[] };
  inputs: Record<string, Json> & { parameters?: Record<string, Json>; body?: Json; statusCode?: number };
  actions?: Record<string, Action>;
  else?: { actions: Record<string, Action> };
}

/** Evaluates `@expr` and `@{expr}` strings of the subset the flow uses; other values as they are. */
export function evaluate(value: Json, scope: { trigger: Json; outputs: Record<string, Json> }): Json {
  if (Array.isArray(value)) return value.map((v) => evaluate(v, scope));
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, evaluate(v, scope)]));
  if (typeof value !== 'string' || !value.startsWith('@')) return value;
  if (value.startsWith('@{')) {
    expect(value.endsWith('}')).toBe(true);
    return String(expression(value.slice(2, -1), scope));
  }
  return expression(value.slice(1), scope);
}

function expression(src: string, scope: { trigger: Json; outputs: Record<string, Json> }): Json {
  let i = 0;
  const literal = (): string => {
    const end = src.indexOf("'", i + 1);
    const s = src.slice(i + 1, end);
    i = end + 1;
    return s;
  };
  const call = (): Json => {
    const name = /^[A-Za-z]+/.exec(src.slice(i))?.[0] ?? '';
    i += name.length;
    expect(src[i]).toBe('(');
    i++;
    const args: Json[] = [];
    while (src[i] !== ')') {
      args.push(src[i] === "'" ? literal() : term());
      if (src[i] === ',') i++;
    }
    i++;
    const fns: Record<string, (...a: Json[]) => Json> = {
      triggerBody: () => scope.trigger,
      outputs: (n) => scope.outputs[String(n)],
      first: (a) => (Array.isArray(a) ? (a as Json[])[0] : undefined),
      string: (a) => (typeof a === 'string' ? a : JSON.stringify(a)),
    };
    const fn = fns[name];
    if (fn === undefined) throw new Error(`unsupported function ${name} in ${src}`);
    return fn(...args);
  };
  const term = (): Json => {
    let v = call();
    // ?['a/b'] reads a, then b (the designer's path shorthand)
    while (src.startsWith("?['", i) || src.startsWith("['", i)) {
      i += src[i] === '?' ? 2 : 1;
      const key = literal();
      expect(src[i]).toBe(']');
      i++;
      for (const k of key.split('/'))
        v = v !== null && typeof v === 'object' ? (v as Record<string, Json>)[k] : undefined;
    }
    return v;
  };
  const v = term();
  expect(i).toBe(src.length);
  return v;
}

/** A flow file's definition. */
export function flowDefinition(file: string): { triggers: Record<string, Action>; actions: Record<string, Action> } {
  return (
    JSON.parse(readFileSync(new URL(`../../channels/${file}`, import.meta.url), 'utf8')) as {
      properties: { definition: { triggers: Record<string, Action>; actions: Record<string, Action> } };
    }
  ).properties.definition;
}
