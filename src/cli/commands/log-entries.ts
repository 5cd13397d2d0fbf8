/** `peerkeys log entries`: log entries as the registry serves them. */
import { recordHash } from '../../protocol/signing.js';
import { RegistryFeed, type FetchedEntry } from '../../mirror/registry-feed.js';
import { integerOption, JSON_OPTION_HELP, REGISTRY_OPTIONS, REGISTRY_OPTIONS_HELP, UsageError, type Command } from '../command.js';
import { registryTarget } from '../registry-target.js';

export const logEntries: Command = {
  name: 'log entries',
  help: `usage: peerkeys log entries [--start <index>] [--limit <n>] [--json] [--registry <url|profile>] [--vkey <vkey>]

Prints log entries from <index>: one line each with the index, acceptance time, kind, subject,
seq and record hash. They are shown as served: \`peerkeys log verify\` checks them. The registry
serves the log in pages bounded by bytes as well as by count; this follows them until it has
<n> entries or reaches the end of the log.

  --start <index>   the first entry (default 0)
  --limit <n>       how many, 1 to 1000 (default 20)
${JSON_OPTION_HELP};
                    the entries are { entries: [{ index, acceptedAt, record }], next }, as the API
                    has them; next, the index after the last entry, only when the log goes on
${REGISTRY_OPTIONS_HELP}

Exit status: 0 done; 1 the answer is malformed; 2 usage; 4 registry unreachable.`,
  options: { ...REGISTRY_OPTIONS, start: { type: 'string' }, limit: { type: 'string' } },
  async run(invocation) {
    const start = integerOption(invocation.values, 'start', 0);
    const limit = integerOption(invocation.values, 'limit', 20);
    if (limit < 1 || limit > 1000) throw new UsageError('--limit is 1 to 1000');
    const { url, vkey } = registryTarget(invocation);
    // A page is cut by bytes too (DESIGN.md §6): follow `next` until `limit` entries or the end of the log.
    const feed = new RegistryFeed({ url, vkey });
    const entries: FetchedEntry[] = [];
    let next: number | undefined = start;
    while (next !== undefined && entries.length < limit) {
      const page = await feed.page(next, limit - entries.length);
      entries.push(...page.entries);
      next = page.next;
    }
    const { ui } = invocation;
    if (ui.json) {
      ui.printJson({ entries: entries.map(({ index, acceptedAt, record }) => ({ index, acceptedAt, record })), ...(next !== undefined ? { next } : {}) });
      return 0;
    }
    if (entries.length === 0) ui.print(`no entries from index ${start}`);
    for (const { index, acceptedAt, record } of entries) {
      const subject = record['userId'] ?? record['groupId'] ?? '-';
      ui.print(`${index}  ${acceptedAt}  ${String(record['type'])}  ${String(subject)}  seq ${String(record['seq'])}  ${recordHash(record)}`);
    }
    return 0;
  },
};
