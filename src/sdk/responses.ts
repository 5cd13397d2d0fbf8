/**
 * Shapes of the registry's answers, checked before anything in them is looked at. Envelopes
 * ignore unknown fields (a newer registry may add some); records inside them are parsed by the
 * protocol's strict record schemas separately.
 */
import * as z from 'zod/mini';
import { LIST_CAPS } from './list-caps.js';

const index = z.int().check(z.minimum(0));
const b64 = z.string().check(z.maxLength(100));
const timestamp = z.string().check(z.maxLength(24));
const checkpoint = z.string().check(z.maxLength(65_536));
/**
 * A key-map proof, base64url (DESIGN.md §5.2.5: at most 33 + 256·32 + 81 bytes). Optional
 * here so that a missing one is reported by the map check (STALE_ANSWER), not as a shape error.
 */
const mapProof = z.optional(z.string().check(z.maxLength(11_100)));

export const proofSchema = z.object({ index, size: index, hashes: z.array(b64).check(z.maxLength(64)) });

export const entrySchema = z.object({ index, acceptedAt: timestamp, record: z.record(z.string(), z.unknown()) });

const entries = z.array(entrySchema).check(z.minLength(1), z.maxLength(LIST_CAPS.chain));

export const lookupBundleSchema = z.object({
  userId: z.string(),
  status: z.string(),
  publicKey: z.string(),
  publicBoxKey: z.string(),
  rotationKeys: z.array(z.string()),
  entries,
  proof: proofSchema,
  checkpoint,
  mapProof,
});

export const historySchema = z.object({
  userId: z.string(),
  entries: z.array(z.extend(entrySchema, { nullified: z.boolean() })).check(z.maxLength(LIST_CAPS.history)),
});

export const groupBundleSchema = z.object({
  groupId: z.string(),
  name: z.string(),
  members: z.array(z.unknown()).check(z.maxLength(500)),
  entries,
  proof: proofSchema,
  checkpoint,
  mapProof,
});

export const userGroupsSchema = z.object({
  userId: z.string(),
  groups: z.array(z.object({ groupId: z.string(), name: z.string(), role: z.string(), headIndex: index })).check(z.maxLength(LIST_CAPS.groups)),
});

export const writeResultSchema = z.object({
  index,
  acceptedAt: timestamp,
  hash: b64,
  proof: proofSchema,
  checkpoint,
  mapProof,
});

export const consistencySchema = z.object({ from: index, to: index, hashes: z.array(b64).check(z.maxLength(128)) });

export const registryInfoSchema = z.object({ origin: z.string(), publicKey: b64, vkey: z.string(), version: z.string(), tiles: z.optional(z.string()) });

export const problemSchema = z.object({ status: z.int(), code: z.string(), detail: z.optional(z.string()) });

export type InclusionProof = z.output<typeof proofSchema>;
