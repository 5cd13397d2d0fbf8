/**
 * Request bodies: read as bytes (any content type — every write is self-authenticating, so a
 * text/plain form post gains an attacker nothing), limited to 128 KiB, then decoded as strict
 * UTF-8 and parsed by the protocol's strict JSON parser. The result must be a JSON object.
 */
import express, { type RequestHandler } from 'express';
import { ProtocolError } from '../../protocol/errors.js';
import { fromUtf8 } from '../../protocol/encoding.js';
import { isJsonObject, parseJson } from '../../protocol/json.js';

export const BODY_LIMIT_BYTES = 128 * 1024;

const readRaw = express.raw({ type: () => true, limit: BODY_LIMIT_BYTES, inflate: true });

const parse: RequestHandler = (req, _res, next) => {
  const bytes: unknown = req.body;
  if (!(bytes instanceof Buffer) || bytes.length === 0) return next(new ProtocolError('MALFORMED', 'the request has no body; send the record as a JSON object'));
  const text = fromUtf8(bytes);
  if (text === null) return next(new ProtocolError('MALFORMED', 'the body is not valid UTF-8'));
  const value = parseJson(text); // throws JsonParseError, which the error handler maps
  if (!isJsonObject(value)) return next(new ProtocolError('MALFORMED', 'the body must be a JSON object'));
  req.body = value;
  next();
};

/** Middleware for write routes: afterwards `req.body` is a strictly parsed JSON object. */
export const jsonBody: RequestHandler[] = [readRaw, parse];
