import { validate as validCron } from 'node-cron';
import type { Config } from '../config/schema.js';
import { isVitrinError } from '../errors.js';
import { parsePublicKey } from './package-signature.js';

export type CloudConfig = Config['cloud'];

const CRONS = ['uplinkCron', 'downlinkCron', 'summaryCron', 'purgeCron'] as const;

/** Problems the schema cannot see, with their paths: cron expressions, signing keys, the URL, TLS halves. */
export function cloudConfigProblems(cloud: CloudConfig): string[] {
  const problems: string[] = [];
  for (const name of CRONS) if (!validCron(cloud[name])) problems.push(`/cloud/${name}: "${cloud[name]}" is not a cron expression (node-cron: [second] minute hour day month weekday)`);
  cloud.signingPublicKeys.forEach((text, i) => {
    try {
      parsePublicKey(text);
    } catch (err) {
      if (!isVitrinError(err)) throw err;
      problems.push(`/cloud/signingPublicKeys/${i}: ${err.message.replace(/^a cloud.signingPublicKeys entry is /, 'is ')}`);
    }
  });
  if (cloud.url !== '') {
    let url: URL | undefined;
    try {
      url = new URL(cloud.url);
    } catch {
      problems.push(`/cloud/url: "${cloud.url}" is not a URL`);
    }
    if (url !== undefined && url.protocol !== 'https:' && url.protocol !== 'http:') problems.push(`/cloud/url: ${url.protocol} is neither http: nor https:`);
    if (url !== undefined && url.protocol === 'http:' && (cloud.tls.cert !== '' || cloud.tls.ca !== '')) problems.push('/cloud/tls: TLS files need an https: cloud.url');
  }
  if ((cloud.tls.cert === '') !== (cloud.tls.key === '')) problems.push(`/cloud/tls: cert and key go together; ${cloud.tls.cert === '' ? 'cert' : 'key'} is empty`);
  return problems;
}
