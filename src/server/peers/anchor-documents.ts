/**
 * peerkeys as a Peers https anchor (DESIGN.md §10): the anchor document of an identity's current
 * head. It lists the head's signing key while the identity is active and no key once it is
 * revoked; `anchors` names this registry's own document URL for the user. The document is
 * unsigned (the Peers envelope's signed bytes are not public): a Peers host trusts an https anchor
 * by its origin, and a peerkeys client that wants proof asks the verified lookup instead.
 */
import type { Database } from '../../db/database.js';
import { readAnchorFacts } from '../../db/peers-anchor-repository.js';
import { ProtocolError } from '../../protocol/errors.js';
import { canonicalJson } from '../../protocol/json.js';
import { ANCHOR_DOCUMENT_MAX_BYTES, anchorDocumentUrl, type AnchorDocument } from '../../protocol/peers-anchor.js';
import { formatTimestamp } from '../../protocol/time.js';
import { assertPeersId } from '../admission-policy.js';

export class AnchorDocuments {
  constructor(
    private readonly db: Database,
    /** The registry's public base URL (config PUBLIC_URL): the anchor URL it names is under it. */
    private readonly publicUrl: string,
  ) {}

  /** GET /peers/v1/{userId}.json: the document as canonical JSON text. */
  async documentJson(userId: string): Promise<string> {
    assertPeersId(userId, 'userId');
    const facts = await readAnchorFacts(this.db.prisma, userId);
    if (facts === null) throw new ProtocolError('NOT_FOUND', 'no identity with this userId');
    const document: AnchorDocument = {
      version: 1,
      userId,
      keys: facts.status === 'active' ? [{ publicKey: facts.publicKey, issuedAt: formatTimestamp(facts.keyIssuedAt.getTime()) }] : [],
      anchors: [anchorDocumentUrl(this.publicUrl, userId)],
      updatedAt: formatTimestamp(facts.headAcceptedAt.getTime()),
    };
    const json = canonicalJson(document);
    // One key, one URL: a few hundred bytes. The bound is the Peers one, kept here as an invariant.
    if (json.length > ANCHOR_DOCUMENT_MAX_BYTES) throw new Error(`anchor document of ${json.length} bytes`);
    return json;
  }
}
