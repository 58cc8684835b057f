import { createHash } from 'node:crypto';

/**
 * A small reader for ARM template expressions ("[concat(parameters('a'), 'b')]"), enough to check
 * azuredeploy.json offline: syntax, names of parameters / variables / resources, and the values
 * the template's expressions produce for sample parameters. Functions the evaluator does not know
 * make it throw, so a template change that needs more is noticed, not skipped.
 */

export type Access = { kind: 'prop'; name: string } | { kind: 'index'; expr: Node };
export type Node =
  | { kind: 'string'; value: string; access: Access[] }
  | { kind: 'number'; value: number; access: Access[] }
  | { kind: 'call'; name: string; args: Node[]; access: Access[] };

type Token =
  | { t: 'ident'; v: string; at: number }
  | { t: 'string'; v: string; at: number }
  | { t: 'number'; v: number; at: number }
  | { t: 'punct'; v: '(' | ')' | '[' | ']' | ',' | '.'; at: number };

export class ArmSyntaxError extends Error {
  override name = 'ArmSyntaxError';
}

/** True for a JSON string ARM evaluates as an expression ("[[" escapes a literal bracket). */
export function isExpression(s: string): boolean {
  return s.startsWith('[') && !s.startsWith('[[') && s.endsWith(']');
}

function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === "'") {
      const at = i;
      let value = '';
      i++;
      for (;;) {
        if (i >= src.length) throw new ArmSyntaxError(`unterminated string starting at ${at}`);
        if (src[i] === "'") {
          if (src[i + 1] === "'") {
            value += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        value += src[i];
        i++;
      }
      tokens.push({ t: 'string', v: value, at });
    } else if (/[0-9-]/.test(c)) {
      const m = /^-?[0-9]+/.exec(src.slice(i));
      if (!m) throw new ArmSyntaxError(`unexpected "${c}" at ${i}`);
      tokens.push({ t: 'number', v: Number(m[0]), at: i });
      i += m[0].length;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i))!;
      tokens.push({ t: 'ident', v: m[0], at: i });
      i += m[0].length;
    } else if ('()[],.'.includes(c)) {
      tokens.push({ t: 'punct', v: c as '(' | ')' | '[' | ']' | ',' | '.', at: i });
      i++;
    } else {
      throw new ArmSyntaxError(`unexpected "${c}" at ${i}`);
    }
  }
  return tokens;
}

/** Parses one template string that isExpression() accepted (brackets included). */
export function parseExpression(text: string): Node {
  if (!isExpression(text)) throw new ArmSyntaxError(`not an expression: ${text}`);
  const tokens = tokenize(text.slice(1, -1));
  let pos = 0;
  const peek = () => tokens[pos];
  const isPunct = (v: string) => {
    const tok = peek();
    return tok?.t === 'punct' && tok.v === v;
  };
  const expect = (v: string) => {
    const tok = peek();
    if (!(tok?.t === 'punct' && tok.v === v)) {
      throw new ArmSyntaxError(`expected "${v}" ${tok ? `at ${tok.at}` : 'at the end'} in ${text}`);
    }
    pos++;
  };

  const parseAccess = (): Access[] => {
    const access: Access[] = [];
    for (;;) {
      if (isPunct('.')) {
        pos++;
        const tok = peek();
        if (tok?.t !== 'ident') throw new ArmSyntaxError(`expected a property name after "." in ${text}`);
        pos++;
        access.push({ kind: 'prop', name: tok.v });
      } else if (isPunct('[')) {
        pos++;
        const expr = parseExpr();
        expect(']');
        access.push({ kind: 'index', expr });
      } else {
        return access;
      }
    }
  };

  const parseExpr = (): Node => {
    const tok = peek();
    if (!tok) throw new ArmSyntaxError(`unexpected end of ${text}`);
    pos++;
    if (tok.t === 'string') return { kind: 'string', value: tok.v, access: parseAccess() };
    if (tok.t === 'number') return { kind: 'number', value: tok.v, access: parseAccess() };
    if (tok.t === 'ident') {
      expect('(');
      const args: Node[] = [];
      if (!isPunct(')')) {
        for (;;) {
          args.push(parseExpr());
          if (isPunct(',')) {
            pos++;
            continue;
          }
          break;
        }
      }
      expect(')');
      return { kind: 'call', name: tok.v, args, access: parseAccess() };
    }
    throw new ArmSyntaxError(`unexpected "${tok.v}" at ${tok.at} in ${text}`);
  };

  const root = parseExpr();
  if (root.kind !== 'call') throw new ArmSyntaxError(`an expression must be a function call: ${text}`);
  if (pos !== tokens.length) throw new ArmSyntaxError(`unexpected "${String(tokens[pos]!.v)}" at ${tokens[pos]!.at} in ${text}`);
  return root;
}

