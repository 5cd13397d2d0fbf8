/**
 * Renders an OpenAPI 3.1 document (openapi.yaml, parsed) as one static HTML page: every operation
 * with its examples, and every component schema. The page has no scripts and no inline styles, so
 * it lives within the registry's strict Content-Security-Policy (security.ts); its stylesheet is
 * served alongside.
 *
 * Operations marked `x-internal: true` (the pages' stylesheets, script and icon) are files the
 * registry serves, not API operations: they are listed apart, in one short table. The main content
 * comes before the navigation in the document, so a phone (which shows them one after the other)
 * starts with the reference itself rather than sixty links.
 *
 * Examples (OAS Example Objects, written from a real registry by test/tools/openapi-examples.ts)
 * are shown under each operation: its request, its success and its problems. An example under a
 * shared request body or response names the operations it belongs to in `x-operations`, and
 * `x-request` says which request produced it.
 *
 * Every piece of text from the document is HTML-escaped before it is placed, including attribute
 * values. Descriptions get a very small Markdown subset: blank-line paragraphs, "- " lists and
 * `code` spans, all applied after escaping.
 */

type Node = Record<string, unknown>;

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/** Constraint keywords shown for a schema, in this order, with how each reads. */
const CONSTRAINTS: Array<[keyword: string, label: string]> = [
  ['format', 'format'],
  ['pattern', 'pattern'],
  ['minLength', 'min length'],
  ['maxLength', 'max length'],
  ['minimum', 'minimum'],
  ['maximum', 'maximum'],
  ['minItems', 'min items'],
  ['maxItems', 'max items'],
  ['default', 'default'],
];

