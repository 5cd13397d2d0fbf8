// The server's request and response classes (src/server/http/message-classes.ts): Node makes each
// request and response with the app's prototypes already, before Express runs, and they still
// work as Node's and Express's own; and a base class that would not build the object it is
// called on is used as it is (Express then sets the prototypes), never wrapped.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from '@jest/globals';
import express from 'express';
import { appMessageClasses, messageClass } from '../../src/server/http/message-classes.js';

/** Node's message classes are plain functions (Node 20-24); were they ES classes, Node's own would be used. */
const nodeClassesAreFunctions = !Function.prototype.toString.call(http.IncomingMessage).startsWith('class');

describe('appMessageClasses', () => {
  it('makes requests and responses with the app’s prototypes, which Express then leaves as they are', async () => {
    const app = express();
    app.get('/echo/:id', (req, res) => {
      res.set('X-Seen', String(req.ip)).json({ id: req.params['id'], query: req.query['q'], app: req.app === app });
    });
    const server = http.createServer({ ...appMessageClasses(app) }, app);
    const atArrival: Array<[unknown, unknown, boolean, boolean]> = [];
    // Before Express's own listener: what Node made.
    server.prependListener('request', (req, res) => {
      atArrival.push([Object.getPrototypeOf(req), Object.getPrototypeOf(res), req instanceof http.IncomingMessage, res instanceof http.ServerResponse]);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      for (const id of ['a', 'b']) {
        const answer = await fetch(`http://127.0.0.1:${port}/echo/${id}?q=${id}${id}`);
        expect(answer.status).toBe(200);
        expect(answer.headers.get('x-seen')).toBe('127.0.0.1');
        expect(await answer.json()).toEqual({ id, query: `${id}${id}`, app: true });
      }
      // On a Node whose classes are ES classes, its own are used: Express sets the prototypes after arrival.
      const expected = nodeClassesAreFunctions ? [app.request, app.response] : [http.IncomingMessage.prototype, http.ServerResponse.prototype];
      expect(atArrival).toEqual([
        [...expected, true, true],
        [...expected, true, true],
      ]);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('messageClass', () => {
  const kept = Symbol('kept');
  interface Built {
    a: unknown;
    [kept]: boolean;
  }
  type Base = new (a: unknown) => Built;

  /** A base written as Node writes its message classes: a plain function that builds `this`. */
  function Plain(this: Built, a: unknown): void {
    this.a = a;
    this[kept] = true;
  }
  const PlainBase = Plain as unknown as Base;

  it('builds with the base, on an object of the prototype, when the base is a plain function', () => {
    const prototype = Object.create(PlainBase.prototype) as object;
    const Made = messageClass(PlainBase, prototype, [0]);
    expect(Made).not.toBe(PlainBase);
    const made = new Made(5);
    expect(Object.getPrototypeOf(made)).toBe(prototype);
    expect(made).toBeInstanceOf(PlainBase);
    expect({ a: made.a, kept: Object.hasOwn(made, kept) }).toEqual({ a: 5, kept: true });
  });

  // Each of these would leave the object Node is given unbuilt: the base is used as it is.
  const unusable: Array<[string, () => Base]> = [
    [
      'an ES class, which cannot be called',
      () =>
        class {
          [kept] = true;
          constructor(public a: unknown) {}
        },
    ],
    [
      'a function that checks new.target and constructs itself when called',
      () => {
        function Guarded(this: Built, a: unknown): Built | void {
          if (!new.target) return new (Guarded as unknown as Base)(a);
          this.a = a;
          this[kept] = true;
        }
        return Guarded as unknown as Base;
      },
    ],
    [
      'a function that returns the object it built (a wrapper constructing the real class)',
      () => {
        class Real {
          [kept] = true;
          constructor(public a: unknown) {}
        }
        function Wrapper(a: unknown): Built {
          return Reflect.construct(Real, [a], Wrapper) as Built;
        }
        Wrapper.prototype = Real.prototype;
        return Wrapper as unknown as Base;
      },
    ],
    [
      'a function that builds `this` and returns another object',
      () => {
        function Returning(this: Built, a: unknown): Built {
          this.a = a;
          this[kept] = true;
          return { a, [kept]: true };
        }
        return Returning as unknown as Base;
      },
    ],
    ['a bound function, which ignores the object it is called on', () => PlainBase.bind(null) as unknown as Base],
    [
      'a function that sets one property only on objects it made itself',
      () => {
        function Picky(this: Built, a: unknown): void {
          this.a = a;
          if (Object.getPrototypeOf(this) === Picky.prototype) this[kept] = true;
        }
        return Picky as unknown as Base;
      },
    ],
  ];

  it.each(unusable)('returns the base itself for %s', (_name, make) => {
    const base = make();
    // (A bound function has no prototype of its own: `instanceof` uses its target's.)
    const prototype = Object.create((base.prototype as object | undefined) ?? PlainBase.prototype) as object;
    expect(messageClass(base, prototype, [0])).toBe(base);
  });

  it('returns the base itself when the prototype has an accessor the base cannot assign', () => {
    const prototype = Object.create(PlainBase.prototype, { a: { get: () => 'from the prototype' } }) as object;
    expect(messageClass(PlainBase, prototype, [0])).toBe(PlainBase);
  });

  it('throws when the prototype does not inherit from the base', () => {
    expect(() => messageClass(PlainBase, {}, [0])).toThrow(/does not inherit from Plain/);
  });

  it('uses Node’s own classes built in place on this Node (both probes pass)', () => {
    const app = express();
    const classes = appMessageClasses(app);
    if (nodeClassesAreFunctions) {
      expect([classes.IncomingMessage.prototype, classes.ServerResponse.prototype]).toEqual([app.request, app.response]);
    } else {
      expect(classes).toEqual({ IncomingMessage: http.IncomingMessage, ServerResponse: http.ServerResponse });
    }
  });
});