/** Every call in an expression tree, depth first. */
export function* calls(node: Node): Generator<Extract<Node, { kind: 'call' }>> {
  if (node.kind === 'call') {
    yield node;
    for (const arg of node.args) yield* calls(arg);
  }
  for (const a of node.access) if (a.kind === 'index') yield* calls(a.expr);
}

/** Every string value in a JSON tree, with its path. */
export function* jsonStrings(value: unknown, path = '$'): Generator<{ path: string; value: string }> {
  if (typeof value === 'string') yield { path, value };
  else if (Array.isArray(value)) for (const [i, v] of value.entries()) yield* jsonStrings(v, `${path}[${i}]`);
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) yield* jsonStrings(v, `${path}.${k}`);
  }
}

/** ARM template functions (learn.microsoft.com, "Template functions"); names are case-insensitive. */
export const ARM_FUNCTIONS = new Set(
  [
    // array and object
    'array', 'concat', 'contains', 'createArray', 'createObject', 'empty', 'first', 'flatten', 'indexOf',
    'intersection', 'items', 'json', 'last', 'lastIndexOf', 'length', 'max', 'min', 'objectKeys', 'range',
    'shallowMerge', 'skip', 'take', 'tryGet', 'union', 'filter', 'map', 'reduce', 'sort', 'toObject', 'lambda',
    // comparison and logical
    'coalesce', 'equals', 'greater', 'greaterOrEquals', 'less', 'lessOrEquals', 'and', 'bool', 'false', 'if',
    'not', 'or', 'true',
    // date
    'dateTimeAdd', 'dateTimeFromEpoch', 'dateTimeToEpoch', 'utcNow',
    // deployment
    'deployment', 'environment', 'parameters', 'variables',
    // numeric
    'add', 'copyIndex', 'div', 'float', 'int', 'mod', 'mul', 'sub',
    // resource
    'extensionResourceId', 'listKeys', 'listAccountSas', 'listServiceSas', 'listSecrets', 'pickZones',
    'providers', 'reference', 'references', 'resourceId', 'subscriptionResourceId', 'tenantResourceId',
    'managementGroupResourceId', 'managementGroup', 'resourceGroup', 'subscription', 'tenant',
    // string
    'base64', 'base64ToJson', 'base64ToString', 'dataUri', 'dataUriToString', 'endsWith', 'format', 'guid',
    'newGuid', 'padLeft', 'replace', 'split', 'startsWith', 'string', 'substring', 'toLower', 'toUpper', 'trim',
    'uniqueString', 'uri', 'uriComponent', 'uriComponentToString',
  ].map((f) => f.toLowerCase()),
);

/** listKeys, listSecrets, list*: functions whose result is a secret. */
export const isListFunction = (name: string) => /^list/i.test(name);

export interface ArmTemplate {
  $schema: string;
  contentVersion: string;
  parameters?: Record<string, { type: string; defaultValue?: unknown; minLength?: number; maxLength?: number; allowedValues?: unknown[] }>;
  variables?: Record<string, unknown>;
  resources: ArmResource[];
  outputs?: Record<string, { type: string; value: unknown }>;
}

export interface ArmResource {
  type: string;
  apiVersion: string;
  name: string;
  /** When it evaluates to false, ARM skips the resource. */
  condition?: unknown;
  dependsOn?: string[];
  [key: string]: unknown;
}

