// The operator verbs that talk to a running server's admin API, for main.ts's verb
// table: kms key create|list|status|rotate, rewrap, heal.
import { healVerb } from './heal-verb.ts';
import { kmsVerbs, type AdminVerb } from './kms-verbs.ts';
import { rewrapVerb } from './rewrap-verb.ts';
import { processIo, type VerbIo } from './run.ts';

export type { AdminVerb } from './kms-verbs.ts';

export function adminVerbs(io: VerbIo = processIo): AdminVerb[] {
  const kms = kmsVerbs(io);
  const groupHelp = [
    'Usage: cairn kms key create|list|status|rotate ... [--help]',
    '',
    'KMS key management through the running server:',
    ...kms.map((v) => `  cairn ${v.words.join(' ').padEnd(16)}  ${v.summary}`),
    '',
    'Each verb takes --help.',
  ].join('\n');
  const group: AdminVerb = {
    words: ['kms'],
    summary: 'KMS keys: kms key create|list|status|rotate',
    help: groupHelp,
    run: async () => {
      io.err(`${groupHelp}\n`);
      return 2;
    },
  };
  return [group, ...kms, rewrapVerb(io), healVerb(io)];
}
