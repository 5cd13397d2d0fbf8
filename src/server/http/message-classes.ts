/**
 * The classes Node's HTTP server makes each request and response with (its `IncomingMessage` and
 * `ServerResponse` options), so that they are born with the prototypes Express gives them.
 *
 * Express sets the prototype of every request and response to its own (`app.request`,
 * `app.response`, in app.handle) after Node made them. V8 gives an object whose prototype was
 * changed a hidden class of its own, and every property added to it after that (Express's router
 * adds several to each request, Node and the middlewares several to each response) a new one
 * again: no two requests shared one, so every property access of the request path missed its
 * inline cache and went through V8's lookup, and the hidden classes made were garbage to collect
 * (an Express 5 hello-world on Node 20 took 68 µs of CPU per request, 38 µs with these classes).
 * Made with the app's prototypes already, the objects share their hidden classes, and Express's
 * Object.setPrototypeOf, to the prototype they have, changes nothing. They are Node's own objects
 * still: built by Node's constructors, and `instanceof` Node's classes (the app's prototypes
 * inherit from them). Each class is tried once, when it is made, on a probe (messageClass): where
 * it would not build what Node's own builds, Node's own class is used, and only the gain is lost.
 */
import http from 'node:http';
import net from 'node:net';
import type { Express } from 'express';

export interface MessageClasses {
  IncomingMessage: typeof http.IncomingMessage;
  ServerResponse: typeof http.ServerResponse;
}

/** The server options that make `app`'s requests and responses with its prototypes (http.createServer, https.createServer). */
export function appMessageClasses(app: Express): MessageClasses {
  // The probes' arguments, as Node's server passes them: a request gets its socket (here one never
  // connected, which holds no handle), a response its request.
  const probeRequest = new http.IncomingMessage(new net.Socket());
  return {
    IncomingMessage: messageClass(http.IncomingMessage, app.request, [probeRequest.socket]),
    ServerResponse: messageClass(http.ServerResponse, app.response, [probeRequest]),
  };
}

/**
 * A constructor that builds what `base` builds, with `prototype` as the object's own prototype:
 * an ordinary function whose `prototype` it is, so that V8 makes every object it constructs with
 * one initial hidden class, which calls `base` on the object as a plain function. Node's message
 * classes are functions that may be called so: subclasses written before ES classes do it
 * (`IncomingMessage.call(this, socket)` with util.inherits), though Node itself never does.
 *
 * Otherwise `base` itself is returned, and Express sets the prototypes as before: when `base` is a
 * class (a later Node), which cannot be called, or when a probe built with `probeArgs` shows that
 * calling it does not build the object it is given — a `base` that returns an object (one that
 * guards itself with `if (!new.target) return new Base()`, a wrapper that constructs the real
 * class), throws, or leaves any own property of `new base(...probeArgs)` unset on the object. Any
 * of these would otherwise hand Node uninitialised requests or responses, which fail only when
 * served.
 */
export function messageClass<C extends abstract new (...args: never[]) => object>(base: C, prototype: object, probeArgs: unknown[]): C {
  if (!(prototype instanceof base)) throw new Error(`the app's prototype does not inherit from ${base.name}`);
  if (Function.prototype.toString.call(base).startsWith('class')) return base;
  const init = base as unknown as (this: object, ...args: unknown[]) => unknown;
  if (!buildsInPlace(base, init, prototype, probeArgs)) return base;
  // (Reflect.construct(base, args, Message) would build the object without calling base as a
  // function, but V8 then gave each object a hidden class of its own again: measured, slower than Express alone.)
  function Message(this: object, ...args: unknown[]): void {
    init.apply(this, args);
  }
  Message.prototype = prototype;
  return Message as unknown as C;
}

/** Whether calling `init` on an object of `prototype` sets every own property that `new base` sets, and returns nothing. */
function buildsInPlace(base: abstract new (...args: never[]) => object, init: (this: object, ...args: unknown[]) => unknown, prototype: object, args: unknown[]): boolean {
  try {
    const expected = Reflect.construct(base, args) as object;
    const probe = Object.create(prototype) as object;
    if (init.apply(probe, args) !== undefined) return false;
    return Reflect.ownKeys(expected).every((key) => Object.hasOwn(probe, key));
  } catch {
    return false;
  }
}
