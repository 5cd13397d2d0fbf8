/**
 * openapi.yaml as a test oracle: its operations, responses resolved through component references
 * (with OAS 3.1 description overrides), the error codes each response documents, and Ajv
 * (JSON Schema 2020-12, which OAS 3.1 schemas are) validators for any schema in it.
 */
import { readFileSync } from 'node:fs';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { parse } from 'yaml';
import { ERROR_STATUS, type ErrorCode } from '../../src/protocol/errors.js';

type Node = Record<string, any>;

export const OPENAPI_FILE = new URL('../../openapi.yaml', import.meta.url);
export const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/** Where the component schemas live for Ajv: `#/components/schemas/X` becomes `peerkeys:openapi#/$defs/X`. */
const ROOT_ID = 'peerkeys:openapi';
const SCHEMA_REF = '#/components/schemas/';

// ajv-formats is CommonJS with `exports.default`; under ESM interop the callable may sit one level down.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv2020) => Ajv2020;

function rewriteRefs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(rewriteRefs);
  if (typeof value !== 'object' || value === null) return value;
  const out: Node = {};
  for (const [key, child] of Object.entries(value)) {
    out[key] = key === '$ref' && typeof child === 'string' && child.startsWith(SCHEMA_REF) ? `${ROOT_ID}#/$defs/${child.slice(SCHEMA_REF.length)}` : rewriteRefs(child);
  }
  return out;
}

export interface DocumentedOperation {
  method: string;
  path: string;
  operation: Node;
}

export class Contract {
  readonly spec: Node;
  readonly ajv: Ajv2020;
  private readonly compiled = new Map<unknown, ValidateFunction>();

  constructor(text = readFileSync(OPENAPI_FILE, 'utf8')) {
    this.spec = parse(text) as Node;
    // strict: unknown keywords, ignored formats and loose types are errors, so a typo in the
    // contract fails here instead of silently validating nothing.
    this.ajv = new Ajv2020({ strict: true, allErrors: true });
    addFormats(this.ajv);
    this.ajv.addSchema({ $id: ROOT_ID, $defs: rewriteRefs(this.spec['components']['schemas']) as Node });
  }

  get operations(): DocumentedOperation[] {
    const out: DocumentedOperation[] = [];
    for (const [path, item] of Object.entries(this.spec['paths'] as Node)) {
      for (const method of HTTP_METHODS) if (item[method] !== undefined) out.push({ method, path, operation: item[method] });
    }
    return out;
  }

  operation(method: string, path: string): Node {
    const found = this.spec['paths'][path]?.[method.toLowerCase()];
    if (found === undefined) throw new Error(`openapi.yaml documents no ${method.toUpperCase()} ${path}`);
    return found;
  }

  /** Follows a `#/...` JSON pointer in the document. */
  pointer(ref: string): unknown {
    if (!ref.startsWith('#/')) throw new Error(`not a local reference: ${ref}`);
    let node: unknown = this.spec;
    for (const part of ref.slice(2).split('/')) {
      const key = part.replace(/~1/g, '/').replace(/~0/g, '~');
      node = typeof node === 'object' && node !== null ? (node as Node)[key] : undefined;
    }
    return node;
  }

  /** A response, parameter, header or request body with its reference followed; siblings of $ref override. */
  resolve(node: Node): Node {
    if (typeof node['$ref'] !== 'string') return node;
    const target = this.pointer(node['$ref']);
    if (typeof target !== 'object' || target === null) throw new Error(`unresolved reference ${node['$ref']}`);
    const { $ref: _ref, ...overrides } = node;
    return { ...this.resolve(target as Node), ...overrides };
  }

  response(method: string, path: string, status: number): Node | undefined {
    const raw = this.operation(method, path)['responses'][String(status)];
    return raw === undefined ? undefined : this.resolve(raw);
  }

  /** The error codes a response's description names (as `CODE`), in order. */
  documentedCodes(response: Node): string[] {
    const named = [...String(response['description'] ?? '').matchAll(/`([A-Z][A-Z_]+)`/g)].map((m) => m[1]!);
    return [...new Set(named)];
  }

  validator(schema: unknown): ValidateFunction {
    let validate = this.compiled.get(schema);
    if (validate === undefined) {
      validate = this.ajv.compile(rewriteRefs(schema) as Node);
      this.compiled.set(schema, validate);
    }
    return validate;
  }

  /** Validation errors of `value` against a component schema or any schema from the document; [] when valid. */
  errors(schemaOrName: unknown, value: unknown): string[] {
    const schema = typeof schemaOrName === 'string' ? { $ref: `${SCHEMA_REF}${schemaOrName}` } : schemaOrName;
    const validate = this.validator(schema);
    if (validate(value)) return [];
    return (validate.errors ?? []).map((e) => `${e.instancePath || '(root)'} ${e.message ?? ''} ${JSON.stringify(e.params)}`);
  }
}

export function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(ERROR_STATUS, code);
}

/** `type/subtype` in lower case, without parameters. */
export function essence(mediaType: string): string {
  return mediaType.split(';')[0]!.trim().toLowerCase();
}

/** A media type with its parameters normalised (lower case, no spaces), for exact comparison. */
export function normalisedMediaType(mediaType: string): string {
  return mediaType.toLowerCase().replace(/\s+/g, '');
}

/** Express 5 / router 2: every route in the app, nested routers included, with OpenAPI-style paths. */
export function expressRoutes(stack: unknown[], prefix = ''): Array<{ method: string; path: string }> {
  const out: Array<{ method: string; path: string }> = [];
  for (const layer of stack as Node[]) {
    if (layer['route'] !== undefined) {
      const route = layer['route'] as { path: unknown; methods: Record<string, boolean> };
      if (typeof route.path !== 'string') throw new Error(`a route with a non-string path: ${String(route.path)}`);
      for (const method of Object.keys(route.methods)) {
        // `:name` is one path segment, `*name` several (a tile's index, tlog-tiles): both `{name}` in OpenAPI.
        out.push({ method: method === '_all' ? 'all' : method, path: (prefix + route.path).replace(/[:*]([A-Za-z0-9_]+)/g, '{$1}') });
      }
    } else if (Array.isArray(layer['handle']?.stack)) {
      // A router mounted with app.use([path,] router): a root mount (rawPath '/') adds nothing.
      const mount = typeof layer['rawPath'] === 'string' && layer['rawPath'] !== '/' ? layer['rawPath'] : '';
      out.push(...expressRoutes(layer['handle'].stack, prefix + mount));
    }
  }
  return out;
}

/**
 * What requests to an operation look like, as `METHOD /path?query`: each `{param}` one path
 * segment, except a tile's `{index}` (c2sp.org/tlog-tiles: `x001/x234/067.p/5`), which spans several.
 */
export function requestPattern(method: string, path: string): RegExp {
  const param = (name: string) => (path.startsWith('/v1/log/tile/') && name === 'index' ? '[^?]+' : '[^/?]+');
  return new RegExp(`^${method.toUpperCase()} ${path.replace(/\{([^}]+)\}/g, (_, name: string) => param(name))}(\\?.*)?$`);
}
