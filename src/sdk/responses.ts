/**
 * Shapes of the registry's answers, checked before anything in them is looked at. Envelopes
 * ignore unknown fields (a newer registry may add some); records inside them are parsed by the
 * protocol's strict record schemas separately.
 */
import { z } from 'zod';

const index = z.int().min(0);
const b64 = z.string().max(100);

/**
 * The most items a client takes from one list, over all its pages (DESIGN.md §6, "Pages"): a
 * registry cannot keep a client fetching forever.
 */
export const LIST_CAPS = { chain: 100_000, history: 1_000_000, groups: 100_000, devices: 100_000 } as const;

export const proofSchema = z.object({ index, size: index, hashes: z.array(b64).max(64) });

export const entrySchema = z.object({ index, acceptedAt: z.string().max(24), record: z.record(z.string(), z.unknown()) });

export const lookupBundleSchema = z.object({
  userId: z.string(),
  status: z.string(),
  publicKey: z.string(),
  publicBoxKey: z.string(),
  rotationKeys: z.array(z.string()),
  entries: z.array(entrySchema).min(1).max(LIST_CAPS.chain),
  proof: proofSchema,
  checkpoint: z.string().max(65_536),
});

export const historySchema = z.object({
  userId: z.string(),
  entries: z.array(entrySchema.extend({ nullified: z.boolean() })).max(LIST_CAPS.history),
});

export const groupBundleSchema = z.object({
  groupId: z.string(),
  name: z.string(),
  members: z.array(z.unknown()).max(500),
  entries: z.array(entrySchema).min(1).max(LIST_CAPS.chain),
  proof: proofSchema,
  checkpoint: z.string().max(65_536),
});

export const userGroupsSchema = z.object({
  userId: z.string(),
  groups: z.array(z.object({ groupId: z.string(), name: z.string(), role: z.string(), headIndex: index })).max(LIST_CAPS.groups),
});

export const writeResultSchema = z.object({
  index,
  acceptedAt: z.string().max(24),
  hash: b64,
  proof: proofSchema,
  checkpoint: z.string().max(65_536),
});

export const consistencySchema = z.object({ from: index, to: index, hashes: z.array(b64).max(128) });

export const registryInfoSchema = z.object({ origin: z.string(), publicKey: b64, vkey: z.string(), version: z.string() });

export const problemSchema = z.object({ status: z.int(), code: z.string(), detail: z.string().optional() });

export type InclusionProof = z.output<typeof proofSchema>;