function isNode(value: unknown): value is Node {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

/** An id attribute / fragment from arbitrary text: only [A-Za-z0-9_-] survive. */
function anchor(prefix: string, name: string): string {
  return `${prefix}-${name.replace(/[^A-Za-z0-9_-]/g, '_')}`;
}

function inline(value: string): string {
  return escapeHtml(value).replace(/`([^`]+)`/g, '<code>$1</code>');
}

/**
 * Paragraphs separated by blank lines; lines starting "- " are list items (indented lines continue
 * them); text right before a list is its lead-in, shown as a heading when it is a short title.
 */
function prose(value: unknown): string {
  const source = text(value).trim();
  if (source === '') return '';
  const out: string[] = [];
  for (const block of source.split(/\n\s*\n/)) {
    const lines = block.split('\n');
    const firstItem = lines.findIndex((line) => line.startsWith('- '));
    const lead = (firstItem < 0 ? lines : lines.slice(0, firstItem)).map((line) => line.trim()).join(' ');
    if (lead !== '') {
      const title = firstItem === 1 && !lead.endsWith('.') && !lead.endsWith(':');
      out.push(`<p${title ? ' class="lead"' : ''}>${inline(lead)}</p>`);
    }
    if (firstItem < 0) continue;
    const items: string[] = [];
    for (const line of lines.slice(firstItem)) {
      if (line.startsWith('- ')) items.push(line.slice(2));
      else items[items.length - 1] += ` ${line.trim()}`;
    }
    out.push(`<ul>${items.map((item) => `<li>${inline(item)}</li>`).join('')}</ul>`);
  }
  return out.join('\n');
}

/** The error codes a response's description names as `CODE`. */
function documentedCodes(description: unknown): Set<string> {
  return new Set([...text(description).matchAll(/`([A-Z][A-Z_]+)`/g)].map((m) => m[1]!));
}

/** An example's value as shown: text as it is, anything else as indented JSON. */
function exampleText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value, null, 2);
}

const REASONS: Record<string, string> = { '200': 'OK', '201': 'Created', '400': 'Bad Request', '404': 'Not Found', '409': 'Conflict', '413': 'Content Too Large', '422': 'Unprocessable Content', '429': 'Too Many Requests', '500': 'Internal Server Error', '503': 'Service Unavailable' };

/** The component name a `#/components/<kind>/<name>` reference points at, or null. */
function refName(node: Node, kind: string): string | null {
  const ref = text(node['$ref']);
  const prefix = `#/components/${kind}/`;
  return ref.startsWith(prefix) ? ref.slice(prefix.length) : null;
}

class Renderer {
  constructor(private readonly spec: Node) {}

  private component(kind: string, name: string): Node {
    const components = isNode(this.spec['components']) ? this.spec['components'] : {};
    const group = isNode(components[kind]) ? components[kind] : {};
    const found = group[name];
    return isNode(found) ? found : {};
  }

  /** Follows a component reference; `summary` and `description` beside the $ref override (OAS 3.1). */
  private resolve(node: unknown, kind: string): Node {
    if (!isNode(node)) return {};
    const name = refName(node, kind);
    if (name === null) return node;
    const target = this.resolve(this.component(kind, name), kind);
    return {
      ...target,
      ...(node['summary'] !== undefined ? { summary: node['summary'] } : {}),
      ...(node['description'] !== undefined ? { description: node['description'] } : {}),
    };
  }

  private schemaLink(name: string): string {
    return `<a href="#${anchor('schema', name)}">${escapeHtml(name)}</a>`;
  }

  /** A short account of a schema's type: a link for a reference, else its type and shape. */
  private typeOf(schema: unknown): string {
    if (!isNode(schema)) return 'any';
    const name = refName(schema, 'schemas');
    if (name !== null) return this.schemaLink(name);
    if (schema['const'] !== undefined) return `<code>${escapeHtml(JSON.stringify(schema['const']))}</code>`;
    if (Array.isArray(schema['enum'])) return `one of ${schema['enum'].map((v) => `<code>${escapeHtml(JSON.stringify(v))}</code>`).join(', ')}`;
    for (const combinator of ['anyOf', 'oneOf'] as const) {
      const options = schema[combinator];
      if (Array.isArray(options)) return options.map((option) => this.typeOf(option)).join(' or ');
    }
    const type = schema['type'];
    if (type === 'array') return `array of ${this.typeOf(schema['items'])}`;
    if (Array.isArray(type)) return type.map((t) => escapeHtml(String(t))).join(' or ');
    return typeof type === 'string' ? escapeHtml(type) : 'any';
  }

  private constraints(schema: unknown): string {
    if (!isNode(schema)) return '';
    const parts: string[] = [];
    for (const [keyword, label] of CONSTRAINTS) {
      const value = schema[keyword];
      if (value !== undefined) parts.push(`${escapeHtml(label)} <code>${escapeHtml(typeof value === 'string' ? value : JSON.stringify(value))}</code>`);
    }
    if (schema['uniqueItems'] === true) parts.push('distinct items');
    if (schema['additionalProperties'] === false) parts.push('no other properties');
    if (schema['type'] === 'array' && isNode(schema['items']) && refName(schema['items'], 'schemas') === null) {
      const inner = this.constraints(schema['items']);
      if (inner !== '') parts.push(`each item: ${inner}`);
    }
    return parts.join('; ');
  }

  private schemaCell(schema: unknown): string {
    const constraints = this.constraints(schema);
    return `${this.typeOf(schema)}${constraints === '' ? '' : `<br><span class="constraints">${constraints}</span>`}`;
  }

  private parameters(operation: Node, pathItem: Node): string {
    const all = [...(Array.isArray(pathItem['parameters']) ? pathItem['parameters'] : []), ...(Array.isArray(operation['parameters']) ? operation['parameters'] : [])];
    if (all.length === 0) return '';
    const rows = all.map((raw) => {
      const parameter = this.resolve(raw, 'parameters');
      return `<tr><td><code>${escapeHtml(text(parameter['name']))}</code></td><td data-label="in">${escapeHtml(text(parameter['in']))}</td><td>${parameter['required'] === true ? 'required' : 'optional'}</td><td data-label="schema">${this.schemaCell(parameter['schema'])}</td><td>${prose(parameter['description'])}</td></tr>`;
    });
    return `<h4>Parameters</h4>\n<table><thead><tr><th>name</th><th>in</th><th></th><th>schema</th><th>description</th></tr></thead><tbody>\n${rows.join('\n')}\n</tbody></table>`;
  }

  private content(content: unknown): string {
    if (!isNode(content)) return '';
    return Object.entries(content)
      .map(([mediaType, media]) => `<code>${escapeHtml(mediaType)}</code>${isNode(media) && media['schema'] !== undefined ? `: ${this.typeOf(media['schema'])}` : ''}`)
      .join('<br>');
  }

  private requestBody(operation: Node): string {
    if (operation['requestBody'] === undefined) return '';
    const body = this.resolve(operation['requestBody'], 'requestBodies');
    return `<h4>Request body${body['required'] === true ? '' : ' (optional)'}</h4>\n<p>${this.content(body['content'])}</p>\n${prose(body['description'])}`;
  }

  private headers(headers: unknown): string {
    if (!isNode(headers)) return '';
    return Object.entries(headers)
      .map(([name, raw]) => {
        const header = this.resolve(raw, 'headers');
        const schema = isNode(header['schema']) ? header['schema'] : {};
        const value = schema['const'] !== undefined ? `: <code>${escapeHtml(String(schema['const']))}</code>` : '';
        return `<code>${escapeHtml(name)}</code>${value}`;
      })
      .join('<br>');
  }

  private responses(operation: Node): string {
    const responses = isNode(operation['responses']) ? operation['responses'] : {};
    const rows = Object.entries(responses).map(([status, raw]) => {
      const response = this.resolve(raw, 'responses');
      const klass = status.startsWith('2') ? 'ok' : status.startsWith('3') ? 'redirect' : 'error';
      const headers = this.headers(response['headers']);
      return `<tr><td class="status status-${klass}">${escapeHtml(status)}</td><td>${prose(response['description'])}</td><td class="meta" data-label="content">${this.content(response['content'])}</td><td class="meta"${headers === '' ? '' : ' data-label="headers"'}>${headers}</td></tr>`;
    });
    return `<h4>Responses</h4>\n<table><thead><tr><th>status</th><th>description</th><th>content</th><th>headers</th></tr></thead><tbody>\n${rows.join('\n')}\n</tbody></table>`;
  }

  /** A media type's examples, references followed, that belong to `operationId`. */
  private mediaExamples(content: unknown, operationId: string): Array<{ mediaType: string; example: Node }> {
    if (!isNode(content)) return [];
    const out: Array<{ mediaType: string; example: Node }> = [];
    for (const [mediaType, media] of Object.entries(content)) {
      if (!isNode(media) || !isNode(media['examples'])) continue;
      for (const raw of Object.values(media['examples'])) {
        const example = this.resolve(raw, 'examples');
        const operations = example['x-operations'];
        if (Array.isArray(operations) && !operations.includes(operationId)) continue;
        out.push({ mediaType, example });
      }
    }
    return out;
  }

  private exampleBlock(label: string, klass: string, example: Node, body: string, open: boolean): string {
    const summary = text(example['summary']);
    return [
      `<details class="example"${open ? ' open' : ''}>`,
      `<summary><span class="status status-${klass}">${label}</span> ${inline(summary)}</summary>`,
      `<pre><code>${escapeHtml(body)}</code></pre>`,
      '</details>',
    ].join('');
  }

  /**
   * The operation's examples: the request (its body, or the request line of the success example),
   * the success response, then each problem the operation documents that has an example (closed).
   */
  private examples(operation: Node): string {
    const operationId = text(operation['operationId']);
    const responses = isNode(operation['responses']) ? Object.entries(operation['responses']).map(([status, raw]) => [status, this.resolve(raw, 'responses')] as const) : [];
    const successes: string[] = [];
    const problems: string[] = [];
    let requestLine = '';
    for (const [status, response] of responses) {
      const ok = status.startsWith('2');
      const codes = documentedCodes(response['description']);
      for (const { mediaType, example } of this.mediaExamples(response['content'], operationId)) {
        const value = example['value'];
        const code = isNode(value) && typeof value['code'] === 'string' ? value['code'] : null;
        // A problem shown only where this operation's contract names its code.
        if (!ok && code !== null && !codes.has(code)) continue;
        const request = text(example['x-request']);
        if (ok && requestLine === '') requestLine = request;
        const statusLine = `HTTP ${status} ${REASONS[status] ?? ''}`.trimEnd();
        const body = `${request === '' ? '' : `${request}\n→ `}${statusLine}\nContent-Type: ${mediaType}\n\n${exampleText(value)}`;
        const label = `${escapeHtml(status)}${code === null ? '' : ` <code>${escapeHtml(code)}</code>`}`;
        (ok ? successes : problems).push(this.exampleBlock(label, ok ? 'ok' : 'error', example, body, ok));
      }
    }
    const requests: string[] = [];
    if (operation['requestBody'] !== undefined) {
      const body = this.resolve(operation['requestBody'], 'requestBodies');
      for (const { mediaType, example } of this.mediaExamples(body['content'], operationId)) {
        const request = text(example['x-request']);
        requests.push(this.exampleBlock('request', 'request', example, `${request}\nContent-Type: ${mediaType}\n\n${exampleText(example['value'])}`, true));
      }
    } else if (requestLine !== '') {
      requests.push(this.exampleBlock('request', 'request', { summary: '' }, requestLine, true));
    }
    const all = [...requests, ...successes, ...problems];
    return all.length === 0 ? '' : `<h4>Examples</h4>\n<div class="examples">\n${all.join('\n')}\n</div>`;
  }

  private operations(): Array<{ method: string; path: string; operation: Node; pathItem: Node }> {
    const paths = isNode(this.spec['paths']) ? this.spec['paths'] : {};
    const out: Array<{ method: string; path: string; operation: Node; pathItem: Node }> = [];
    for (const [path, pathItem] of Object.entries(paths)) {
      if (!isNode(pathItem)) continue;
      for (const method of METHODS) {
        const operation = pathItem[method];
        if (isNode(operation)) out.push({ method, path, operation, pathItem });
      }
    }
    return out;
  }

  private operationId(method: string, path: string, operation: Node): string {
    return anchor('op', text(operation['operationId']) || `${method}${path}`);
  }

  private operation(method: string, path: string, operation: Node, pathItem: Node): string {
    const id = this.operationId(method, path, operation);
    return [
      `<section class="operation" id="${id}">`,
      `<h3><span class="method method-${escapeHtml(method)}">${escapeHtml(method.toUpperCase())}</span> <code class="path">${escapeHtml(path)}</code></h3>`,
      `<p class="summary">${inline(text(operation['summary']))}</p>`,
      prose(operation['description']),
      this.parameters(operation, pathItem),
      this.requestBody(operation),
      this.responses(operation),
      this.examples(operation),
      '</section>',
    ]
      .filter((part) => part !== '')
      .join('\n');
  }

  private schema(name: string, schema: Node): string {
    const parts = [`<section class="schema" id="${anchor('schema', name)}">`, `<h3>${escapeHtml(name)}</h3>`, prose(schema['description'])];
    const properties = isNode(schema['properties']) ? schema['properties'] : null;
    if (properties === null) {
      parts.push(`<p>${this.schemaCell(schema)}</p>`);
    } else {
      const required = new Set(Array.isArray(schema['required']) ? schema['required'].map(String) : []);
      const rows = Object.entries(properties).map(
        ([property, definition]) =>
          `<tr><td><code>${escapeHtml(property)}</code></td><td>${required.has(property) ? 'required' : 'optional'}</td><td data-label="schema">${this.schemaCell(definition)}</td><td>${isNode(definition) ? prose(definition['description']) : ''}</td></tr>`,
      );
      parts.push(`<table><thead><tr><th>property</th><th></th><th>schema</th><th>description</th></tr></thead><tbody>\n${rows.join('\n')}\n</tbody></table>`);
      const constraints = this.constraints(schema);
      if (constraints !== '') parts.push(`<p class="constraints">${constraints}</p>`);
      if (schema['if'] !== undefined) parts.push('<p class="constraints">conditional rules apply (see the description and openapi.yaml)</p>');
    }
    parts.push('</section>');
    return parts.filter((part) => part !== '').join('\n');
  }

  /** The files the registry serves beside the API (`x-internal`): one row each, no operation card. */
  private internalFiles(internal: Array<{ method: string; path: string; operation: Node }>): string {
    if (internal.length === 0) return '';
    const rows = internal.map(({ method, path, operation }) => {
      const success = isNode(operation['responses']) ? Object.entries(operation['responses']).find(([status]) => status.startsWith('2')) : undefined;
      const content = success === undefined ? '' : this.content(this.resolve(success[1], 'responses')['content']);
      return `<tr><td><span class="method method-${escapeHtml(method)}">${escapeHtml(method.toUpperCase())}</span> <code class="path">${escapeHtml(path)}</code></td><td>${inline(text(operation['summary']))}</td><td class="meta" data-label="content">${content}</td></tr>`;
    });
    return [
      '<section class="internal" id="files">',
      '<h2>Other files served</h2>',
      '<p>The pages\' own stylesheets, script and icon: served by the registry (its Content-Security-Policy allows nothing from elsewhere), cached for five minutes, not rate limited, and not part of the API.</p>',
      `<table><thead><tr><th>path</th><th>what</th><th>content</th></tr></thead><tbody>\n${rows.join('\n')}\n</tbody></table>`,
      '</section>',
    ].join('\n');
  }

  render(stylesheetHref: string, documentHref: string): string {
    const info = isNode(this.spec['info']) ? this.spec['info'] : {};
    const title = `${text(info['title'])} ${text(info['version'])}`.trim();
    const all = this.operations();
    const operations = all.filter(({ operation }) => operation['x-internal'] !== true);
    const internal = all.filter(({ operation }) => operation['x-internal'] === true);
    const components = isNode(this.spec['components']) ? this.spec['components'] : {};
    const schemas = Object.entries(isNode(components['schemas']) ? components['schemas'] : {}).filter((entry): entry is [string, Node] => isNode(entry[1]));

    const toc = [
      '<nav id="contents" aria-label="Contents">',
      '<h2>Operations</h2>',
      `<ul>${operations.map(({ method, path, operation }) => `<li><a href="#${this.operationId(method, path, operation)}"><span class="method method-${escapeHtml(method)}">${escapeHtml(method.toUpperCase())}</span> <span>${escapeHtml(path).replace(/\//g, '/<wbr>')}</span></a></li>`).join('')}</ul>`,
      '<h2>Schemas</h2>',
      `<ul>${schemas.map(([name]) => `<li>${this.schemaLink(name)}</li>`).join('')}</ul>`,
      internal.length === 0 ? '' : '<h2><a href="#files">Other files served</a></h2>',
      '<p class="to-top"><a href="#top">Back to the top</a></p>',
      '</nav>',
    ]
      .filter((part) => part !== '')
      .join('\n');

    return [
      '<!doctype html>',
      '<html lang="en">',
      '<head>',
      '<meta charset="utf-8">',
      '<meta name="viewport" content="width=device-width, initial-scale=1">',
      `<title>${escapeHtml(title)} — API reference</title>`,
      `<link rel="stylesheet" href="${escapeHtml(stylesheetHref)}">`,
      '<link rel="icon" href="/favicon.ico">',
      '</head>',
      '<body id="top">',
      '<header>',
      `<h1>${escapeHtml(text(info['title']))} <span class="version">v${escapeHtml(text(info['version']))}</span></h1>`,
      `<p class="summary">${inline(text(info['summary']))}</p>`,
      `<p>The contract: <a href="${escapeHtml(documentHref)}">${escapeHtml(documentHref)}</a> (OpenAPI ${escapeHtml(text(this.spec['openapi']))}).</p>`,
      '<p class="jump"><a href="#contents">Contents: every operation and schema</a></p>',
      '</header>',
      '<main>',
      `<section class="overview">\n<h2>Overview</h2>\n${prose(info['description'])}\n</section>`,
      '<section class="operations">',
      '<h2>Operations</h2>',
      ...operations.map(({ method, path, operation, pathItem }) => this.operation(method, path, operation, pathItem)),
      '</section>',
      '<section class="schemas">',
      '<h2>Schemas</h2>',
      ...schemas.map(([name, schema]) => this.schema(name, schema)),
      '</section>',
      this.internalFiles(internal),
      '</main>',
      toc,
      '</body>',
      '</html>',
      '',
    ].join('\n');
  }
}

/** The API reference page for a parsed OpenAPI document. */
export function renderApiReference(spec: unknown, links: { stylesheet: string; document: string }): string {
  if (!isNode(spec)) throw new TypeError('the OpenAPI document is not an object');
  return new Renderer(spec).render(links.stylesheet, links.document);
}
