import { join } from 'node:path';
import { CATALOG_FILE } from '../catalog/load-catalog.js';
import { StoreCatalog } from '../catalog/store-catalog.js';
import { isVitrinError, VitrinError } from '../errors.js';
import type { Logger } from '../log.js';
import { writeFileAtomic } from './atomic-file.js';
import type { PackageApplier } from './downlink.js';

export interface CatalogApplierDeps {
  readonly dataDir: string;
  /** Makes the card flow read the new catalog from its next card on. */
  readonly setCatalog: (catalog: StoreCatalog) => void;
  readonly log: Logger;
}

/**
 * A catalog package: the whole vitrin.catalog/1 file (catalog, stock and offers).
 * Checked whole, written over <data.dir>/catalog.json atomically (so the next start
 * reads it too), then swapped in.
 */
export function catalogApplier(deps: CatalogApplierDeps): PackageApplier {
  return {
    apply: (body) => {
      let catalog: StoreCatalog;
      try {
        catalog = StoreCatalog.parse(body.toString('utf8'));
      } catch (err) {
        if (!isVitrinError(err)) throw err;
        return Promise.reject(new VitrinError('VITRIN_ERR_PACKAGE_INVALID', `the catalog package is refused: ${err.message}`, { details: err.details }));
      }
      try {
        writeFileAtomic(join(deps.dataDir, CATALOG_FILE), body);
      } catch (cause) {
        return Promise.reject(new VitrinError('VITRIN_ERR_PACKAGE_APPLY', `the catalog cannot be written to ${deps.dataDir}`, { cause }));
      }
      deps.setCatalog(catalog);
      return Promise.resolve('catalog, stock and offers replaced');
    },
  };
}