/** Problems a template's expressions have: syntax, unknown functions, undeclared names. */
export function lintTemplate(template: ArmTemplate): string[] {
  const problems: string[] = [];
  const params = new Set(Object.keys(template.parameters ?? {}));
  const vars = new Set(Object.keys(template.variables ?? {}));
  for (const { path, value } of jsonStrings(template)) {
    if (path === '$.$schema') continue;
    if (value.startsWith('[') && !value.startsWith('[[') && !value.endsWith(']')) {
      problems.push(`${path}: starts with "[" but does not end with "]" (ARM would take it as a literal)`);
      continue;
    }
    if (!isExpression(value)) continue;
    let root: Node;
    try {
      root = parseExpression(value);
    } catch (err) {
      problems.push(`${path}: ${(err as Error).message}`);
      continue;
    }
    for (const call of calls(root)) {
      const name = call.name.toLowerCase();
      if (!ARM_FUNCTIONS.has(name) && !isListFunction(name)) problems.push(`${path}: unknown function ${call.name}()`);
      if (name === 'parameters' || name === 'variables') {
        const arg = call.args[0];
        if (call.args.length !== 1 || arg?.kind !== 'string') {
          problems.push(`${path}: ${call.name}() takes one literal name`);
        } else if (!(name === 'parameters' ? params : vars).has(arg.value)) {
          problems.push(`${path}: ${call.name}('${arg.value}') is not declared`);
        }
      }
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Evaluation with sample values

export interface EvalOptions {
  /** Values for parameters; the others take their defaultValue. */
  parameters: Record<string, unknown>;
  /** Account key the fake listKeys() answers with. */
  storageKey: string;
}

export const SAMPLE_RESOURCE_GROUP = {
  id: '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/connector-rg',
  name: 'connector-rg',
  location: 'westeurope',
};

/** Same length and alphabet as ARM's uniqueString() (13 characters of base32, lower case); not its hash. */
export function fakeUniqueString(...parts: string[]): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  const digest = createHash('sha256').update(parts.join('-')).digest();
  return Array.from(digest.subarray(0, 13), (b) => alphabet[b % 32]).join('');
}

/** The ARM id of a resource of `type` named by `names` (one per type segment) in the sample group. */
export function resourceIdOf(type: string, names: string[]): string {
  const [namespace, ...segments] = type.split('/');
  if (!namespace || segments.length === 0 || segments.length !== names.length) {
    throw new Error(`resourceId: type ${type} needs ${segments.length} name(s), got ${names.length}`);
  }
  const path = segments.map((s, i) => `${s}/${names[i]}`).join('/');
  return `${SAMPLE_RESOURCE_GROUP.id}/providers/${namespace}/${path}`;
}

export class Evaluator {
  /** Resource ids that resourceId(), reference() or listKeys() named since the last reset. */
  touched = new Set<string>();
  private readonly variableStack: string[] = [];

  constructor(
    readonly template: ArmTemplate,
    readonly options: EvalOptions,
  ) {}

  /** Evaluates every expression in a JSON value. */
  value(v: unknown): unknown {
    if (typeof v === 'string') {
      if (isExpression(v)) return this.node(parseExpression(v));
      return v.startsWith('[[') ? v.slice(1) : v;
    }
    if (Array.isArray(v)) return v.map((x) => this.value(x));
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, this.value(x)]));
    return v;
  }

  string(v: unknown): string {
    const out = this.value(v);
    if (typeof out !== 'string') throw new Error(`expected a string, got ${JSON.stringify(out)}`);
    return out;
  }

  /** Declared resources with their evaluated ids. */
  declared(): { id: string; resource: ArmResource }[] {
    return this.template.resources.map((resource) => ({
      id: resourceIdOf(resource.type, this.string(resource.name).split('/')),
      resource,
    }));
  }

  /** Whether ARM deploys the resource: it has no `condition`, or its condition is true. */
  deploys(resource: ArmResource): boolean {
    if (resource.condition === undefined) return true;
    const c = this.value(resource.condition);
    if (typeof c !== 'boolean') throw new Error(`the condition of ${resource.type} is ${JSON.stringify(c)}, not a boolean`);
    return c;
  }

  private findDeclared(id: string, fn: string): ArmResource {
    const hit = this.declared().find((d) => d.id.toLowerCase() === id.toLowerCase());
    if (!hit) throw new Error(`${fn}() names ${id}, which the template does not declare`);
    return hit.resource;
  }

  private node(n: Node): unknown {
    let out: unknown;
    if (n.kind === 'string' || n.kind === 'number') out = n.value;
    else out = this.call(n.name.toLowerCase(), n.args);
    for (const a of n.access) {
      const key = a.kind === 'prop' ? a.name : this.node(a.expr);
      if (out === null || typeof out !== 'object' || typeof key === 'object') {
        throw new Error(`cannot read ${String(key)} of ${JSON.stringify(out)}`);
      }
      const next = (out as Record<string, unknown>)[String(key)];
      if (next === undefined) throw new Error(`no property ${String(key)} in ${JSON.stringify(out)}`);
      out = next;
    }
    return out;
  }

  private call(name: string, argNodes: Node[]): unknown {
    const args = () => argNodes.map((a) => this.node(a));
    const strings = () =>
      args().map((a) => {
        if (typeof a !== 'string') throw new Error(`${name}() expects strings, got ${JSON.stringify(a)}`);
        return a;
      });
    switch (name) {
      case 'parameters': {
        const [p] = strings();
        if (p! in this.options.parameters) return this.options.parameters[p!];
        const decl = this.template.parameters?.[p!];
        if (!decl) throw new Error(`parameter ${p} is not declared`);
        if (!('defaultValue' in decl)) throw new Error(`parameter ${p} has no value and no default`);
        return this.value(decl.defaultValue);
      }
      case 'variables': {
        const [v] = strings();
        if (!this.template.variables || !(v! in this.template.variables)) throw new Error(`variable ${v} is not declared`);
        if (this.variableStack.includes(v!)) throw new Error(`variable ${v} refers to itself`);
        this.variableStack.push(v!);
        try {
          return this.value(this.template.variables[v!]);
        } finally {
          this.variableStack.pop();
        }
      }
      case 'concat': {
        const a = args();
        if (a.every(Array.isArray)) return ([] as unknown[]).concat(...a);
        return a
          .map((x) => {
            if (typeof x !== 'string' && typeof x !== 'number') throw new Error(`concat() of ${JSON.stringify(x)}`);
            return String(x);
          })
          .join('');
      }
      case 'format': {
        const [fmt, ...rest] = args();
        if (typeof fmt !== 'string') throw new Error('format() needs a format string');
        return fmt.replace(/\{(\d+)\}/g, (_m, i: string) => String(rest[Number(i)]));
      }
      case 'take': {
        const [v, count] = args();
        if (typeof count !== 'number') throw new Error('take() needs a count');
        if (typeof v === 'string' || Array.isArray(v)) return v.slice(0, Math.max(0, count));
        throw new Error('take() of neither string nor array');
      }
      case 'not': {
        const [b] = args();
        if (typeof b !== 'boolean') throw new Error(`not() of ${JSON.stringify(b)}`);
        return !b;
      }
      case 'empty': {
        const [v] = args();
        if (v === null || v === undefined) return true;
        if (typeof v === 'string' || Array.isArray(v)) return v.length === 0;
        if (typeof v === 'object') return Object.keys(v).length === 0;
        throw new Error(`empty() of ${JSON.stringify(v)}`);
      }
      case 'tolower':
        return strings()[0]!.toLowerCase();
      case 'toupper':
        return strings()[0]!.toUpperCase();
      case 'trim':
        return strings()[0]!.trim();
      case 'replace': {
        const [s, from, to] = strings();
        return s!.split(from!).join(to!);
      }
      case 'uniquestring':
        return fakeUniqueString(...strings());
      case 'resourcegroup':
        return { ...SAMPLE_RESOURCE_GROUP };
      case 'environment':
        return { name: 'AzureCloud', suffixes: { storage: 'core.windows.net' } };
      case 'resourceid': {
        const [type, ...names] = strings();
        if (!type!.includes('/')) throw new Error('resourceId() with a subscription or group argument is not evaluated here');
        const id = resourceIdOf(type!, names);
        this.touched.add(id);
        return id;
      }
      case 'listkeys': {
        const [id, apiVersion] = args();
        if (typeof id !== 'string' || typeof apiVersion !== 'string') throw new Error('listKeys(id, apiVersion)');
        const target = this.findDeclared(id, 'listKeys');
        this.touched.add(id);
        if (target.type.toLowerCase() !== 'microsoft.storage/storageaccounts') throw new Error(`listKeys() of ${target.type}`);
        return { keys: [{ keyName: 'key1', permissions: 'FULL', value: this.options.storageKey }] };
      }
      case 'reference': {
        const [id] = args();
        if (typeof id !== 'string') throw new Error('reference() needs a resource id');
        const target = this.findDeclared(id, 'reference');
        this.touched.add(id);
        if (target.type.toLowerCase() !== 'microsoft.web/sites') throw new Error(`reference() of ${target.type} is not evaluated here`);
        return { defaultHostName: `${this.string(target.name)}.azurewebsites.net` };
      }
      default:
        throw new Error(`${name}() is not evaluated by this test; extend test/deploy/armExpression.ts`);
    }
  }
}
