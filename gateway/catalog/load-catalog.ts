import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isVitrinError } from '../errors.js';
import type { Logger } from '../log.js';
import { DEMO_CATALOG } from './demo-catalog.js';
import { StoreCatalog } from './store-catalog.js';

export const CATALOG_FILE = 'catalog.json';

/**
 * The store's catalog from <data.dir>/catalog.json; the demo catalog in demo mode when
 * there is none. A broken file is reported and left out: cards then suggest from the
 * member profiles alone, which is worse than a good catalog and better than no card.
 */
export function loadCatalog(dataDir: string, demo: boolean, log: Logger): StoreCatalog {
  const file = join(dataDir, CATALOG_FILE);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') log.error({ err, file }, 'the store catalog cannot be read');
    if (demo) log.info('no store catalog; the demo catalog is used');
    return demo ? new StoreCatalog(DEMO_CATALOG) : StoreCatalog.empty();
  }
  try {
    const catalog = StoreCatalog.parse(text);
    log.info({ file }, 'store catalog loaded');
    return catalog;
  } catch (err) {
    if (!isVitrinError(err)) throw err;
    log.error({ code: err.code, file, problems: err.details }, 'the store catalog is invalid; suggestions come from member profiles alone');
    return StoreCatalog.empty();
  }
}
